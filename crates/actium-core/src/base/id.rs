//! Addresses of nodes and actors.
//!
//! An [`ActorId`] is globally unique: it pairs the [`NodeId`] of the process
//! that hosts the actor with a sequence number local to that process. The
//! remote layer routes on the node part; the local part indexes the node's
//! actor table.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// Identifies one running Actium system (one node).
///
/// Chosen at random when the system starts, so two processes — or two
/// systems started one after the other in the same process — never share an
/// id in practice.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeId(u64);

impl NodeId {
    /// Draws a fresh random node id from the operating system's entropy.
    pub fn random() -> Self {
        // `RandomState` is seeded from the OS; mixing in the clock and the
        // process id keeps ids apart even if the seed were ever reused.
        let mut hasher = RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        NodeId(hasher.finish())
    }

    /// Builds a node id from its numeric form (as read from the wire).
    pub const fn from_u64(raw: u64) -> Self {
        NodeId(raw)
    }

    /// The numeric form of this id.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({:016x})", self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The globally unique address of one actor: its node and its number there.
///
/// Ids are never reused within a node, so an id that named a stopped actor
/// never names a different one later.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct ActorId {
    node: NodeId,
    local: u64,
}

impl ActorId {
    /// Builds an id from its two parts.
    pub const fn new(node: NodeId, local: u64) -> Self {
        ActorId { node, local }
    }

    /// The node that hosts the actor.
    pub const fn node(self) -> NodeId {
        self.node
    }

    /// The actor's number on its node.
    pub const fn local(self) -> u64 {
        self.local
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.node)
    }
}

/// An actor's id together with its type name, for messages people read.
///
/// Displays as `Counter#3`; this is what errors and logs name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ActorLabel {
    id: ActorId,
    type_name: &'static str,
}

impl ActorLabel {
    /// Builds a label.
    pub const fn new(id: ActorId, type_name: &'static str) -> Self {
        ActorLabel { id, type_name }
    }

    /// The actor's id.
    pub const fn id(&self) -> ActorId {
        self.id
    }

    /// The name of the actor's type, as written in its `impl` block.
    pub const fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Display for ActorLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.type_name, self.id.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_node_ids_differ() {
        assert_ne!(NodeId::random(), NodeId::random());
    }

    #[test]
    fn label_displays_type_and_local_number() {
        let label = ActorLabel::new(ActorId::new(NodeId::from_u64(7), 3), "Counter");
        assert_eq!(label.to_string(), "Counter#3");
        assert_eq!(label.id().to_string(), "3@0000000000000007");
    }
}
