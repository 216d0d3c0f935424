//! The links and monitors that cross to other nodes, by node, so that a
//! lost connection can fire all of them.
//!
//! A link between a local actor `L` and a remote `R` lives in `L`'s cell
//! as a proxy for `R` (and on `R`'s node as a proxy for `L`); this table
//! remembers the pair so that when `R`'s node becomes unreachable, `L`
//! gets `Exit { R, NoConnection }` even though no signal can come from
//! `R`. Monitors likewise, in both directions.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::base::{ActorId, ActorLabel, MonitorRef, NodeId};

#[derive(Default)]
pub(crate) struct RemoteRelations {
    nodes: Mutex<BTreeMap<NodeId, NodeRelations>>,
}

/// What crosses to one node.
#[derive(Default)]
pub(crate) struct NodeRelations {
    /// Links: (local actor, remote actor) → the remote actor's label.
    pub(crate) links: BTreeMap<(u64, u64), ActorLabel>,
    /// Local watchers of remote actors: monitor id → (watcher's local id,
    /// the watched remote actor).
    pub(crate) watching: BTreeMap<u64, (u64, ActorLabel)>,
    /// Remote watchers of local actors: their monitor id → (the watched
    /// local actor, our monitor id for it).
    pub(crate) watched_by: BTreeMap<u64, (u64, MonitorRef)>,
}

impl NodeRelations {
    fn is_empty(&self) -> bool {
        self.links.is_empty() && self.watching.is_empty() && self.watched_by.is_empty()
    }
}

impl RemoteRelations {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<NodeId, NodeRelations>> {
        // Only map operations run under this lock.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update<T>(&self, node: NodeId, change: impl FnOnce(&mut NodeRelations) -> T) -> T {
        let mut nodes = self.lock();
        let relations = nodes.entry(node).or_default();
        let result = change(relations);
        if relations.is_empty() {
            nodes.remove(&node);
        }
        result
    }

    pub(crate) fn add_link(&self, local: ActorId, remote: ActorLabel) {
        self.update(remote.id().node(), |r| {
            r.links.insert((local.local(), remote.id().local()), remote);
        });
    }

    /// Removes a link; returns the remote actor's label if it was there.
    pub(crate) fn remove_link(&self, local: ActorId, remote: ActorId) -> Option<ActorLabel> {
        self.update(remote.node(), |r| {
            r.links.remove(&(local.local(), remote.local()))
        })
    }

    pub(crate) fn add_watching(&self, monitor: MonitorRef, watcher: ActorId, target: ActorLabel) {
        self.update(target.id().node(), |r| {
            r.watching.insert(monitor.0, (watcher.local(), target));
        });
    }

    /// Removes a monitor of a remote actor; returns its watcher and the
    /// watched actor if it was still active.
    pub(crate) fn remove_watching(&self, node: NodeId, monitor: u64) -> Option<(u64, ActorLabel)> {
        self.update(node, |r| r.watching.remove(&monitor))
    }

    pub(crate) fn add_watched_by(
        &self,
        node: NodeId,
        monitor: u64,
        target: ActorId,
        local: MonitorRef,
    ) {
        self.update(node, |r| {
            r.watched_by.insert(monitor, (target.local(), local));
        });
    }

    /// Removes a remote watcher's monitor; returns the watched local actor
    /// and our id for the monitor.
    pub(crate) fn remove_watched_by(
        &self,
        node: NodeId,
        monitor: u64,
    ) -> Option<(u64, MonitorRef)> {
        self.update(node, |r| r.watched_by.remove(&monitor))
    }

    /// Whether any link or monitor crosses to `node`.
    pub(crate) fn involves(&self, node: NodeId) -> bool {
        self.lock().contains_key(&node)
    }

    /// Everything that crossed to `node`, now forgotten.
    pub(crate) fn take(&self, node: NodeId) -> NodeRelations {
        self.lock().remove(&node).unwrap_or_default()
    }
}
