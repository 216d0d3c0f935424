//! A Chord node as an actor: the pseudocode of Stoica et al., "Chord: A
//! Scalable Peer-to-peer Lookup Service for Internet Applications" (SIGCOMM
//! 2001), one method per procedure. `n` is this node, `n1` the paper's n'.
//!
//! Every exported method takes and returns plain data (identifiers, strings,
//! bytes, [`Peer`]s), so the same actor runs many nodes in one process or
//! one node per process (`#[actor(remote)]`; see [`process`](super::process)).

use std::collections::BTreeMap;

use actium::prelude::*;
use tokio::sync::oneshot;

use super::id::{BITS, Id};
use fingers::Fingers;
use route::{call, find_successor, nearest_successor};

pub use super::protocol::{Entry, Found, Hop, LookupError, NodeState, Peer};

mod config;
mod fingers;
mod route;

pub use config::Config;
use config::Pauses;

/// One Chord node: its place on the ring, its routing state and the keys
/// it stores.
pub struct ChordNode {
    id: Id,
    /// This node as a [`Peer`]; set by `create`, before the first message.
    me: Option<Peer>,
    predecessor: Option<Peer>,
    /// The successor list, nearest first, without this node: empty while
    /// it is alone, when its successor is itself.
    successors: Vec<Peer>,
    /// `finger[i]` = successor(n + 2^i).
    fingers: Fingers,
    /// The finger `fix_fingers` looks up next (the paper's `next`).
    next_finger: usize,
    /// The keys this node is responsible for, and replicas of its
    /// predecessors' keys.
    data: BTreeMap<String, Vec<u8>>,
    /// The (predecessor, successor list) seen by the last `stabilize`.
    view: Option<(Option<Id>, Vec<Id>)>,
    pauses: Pauses,
    /// Callers of `next_round`, answered when `fix_fingers` next ends a
    /// round of the whole table.
    round_waiters: Vec<oneshot::Sender<()>>,
    application: Option<AnyRef>,
    config: Config,
}

impl ChordNode {
    /// A node with identifier `id`, alone until it joins a ring.
    pub fn new(id: Id, config: Config) -> Self {
        ChordNode {
            id,
            me: None,
            predecessor: None,
            successors: Vec::new(),
            fingers: Fingers::new(),
            next_finger: 0,
            data: BTreeMap::new(),
            view: None,
            pauses: Pauses {
                stabilize: config.fastest,
                fix_fingers: config.fastest,
                check_predecessor: config.fastest,
            },
            round_waiters: Vec::new(),
            application: None,
            config,
        }
    }

    fn me(&self) -> &Peer {
        // `create` runs before the actor handles any message.
        self.me.as_ref().expect("set by create (on_start)")
    }

    /// successor list = successor, then the successor's own list, cut
    /// where it comes back to n, and to r entries (§5.2). Returns whether
    /// it changed; if so, tells the predecessor at once (see
    /// `successors_changed`).
    fn adopt_successors(
        &mut self,
        ctx: &mut Context<Self>,
        successor: Peer,
        list: Vec<Peer>,
    ) -> bool {
        let n = self.id;
        let successors: Vec<Peer> = std::iter::once(successor)
            .chain(list)
            .take_while(|peer| peer.id != n)
            .take(self.config.successors)
            .collect();
        if successors == self.successors {
            return false;
        }
        self.successors = successors;
        if let Some(predecessor) = &self.predecessor {
            let (me, list) = (self.me().clone(), self.successors.clone());
            self.send(ctx, predecessor, move |node| {
                node.successors_changed(me, list)
            });
        }
        true
    }

    /// Sets the fingers whose start lies within the successor list: the
    /// first successor at or after the start. Returns the first finger
    /// whose start lies beyond the list, and whether a finger changed.
    fn fingers_from_successors(&mut self) -> (usize, bool) {
        let (n, mut changed) = (self.id, false);
        for i in 0..BITS {
            let start = n.finger_start(i);
            let Some(finger) = (self.successors.iter()).find(|s| start.between_incl(n, s.id))
            else {
                return (i, changed);
            };
            changed |= self.fingers.set(i, finger.clone());
        }
        (BITS, changed)
    }

    /// Notes the (predecessor, successor list) this node now has; if they
    /// changed, sends the keys it is responsible for, those in
    /// (predecessor, n], to every node of the list — so every key lives on
    /// its successor and the r nodes after it (§5.2). Returns whether they
    /// changed.
    fn replicate_own_keys(&mut self, ctx: &mut Context<Self>) -> bool {
        let predecessor = self.predecessor.as_ref().map(|p| p.id);
        let view = (predecessor, self.successors.iter().map(|s| s.id).collect());
        if self.view.as_ref() == Some(&view) {
            return false;
        }
        self.view = Some(view);
        // Until a predecessor notifies, the range is unknown: nothing to send.
        if let Some(predecessor) = predecessor {
            let own = entries(&self.data, |key| key.between_incl(predecessor, self.id));
            if !own.is_empty() {
                for successor in &self.successors {
                    let own = own.clone();
                    self.send(ctx, successor, move |node| node.replicate(own));
                }
            }
        }
        true
    }
}

#[actor(remote)]
impl ChordNode {
    /// create(): a new ring of one node, whose successor is itself; starts
    /// the periodic `stabilize`, `fix_fingers` and `check_predecessor`.
    /// Each run schedules the next one when it ends (see
    /// [`Config::slowest`]), so a slow run never overlaps the next.
    #[on_start]
    fn create(&mut self, ctx: &mut Context<Self>) {
        self.me = Some(Peer {
            id: self.id,
            node: ctx.myself(),
        });
        let first = self.config.fastest;
        let me = ctx.myself();
        // Periodic work re-arms itself with `send_after` (the cheapest
        // delayed message in a simulation): a Chord node is never
        // restarted in place, so no second incarnation could inherit a
        // pending run and double the loop (a supervised actor should use
        // `ctx.later`, which its restart cancels).
        ctx.send_after(first, &me, |me| me.stabilize());
        ctx.send_after(first, &me, |me| me.fix_fingers());
        ctx.send_after(first, &me, |me| me.check_predecessor());
    }

    /// n.join(n') (Fig. 7): predecessor = nil; successor =
    /// n'.find_successor(n), walked back at once past any newer nodes the
    /// answer skipped, as `stabilize` does. Then, as Fig. 6 says, "move keys in
    /// (predecessor, n] from successor", and successor.notify(n) at once
    /// rather than at the first `stabilize`, a period later: newcomers
    /// that arrive in one gap within a period then sort themselves in
    /// without waiting a period each.
    #[ask(parallel)]
    pub async fn join(mut this: Reentrant<Self>, n1: Peer) -> Result<(), LookupError> {
        let (n, timeout) = this.with(|node| (node.id, node.config.call_timeout));
        // Each hop of the lookup has its own deadline; the lookup as a
        // whole may take many (a young ring routes along successors), so
        // it gets BITS of them rather than the default ask deadline.
        let limit = timeout * BITS as u32;
        let found = call(&mut this, &n1, move |n1| {
            n1.find_successor(n).timeout(limit)
        })
        .await;
        let found = found
            .map_err(|_| LookupError::Unreachable(n1.id))??
            .successor;
        // The answer may skip newer nodes that its node has not learnt of
        // yet: walk back to the nearest now, not one node a period.
        let successor = nearest_successor(&mut this, n, found.clone())
            .await
            .ok_or(LookupError::Unreachable(found.id))?;
        let keys = call(&mut this, &successor, move |successor| {
            successor.hand_over(n).timeout(timeout)
        })
        .await;
        let keys = keys.map_err(|_| LookupError::Unreachable(successor.id))?;
        // "A newly joined node n can ask an immediate neighbor for a copy
        // of its complete finger table ... as hints" (§4.4): the fingers
        // start out near right, where the lookups of `fix_fingers` would
        // fill them one a period.
        let hints = call(&mut this, &successor, move |successor| {
            successor.fingers().timeout(timeout)
        })
        .await;
        let hints = hints.unwrap_or_default();
        this.with_context(|node, ctx| {
            node.predecessor = None;
            let _changed = node.adopt_successors(ctx, successor.clone(), Vec::new());
            node.data.extend(keys.into_iter().map(|e| (e.key, e.value)));
            let known = hints.into_iter().chain(std::iter::once(successor.clone()));
            node.fingers.hint(n, known);
            let me = node.me().clone();
            node.send(ctx, &successor, move |to| to.notify(me));
        });
        Ok(())
    }

    /// n.find_successor(id) (Fig. 4): the node responsible for `id`, and
    /// the path length.
    #[ask(parallel)]
    pub async fn find_successor(mut this: Reentrant<Self>, id: Id) -> Result<Found, LookupError> {
        find_successor(&mut this, id).await
    }

    /// n.closest_preceding_finger(id) (Fig. 4): the finger closest before
    /// `id`, or n itself. The successor list stands in for fingers not yet
    /// fixed (§5.2).
    #[ask]
    pub fn closest_preceding_finger(&self, id: Id) -> Peer {
        // for i = m downto 1: if (finger[i].node ∈ (n, id)) return finger[i].node
        let fingers = self.fingers.descending();
        let successors = self.successors.iter().rev();
        let closest = fingers
            .chain(successors)
            .find(|f| f.id.between(self.id, id));
        closest.unwrap_or(self.me()).clone()
    }

    /// The next node on `key`'s lookup path, for a layer that routes along
    /// Chord's paths (Scribe): [`Hop::Here`] if n is `key`'s successor.
    #[ask]
    pub fn next_hop(&self, key: Id) -> Hop {
        let successor = self.successor();
        let mine = |p: &Peer| key.between_incl(p.id, self.id);
        if self.successors.is_empty() || self.predecessor.as_ref().is_some_and(mine) {
            Hop::Here
        } else if key.between_incl(self.id, successor.id) {
            Hop::Next(successor)
        } else {
            Hop::Next(self.closest_preceding_finger(key))
        }
    }

    /// Attaches a layer's actor (Scribe's) to this node: see [`application`](Self::application).
    #[tell]
    pub fn attach(&mut self, application: AnyRef) {
        self.application = Some(application);
    }

    /// The actor attached to this node, if any.
    #[ask]
    pub fn application(&self) -> Option<AnyRef> {
        self.application.clone()
    }

    /// This node's fingers, each node once: what a newcomer takes as
    /// hints for its own (§4.4).
    #[ask]
    pub fn fingers(&self) -> Vec<Peer> {
        self.fingers.descending().cloned().collect()
    }

    /// The paper's variable lookup `n'.successor`.
    #[ask]
    pub fn successor(&self) -> Peer {
        self.successors.first().unwrap_or(self.me()).clone()
    }

    /// The paper's variable lookup `n'.predecessor`.
    #[ask]
    pub fn predecessor(&self) -> Option<Peer> {
        self.predecessor.clone()
    }

    /// This node's successor list (§5.2), nearest first.
    #[ask]
    pub fn successor_list(&self) -> Vec<Peer> {
        self.successors.clone()
    }

    /// n.stabilize() (Fig. 7), periodic: verify n's immediate successor,
    /// walking back through its predecessors to the nearest (Fig. 7 takes
    /// one step a run), and tell the successor about n. With §5.2: copy the successor's list,
    /// and replace a failed successor with the next entry of the list.
    #[tell(parallel)]
    pub async fn stabilize(mut this: Reentrant<Self>) {
        let (n, successor, timeout) = this.with(|node| {
            (
                node.me().clone(),
                node.successor(),
                node.config.call_timeout,
            )
        });
        // x = successor.predecessor; if (x ∈ (n, successor)) successor = x,
        // until no x lies between (see `nearest_successor`).
        match nearest_successor(&mut this, n.id, successor.clone()).await {
            Some(new) => {
                let list = call(&mut this, &new, move |new| {
                    new.successor_list().timeout(timeout)
                });
                if let Ok(list) = list.await {
                    // A join may have replaced the successor while this run
                    // awaited: then its view is stale, and the next run
                    // starts from the new one; and successor.notify(n).
                    this.with_context(|node, ctx| {
                        if node.successor() == successor {
                            let _changed = node.adopt_successors(ctx, new.clone(), list);
                        }
                        node.send(ctx, &new, move |to| to.notify(n));
                    });
                }
            }
            None => this.with(|node| node.successors.retain(|s| *s != successor)),
        }
        this.with_context(|node, ctx| {
            let changed = node.replicate_own_keys(ctx);
            node.pauses.stabilize = node.config.pause(node.pauses.stabilize, changed);
            ctx.send_after(node.pauses.stabilize, &ctx.myself(), |me| me.stabilize());
        });
    }

    /// n.notify(n') (Fig. 7): n' thinks it might be our predecessor.
    ///
    /// When n' joined between the old predecessor and n, n also tells the
    /// old predecessor, which would otherwise learn of n' only at its next
    /// `stabilize`.
    #[tell]
    pub fn notify(&mut self, ctx: &mut Context<Self>, n1: Peer) {
        // if (predecessor is nil or n' ∈ (predecessor, n)) predecessor = n'
        if (self.predecessor.as_ref()).is_none_or(|p| n1.id.between(p.id, self.id)) {
            if let Some(old) = self.predecessor.replace(n1.clone()) {
                let list = std::iter::once(self.me().clone()).chain(self.successors.clone());
                let list: Vec<Peer> = list.collect();
                self.send(ctx, &old, move |to| to.successors_changed(n1, list));
            }
        }
    }

    /// What `stabilize` would pull, pushed: `successor`'s list is now
    /// `list`. Adopted if `successor` is this node's successor, or a node
    /// that joined between the two (then notified, as `stabilize` would).
    /// A changed list is pushed on to the predecessor in turn, so a change
    /// reaches the r nodes before it in r messages, not r periods.
    #[tell]
    pub fn successors_changed(
        &mut self,
        ctx: &mut Context<Self>,
        successor: Peer,
        list: Vec<Peer>,
    ) {
        let current = self.successor();
        if successor == current || successor.id.between(self.id, current.id) {
            let n = self.me().clone();
            if self.adopt_successors(ctx, successor.clone(), list) && successor != current {
                self.send(ctx, &successor, move |to| to.notify(n));
            }
        }
    }

    /// `n.fix_fingers()` (Fig. 7), periodic: `next = next + 1;
    /// finger[next].node = find_successor(finger[next].start)` — one
    /// lookup a run, as the paper does.
    ///
    /// Two shortcuts keep a round of the whole table short: the fingers
    /// whose start lies within the successor list are read off it (no
    /// message), and the fingers after `finger[next]` whose start lies in
    /// `(n, finger[next].node]` are that node too — no node can lie
    /// between, the test of Fig. 6's init_finger_table — so `next` skips
    /// them. A round is then about log2(N / r) runs, each one lookup,
    /// where refreshing the whole table every run cost that many lookups
    /// a run. [`next_round`](Self::next_round) waits for a round's end.
    #[tell(parallel)]
    pub async fn fix_fingers(mut this: Reentrant<Self>) {
        let (n, next, mut changed) = this.with(|node| {
            let (beyond, changed) = node.fingers_from_successors();
            (node.id, node.next_finger.max(beyond), changed)
        });
        let mut after = next + 1;
        if next < BITS {
            let found = find_successor(&mut this, n.finger_start(next)).await;
            if let Ok(Found {
                successor: finger, ..
            }) = found
            {
                changed |= this.with(|node| node.fingers.set(next, finger.clone()));
                while after < BITS && n.finger_start(after).between_incl(n, finger.id) {
                    changed |= this.with(|node| node.fingers.set(after, finger.clone()));
                    after += 1;
                }
            }
        }
        this.with_context(|node, ctx| {
            node.next_finger = after;
            if after >= BITS {
                node.next_finger = 0;
                for waiter in node.round_waiters.drain(..) {
                    let _ = waiter.send(());
                }
            }
            node.pauses.fix_fingers = node.config.pause(node.pauses.fix_fingers, changed);
            ctx.send_after(node.pauses.fix_fingers, &ctx.myself(), |me| {
                me.fix_fingers()
            });
        });
    }

    /// n.check_predecessor() (the journal version's stabilisation figure),
    /// periodic: if the predecessor has failed, predecessor = nil.
    #[tell(parallel)]
    pub async fn check_predecessor(mut this: Reentrant<Self>) {
        let mut failed = false;
        let (predecessor, timeout) =
            this.with(|node| (node.predecessor.clone(), node.config.call_timeout));
        if let Some(predecessor) = predecessor {
            let alive = call(&mut this, &predecessor, move |predecessor| {
                predecessor.alive().timeout(timeout)
            });
            if alive.await.is_err() {
                failed = true;
                // Only if no notify replaced it while we waited.
                this.with(|node| {
                    if node.predecessor.as_ref() == Some(&predecessor) {
                        node.predecessor = None;
                    }
                });
            }
        }
        this.with_context(|node, ctx| {
            let pause = node.config.pause(node.pauses.check_predecessor, failed);
            node.pauses.check_predecessor = pause;
            ctx.send_after(pause, &ctx.myself(), |me| me.check_predecessor());
        });
    }

    /// Leaves the ring voluntarily (the journal version, §IV.E.3): hands
    /// its keys to its successor, tells its predecessor which successors
    /// follow it, and stops. The others would notice a plain stop too,
    /// but only when a call to it failed.
    #[tell]
    pub fn leave(&mut self, ctx: &mut Context<Self>) {
        let n = self.me().clone();
        if let Some((successor, rest)) = self.successors.split_first() {
            let _ = successor.node.replicate(entries(&self.data, |_| true));
            if let Some(predecessor) = &self.predecessor {
                let _ = predecessor
                    .node
                    .departed(n, successor.clone(), rest.to_vec());
            }
        }
        ctx.stop();
    }

    /// n' left the ring; `successor`, then `list`, followed it. If n' was
    /// this node's successor, they are its successors now.
    #[tell]
    pub fn departed(
        &mut self,
        ctx: &mut Context<Self>,
        n1: Peer,
        successor: Peer,
        list: Vec<Peer>,
    ) {
        if self.successor() == n1 {
            let n = self.me().clone();
            if self.adopt_successors(ctx, successor.clone(), list) {
                self.send(ctx, &successor, move |to| to.notify(n));
            }
        }
    }

    /// Answers if this node is alive: what `check_predecessor` asks.
    #[ask]
    pub fn alive(&self) {}

    /// The keys a node joining just before n takes over: every key n holds
    /// outside (joiner, n]. n keeps them: it is now the joiner's first
    /// replica.
    #[ask]
    pub fn hand_over(&self, joiner: Id) -> Vec<Entry> {
        entries(&self.data, |key| !key.between_incl(joiner, self.id))
    }

    /// Stores `value` under `key` in the ring: on the key's successor, which
    /// copies it to its successor list.
    #[ask(parallel)]
    pub async fn put(
        mut this: Reentrant<Self>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), LookupError> {
        let timeout = this.with(|node| node.config.call_timeout);
        let owner = find_successor(&mut this, Id::hash(&key)).await?.successor;
        let stored = call(&mut this, &owner, move |owner| {
            owner.store(key, value).timeout(timeout)
        });
        let stored = stored.await;
        stored.map_err(|_| LookupError::Unreachable(owner.id))
    }

    /// The value stored under `key` in the ring, if any.
    #[ask(parallel)]
    pub async fn get(
        mut this: Reentrant<Self>,
        key: String,
    ) -> Result<Option<Vec<u8>>, LookupError> {
        let timeout = this.with(|node| node.config.call_timeout);
        let owner = find_successor(&mut this, Id::hash(&key)).await?.successor;
        let value = call(&mut this, &owner, move |owner| {
            owner.fetch(key).timeout(timeout)
        });
        let value = value.await;
        value.map_err(|_| LookupError::Unreachable(owner.id))
    }

    /// Keeps `key` as the node responsible for it, and sends a replica to
    /// each node of the successor list.
    #[ask]
    pub fn store(&mut self, ctx: &mut Context<Self>, key: String, value: Vec<u8>) {
        let entry = vec![Entry { key, value }];
        for successor in &self.successors {
            let entry = entry.clone();
            self.send(ctx, successor, move |to| to.replicate(entry));
        }
        self.data
            .extend(entry.into_iter().map(|e| (e.key, e.value)));
    }

    /// The value this node holds under `key`.
    #[ask]
    pub fn fetch(&self, key: String) -> Option<Vec<u8>> {
        self.data.get(&key).cloned()
    }

    /// Keeps replicas of a predecessor's keys.
    #[tell]
    pub fn replicate(&mut self, entries: Vec<Entry>) {
        self.data
            .extend(entries.into_iter().map(|e| (e.key, e.value)));
    }

    /// This node's routing state, by identifiers.
    #[ask]
    pub fn state(&self) -> NodeState {
        let p = &self.pauses;
        NodeState {
            id: self.id,
            predecessor: self.predecessor.as_ref().map(|p| p.id),
            successors: self.successors.iter().map(|s| s.id).collect(),
            fingers: self.fingers.ids(),
            keys: self.data.len(),
            quiet: [p.stabilize, p.fix_fingers, p.check_predecessor] == [self.config.slowest; 3],
        }
    }

    /// Waits until this node's `fix_fingers` next ends a round of the
    /// whole finger table, then
    /// reports its state: how a driver waits for a ring to settle without
    /// sleeping.
    #[ask(parallel)]
    pub async fn next_round(mut this: Reentrant<Self>) -> NodeState {
        let (done, round) = oneshot::channel();
        this.with(|node| node.round_waiters.push(done));
        // The sender lives in the state, which the actor drops only after
        // its parallel methods: it never goes away unanswered.
        let _ = round.await;
        this.with(|node| node.state())
    }
}

/// The entries of `data` whose key's identifier satisfies `wanted`.
fn entries(data: &BTreeMap<String, Vec<u8>>, wanted: impl Fn(Id) -> bool) -> Vec<Entry> {
    data.iter()
        .filter(|(key, _)| wanted(Id::hash(key)))
        .map(|(key, value)| Entry {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}
