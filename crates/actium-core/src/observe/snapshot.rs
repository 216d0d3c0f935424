//! What a system looks like at one moment: its actors with their counters
//! and relations, and its registered names. Plain data, serde-serialisable
//! with the `remote` feature, so that another process can ask a node for
//! it (`Node::snapshot` in actium-remote) and `actium top` can draw it.

use std::time::{Duration, SystemTime};

use crate::base::{ActorId, NodeId};

/// A system at one moment: from
/// [`SystemHandle::snapshot`](crate::SystemHandle::snapshot).
///
/// Counters are read without stopping anyone, so two actors' counters may
/// be a message apart; each counter only grows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct SystemSnapshot {
    /// The node the system runs as.
    pub node: NodeId,
    /// When the snapshot was taken (the host's wall clock).
    pub taken_at: SystemTime,
    /// Whether the system measures method times and errors
    /// ([`SystemBuilder::metrics`](crate::SystemBuilder::metrics)); when
    /// not, `busy` and `errors` stay zero.
    pub measuring: bool,
    /// The live actors, by id.
    pub actors: Vec<ActorSnapshot>,
    /// The registered names, sorted, with the actor holding each.
    pub names: Vec<(String, ActorId)>,
    /// The connections to other nodes, when a node runs on the system
    /// (filled by the network layer: see actium-remote's `Node::snapshot`).
    pub network: Option<NetworkSnapshot>,
}

/// One live actor at the moment of a [`SystemSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct ActorSnapshot {
    /// The actor's id.
    pub id: ActorId,
    /// Its type's name, as written in its `impl` block.
    pub type_name: String,
    /// The name it is registered under, if any.
    pub name: Option<String>,
    /// Its supervisor, or the actor that spawned and linked it, if any.
    pub parent: Option<ActorId>,
    /// Messages and signals waiting: queued, or taken in a batch and not
    /// yet handled.
    pub mailbox_depth: u64,
    /// Messages and signals taken to be handled, since the actor started
    /// (over all its incarnations).
    pub handled: u64,
    /// Requests answered with an `Err` (counted only while measuring).
    pub errors: u64,
    /// Methods and hooks that panicked.
    pub panics: u64,
    /// Times its supervisor restarted it.
    pub restarts: u64,
    /// Why its last incarnation ended, for a restarted actor.
    pub last_exit: Option<String>,
    /// Time its task spent running — its methods, hooks and loop, not what
    /// they await (counted only while measuring).
    pub busy: Duration,
    /// The method or hook it runs now, or ran last if it is waiting for
    /// mail (the loop notes it before each message, not after).
    pub doing: Option<String>,
    /// The actors it is linked to.
    pub links: Vec<ActorId>,
    /// The actors it monitors.
    pub monitors: Vec<ActorId>,
    /// The actors monitoring it.
    pub monitored_by: Vec<ActorId>,
}

/// A node's connections and traffic, as its network layer counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct NetworkSnapshot {
    /// The node's address (`tcp://host:port`).
    pub address: String,
    /// Connections open now.
    pub connections: u64,
    /// Bytes of frames received since the node started (length prefixes
    /// included, handshakes not).
    pub bytes_in: u64,
    /// Bytes of frames sent since the node started (length prefixes
    /// included, handshakes not).
    pub bytes_out: u64,
}

impl SystemSnapshot {
    /// The actor with this id, if it was live.
    pub fn actor(&self, id: ActorId) -> Option<&ActorSnapshot> {
        self.actors.iter().find(|actor| actor.id == id)
    }

    /// The actor registered under `name`, if any.
    pub fn named(&self, name: &str) -> Option<&ActorSnapshot> {
        let (_, id) = self.names.iter().find(|(n, _)| n == name)?;
        self.actor(*id)
    }

    /// The actors whose parent is `id`, by id.
    pub fn children(&self, id: ActorId) -> impl Iterator<Item = &ActorSnapshot> {
        self.actors
            .iter()
            .filter(move |actor| actor.parent == Some(id))
    }
}

impl ActorSnapshot {
    /// How the actor is shown to people: `Counter#3`.
    pub fn label(&self) -> String {
        format!("{}#{}", self.type_name, self.id.local())
    }
}
