//! How a Scribe node keeps its part of each tree: joining, adopting
//! children, pruning, agreeing with Chord on roots, and passing messages
//! down.

use actium::prelude::*;

use super::{ScribeNode, Topic};
use crate::chord::{Id, Peer};
use crate::scribe::protocol::{Delivery, Member, Message};

impl ScribeNode {
    pub(super) fn me(&self) -> Member {
        // `start` runs before the actor handles any message.
        self.me.clone().expect("set by start (on_start)")
    }

    pub(super) fn watch(&mut self, ctx: &mut Context<Self>, member: &Member) {
        if member.id != self.id && self.monitored.insert(member.scribe.id()) {
            ctx.monitor(&member.scribe);
        }
        self.known.insert(member.id, member.scribe.clone());
    }

    /// Starts a join of `topic` towards its root, unless one is on its way
    /// or the node is in the tree.
    pub(super) fn join_tree(&mut self, ctx: &mut Context<Self>, topic: Id) {
        self.joins += 1;
        let attempt = self.joins;
        let Some(state) = self.topics.get_mut(&topic) else {
            return;
        };
        if state.in_tree() || state.joining.is_some() {
            return;
        }
        state.joining = Some((attempt, None));
        let _ = ctx.myself().route_join(topic, attempt);
        let _ = ctx.later(self.config.join_timeout, move |me| {
            me.join_expired(topic, attempt)
        });
    }

    /// `topic`'s state, if the join numbered `attempt` is still the one on
    /// its way.
    pub(super) fn joining(&mut self, topic: Id, attempt: u64) -> Option<&mut Topic> {
        let state = self.topics.get_mut(&topic)?;
        (state.joining.map(|(n, _)| n) == Some(attempt)).then_some(state)
    }

    /// Drops the join numbered `attempt`, which could not be sent: the
    /// next periodic check starts another.
    pub(super) fn give_up(&mut self, topic: Id, attempt: u64) {
        if let Some(state) = self.joining(topic, attempt) {
            state.joining = None;
        }
    }

    /// The node is in `topic`'s tree now: tells the children waiting for
    /// it, and the callers of `subscribe`.
    pub(super) fn attached(&mut self, topic: Id) {
        let me = self.me();
        let Some(state) = self.topics.get_mut(&topic) else {
            return;
        };
        for child in std::mem::take(&mut state.pending) {
            if let Some(child) = state.children.get(&child) {
                let _ = child.scribe.joined(topic, me.clone());
            }
        }
        state.direct = false;
        for waiter in state.attached.drain(..) {
            let _ = waiter.send(());
        }
    }

    /// Leaves `topic`'s tree if the node has no reason to be in it: no
    /// subscription and no children.
    pub(super) fn prune(&mut self, topic: Id) {
        let me = self.me().id;
        if let Some(state) = self.topics.get(&topic) {
            if !state.wanted() && state.attached.is_empty() {
                if let Some(parent) = &state.parent {
                    let _ = parent.scribe.leave(topic, me);
                }
                self.topics.remove(&topic);
            }
        }
    }

    /// Makes the roots agree with Chord, given this node's predecessor: a
    /// root of a topic outside (predecessor, n] stops being one (and
    /// rejoins), and a node of a tree inside it becomes its root, leaving
    /// its parent — the new root after the old one died, which may have
    /// been below an orphan that has since joined under it.
    pub(super) fn check_roots(&mut self, predecessor: Id) {
        let (n, me) = (self.id, self.me());
        for (topic, state) in &mut self.topics {
            let here = topic.between_incl(predecessor, n);
            if state.root && !here {
                (state.root, state.direct) = (false, true);
            } else if !state.root && here && state.in_tree() {
                if let Some(parent) = state.parent.take() {
                    let _ = parent.scribe.leave(*topic, me.id);
                }
                (state.root, state.joining) = (true, None);
            }
        }
    }

    /// Delivers `message` here if the node subscribes, and sends it on to
    /// every child, once: a message number already seen from its publisher
    /// is dropped.
    pub(super) fn multicast(&mut self, message: Message, depth: u32) {
        let Some(state) = self.topics.get_mut(&message.topic) else {
            return;
        };
        let last = state.last.entry(message.publisher).or_default();
        if message.seq <= *last {
            return;
        }
        *last = message.seq;
        for child in state.children.values() {
            *self.traffic.entry(child.id).or_default() += 1;
            let _ = child.scribe.deliver(message.clone(), depth + 1);
        }
        if state.subscribed {
            state.delivered.push(Delivery {
                publisher: message.publisher,
                seq: message.seq,
                depth,
                payload: message.payload,
            });
            let count = state.delivered.len();
            let (done, waiting) = std::mem::take(&mut state.deliveries)
                .into_iter()
                .partition(|(wanted, _)| *wanted <= count);
            state.deliveries = waiting;
            for (_, waiter) in done {
                let _ = waiter.send(count);
            }
        }
    }
}

/// The Scribe node of the Chord node `peer`, from `this` node's cache or
/// by asking `peer` for the actor attached to it.
pub(super) async fn resolve(
    this: &mut Reentrant<ScribeNode>,
    peer: &Peer,
) -> Option<ActorRef<ScribeNode>> {
    let (known, timeout) =
        this.with(|node| (node.known.get(&peer.id).cloned(), node.config.call_timeout));
    if known.is_some() {
        return known;
    }
    let attached = peer.node.application().timeout(timeout).await.ok()??;
    let scribe = attached.downcast::<ScribeNode>()?;
    this.with(|node| node.known.insert(peer.id, scribe.clone()));
    Some(scribe)
}
