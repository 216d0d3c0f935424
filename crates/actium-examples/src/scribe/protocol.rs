//! What Scribe nodes exchange and report: plain data, so that the same
//! messages cross processes.

use std::time::Duration;

use actium::prelude::*;
use serde::{Deserialize, Serialize};

use super::node::ScribeNode;
use crate::chord::Id;

/// How a Scribe node maintains its trees.
#[derive(Clone, Debug)]
pub struct Config {
    /// The pause between two runs of the periodic check: rejoin a topic
    /// that has no parent, and give up being a root that Chord no longer
    /// makes the root.
    pub maintenance: Duration,
    /// How long a join waits for its answer before it is tried again (a
    /// join can be lost with the node it went to).
    pub join_timeout: Duration,
    /// The deadline of each call to another node.
    pub call_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            maintenance: Duration::from_millis(200),
            join_timeout: Duration::from_secs(1),
            call_timeout: Duration::from_secs(1),
        }
    }
}

/// A Scribe node as the others know it: its Chord identifier and its
/// Scribe actor.
#[derive(Clone, Serialize, Deserialize)]
pub struct Member {
    /// The identifier of its Chord node.
    pub id: Id,
    /// Its Scribe actor.
    pub scribe: ActorRef<ScribeNode>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.id, self.scribe)
    }
}

/// A published message on its way down a topic's tree.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    /// The topic's identifier, `Id::hash(<topic name>)`.
    pub topic: Id,
    /// The node that published it.
    pub publisher: Id,
    /// Its number among the publisher's messages, from 1 and increasing:
    /// what makes delivery at most once and in order per publisher.
    pub seq: u64,
    /// What was published.
    pub payload: Vec<u8>,
}

/// A message as a subscriber received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The node that published it.
    pub publisher: Id,
    /// Its number among the publisher's messages.
    pub seq: u64,
    /// How many tree edges it crossed from the root: the subscriber's
    /// depth in the tree when it arrived.
    pub depth: u32,
    /// What was published.
    pub payload: Vec<u8>,
}

/// One node's part of one topic's tree: what [`ScribeNode::trees`]
/// reports so that a driver can check the whole tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeState {
    /// The topic's identifier.
    pub topic: Id,
    /// Whether this node subscribes to it.
    pub subscribed: bool,
    /// Whether this node is its root.
    pub root: bool,
    /// The node's parent in the tree, if it has one.
    pub parent: Option<Id>,
    /// Its children.
    pub children: Vec<Id>,
    /// Whether a join of this node is on its way.
    pub joining: bool,
}

/// Why a publish failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PublishError {
    /// The lookup of the topic's root failed (Chord is repairing itself).
    #[error("the lookup of topic {topic}'s root failed: {error}")]
    Lookup {
        /// The topic.
        topic: Id,
        /// Why.
        error: String,
    },
    /// The root Chord named did not answer, or has no Scribe node.
    #[error("node {0}, the topic's root, did not take the message")]
    Unreachable(Id),
    /// The node Chord named is not the root of the topic's tree (yet): the
    /// tree is being repaired.
    #[error("node {0} is not the root of the topic's tree")]
    NotRoot(Id),
}
