//! What Chord nodes exchange: a [`Peer`] (a node as others know it), the
//! answer to a lookup and its errors, stored entries, and a node's state
//! as a snapshot. Plain data, so the same messages cross processes.

use actium::prelude::*;
use serde::{Deserialize, Serialize};

use super::id::Id;
use super::node::ChordNode;

/// A node as other nodes know it: its identifier and a reference to it —
/// what the paper's finger table and successor list hold. Printed as
/// `<id>@<actor>`, short enough for a trace.
#[derive(Clone, Serialize, Deserialize)]
pub struct Peer {
    /// The node's identifier.
    pub id: Id,
    /// The node itself.
    pub node: ActorRef<ChordNode>,
}

impl PartialEq for Peer {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Peer {}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.id, self.node)
    }
}

/// The answer to a lookup.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Found {
    /// The successor of the identifier looked up: the node responsible.
    pub successor: Peer,
    /// The path length: how many times the lookup moved to a closer node.
    pub hops: u32,
}

/// The next step of a message routed towards a key along Chord's lookup
/// path: what [`ChordNode::next_hop`] answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hop {
    /// This node is the key's successor: the message has arrived.
    Here,
    /// Forward to this node, closer to the key.
    Next(Peer),
}

/// Why a lookup failed. Transient: it happens while the ring repairs
/// itself after failures, and a later lookup succeeds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LookupError {
    /// A node on the path stopped answering.
    #[error("node {0} stopped answering during the lookup")]
    Unreachable(Id),
    /// A node knows no live node between itself and the identifier: its
    /// successor failed and it has not stabilised yet.
    #[error("node {at} knows no live node on the way to {id}")]
    NoRoute {
        /// The node that could not route.
        at: Id,
        /// The identifier looked up.
        id: Id,
    },
}

/// A key and its value, as nodes hand them to each other. Printed as
/// `key="value"`, the value as text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The key; its identifier is `Id::hash(key)`.
    pub key: String,
    /// The value.
    pub value: Vec<u8>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={:?}", self.key, String::from_utf8_lossy(&self.value))
    }
}

/// A node's routing state, by identifiers: what [`ChordNode::state`]
/// reports so a driver can compare it with the true ring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    /// The node's identifier.
    pub id: Id,
    /// Its predecessor, if it knows one.
    pub predecessor: Option<Id>,
    /// Its successor list, nearest first; empty when it is alone.
    pub successors: Vec<Id>,
    /// `fingers[i]`: the node it believes succeeds `id + 2^i`.
    pub fingers: Vec<Option<Id>>,
    /// How many keys it holds, its own and replicas.
    pub keys: usize,
    /// Whether all its periodic tasks have backed off to the slowest pace:
    /// nothing changed for a while.
    pub quiet: bool,
}
