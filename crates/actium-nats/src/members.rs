//! Which nodes of the cluster are alive, as this node hears them: every
//! node's heartbeat reaches every node on the cluster's alive subject, so
//! each node knows the whole cluster without asking anyone.
//!
//! This is apart from the peers (`peer`): a peer exists for a node this
//! one talks to, while every node that beats is a member. The members are
//! what [`NatsNode::cluster_nodes`](crate::NatsNode::cluster_nodes) lists
//! (but for observers, whose heartbeat says what they are: a `Pong`
//! where a member beats with a `Ping`) and what decides which nodes'
//! names the survivors free (observers' too).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actium_core::{Clock, NodeId};

/// The most members one node tracks: a publisher cannot make a node grow
/// without bound by beating under ever new node ids.
const MAX_MEMBERS: usize = 4096;

pub(crate) struct Members {
    clock: Clock,
    /// When this node joined: before a heartbeat timeout has passed, a
    /// node not heard yet may simply not have beaten yet.
    joined: Instant,
    /// Each member, and when it was last heard.
    heard: Mutex<HashMap<NodeId, Heard>>,
}

/// When a member was last heard, and whether it beats as an observer.
#[derive(Clone, Copy)]
struct Heard {
    at: Instant,
    observer: bool,
}

impl Members {
    pub(crate) fn new(clock: Clock) -> Self {
        Members {
            joined: clock.now(),
            clock,
            heard: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<NodeId, Heard>> {
        self.heard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Node `node` beat (as an observer, if `observer`): it is a member.
    pub(crate) fn heard(&self, node: NodeId, observer: bool) {
        let at = self.clock.now();
        let mut heard = self.lock();
        if heard.len() < MAX_MEMBERS || heard.contains_key(&node) {
            heard.insert(node, Heard { at, observer });
        }
    }

    /// Node `node` said goodbye. Whether it was a member.
    pub(crate) fn left(&self, node: NodeId) -> bool {
        self.lock().remove(&node).is_some()
    }

    /// Every member heard now, as after an outage of this node's own
    /// connection: its silence was ours, not theirs.
    pub(crate) fn heard_all(&self) {
        let now = self.clock.now();
        for heard in self.lock().values_mut() {
            heard.at = now;
        }
    }

    /// Removes and returns the members silent for longer than `timeout`.
    pub(crate) fn expire(&self, timeout: Duration) -> Vec<NodeId> {
        let now = self.clock.now();
        let mut expired = Vec::new();
        self.lock().retain(|node, heard| {
            let alive = now.saturating_duration_since(heard.at) <= timeout;
            if !alive {
                expired.push(*node);
            }
            alive
        });
        expired
    }

    /// Whether `node` may be alive: heard within `timeout`, or this node
    /// joined too recently to tell.
    pub(crate) fn may_be_alive(&self, node: NodeId, timeout: Duration) -> bool {
        let now = self.clock.now();
        if now.saturating_duration_since(self.joined) <= timeout {
            return true;
        }
        self.lock()
            .get(&node)
            .is_some_and(|heard| now.saturating_duration_since(heard.at) <= timeout)
    }

    /// Whether `node` is a member: heard, and not since declared gone.
    pub(crate) fn contains(&self, node: NodeId) -> bool {
        self.lock().contains_key(&node)
    }

    /// The members but observers, sorted.
    pub(crate) fn list(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self
            .lock()
            .iter()
            .filter(|(_, heard)| !heard.observer)
            .map(|(node, _)| *node)
            .collect();
        nodes.sort_by_key(|node| node.as_u64());
        nodes
    }

    /// How many nodes are heard, observers too.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}
