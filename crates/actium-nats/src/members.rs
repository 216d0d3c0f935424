//! Which nodes of the cluster are alive, as this node hears them: every
//! node's heartbeat reaches every node on the cluster's alive subject, so
//! each node knows the whole cluster without asking anyone.
//!
//! This is apart from the peers (`peer`): a peer exists for a node this
//! one talks to, while every node that beats is a member. The members are
//! what [`NatsNode::cluster_nodes`](crate::NatsNode::cluster_nodes) lists
//! and what decides which nodes' names the survivors free.

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
    heard: Mutex<HashMap<NodeId, Instant>>,
}

impl Members {
    pub(crate) fn new(clock: Clock) -> Self {
        Members {
            joined: clock.now(),
            clock,
            heard: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<NodeId, Instant>> {
        self.heard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Node `node` was heard: it is a member.
    pub(crate) fn heard(&self, node: NodeId) {
        let now = self.clock.now();
        let mut heard = self.lock();
        if heard.len() < MAX_MEMBERS || heard.contains_key(&node) {
            heard.insert(node, now);
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
            *heard = now;
        }
    }

    /// Removes and returns the members silent for longer than `timeout`.
    pub(crate) fn expire(&self, timeout: Duration) -> Vec<NodeId> {
        let now = self.clock.now();
        let mut expired = Vec::new();
        self.lock().retain(|node, heard| {
            let alive = now.saturating_duration_since(*heard) <= timeout;
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
            .is_some_and(|heard| now.saturating_duration_since(*heard) <= timeout)
    }

    /// Whether `node` is a member: heard, and not since declared gone.
    pub(crate) fn contains(&self, node: NodeId) -> bool {
        self.lock().contains_key(&node)
    }

    /// The members, sorted.
    pub(crate) fn list(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self.lock().keys().copied().collect();
        nodes.sort_by_key(|node| node.as_u64());
        nodes
    }
}
