//! A Scribe node as an actor, beside the node's [`ChordNode`]: Castro,
//! Druschel, Kermarrec and Rowstron, "Scribe: A large-scale and
//! decentralized application-level multicast infrastructure" (IEEE JSAC,
//! 2002), with Chord's lookup paths where the paper has Pastry's routes.
//!
//! - **subscribe**: the node routes a JOIN towards the topic's identifier,
//!   one hop at a time along Chord's lookup path ([`ChordNode::next_hop`]).
//!   Each node on the path adds the previous hop as a child; a node already
//!   in the tree stops the join, and so does the root, the topic's Chord
//!   successor. Each parent answers its child (`joined`).
//! - **publish**: the publisher looks the root up and hands it the message,
//!   which goes down the tree, every forwarder sending it to its children.
//! - **repair**: every node monitors its parent and its children. A child
//!   whose parent died routes a new JOIN, around the dead node once Chord
//!   has repaired itself; the root's children do the same, and the join
//!   ends at the topic's new successor, the new root. A periodic check
//!   (`maintain`) retries joins that were lost, makes the node Chord names
//!   the successor the root (leaving its old parent: it may have been
//!   below an orphan that re-joined under it), and makes a root that Chord
//!   no longer names join the new root directly.
//!
//! Known limit: a node that re-joins is not told if its new parent lies in
//! its own subtree anywhere but at the root (see `docs/EXAMPLES.md`); in
//! Chord a re-join only moves clockwise towards the topic, away from the
//! node's descendants, except for that last hop.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use actium::prelude::*;
use tokio::sync::oneshot;

use super::protocol::{Config, Delivery, Member, Message, PublishError, TreeState};
use crate::chord::id::BITS;
use crate::chord::{ChordNode, Hop, Id};
use tree::resolve;

mod tree;

/// One node's part of one topic's tree.
#[derive(Default)]
struct Topic {
    subscribed: bool,
    root: bool,
    parent: Option<Member>,
    children: BTreeMap<Id, Member>,
    /// The join on its way: its number, and the node it was sent to once
    /// it has been.
    joining: Option<(u64, Option<Id>)>,
    /// Whether the next join goes straight to the node Chord names the
    /// root rather than hop by hop: for a root that stopped being one,
    /// whose own subtree lies on its way round the ring.
    direct: bool,
    /// Children not yet told that this node is their parent: they are
    /// told once this node is in the tree itself.
    pending: BTreeSet<Id>,
    /// The last message number forwarded, per publisher.
    last: BTreeMap<Id, u64>,
    /// What this node received as a subscriber, in order.
    delivered: Vec<Delivery>,
    /// Callers of `subscribe`, answered once the node is in the tree.
    attached: Vec<oneshot::Sender<()>>,
    /// Callers of `wait_deliveries`: answered once `delivered` holds the
    /// count each waits for.
    deliveries: Vec<(usize, oneshot::Sender<usize>)>,
}

impl Topic {
    fn in_tree(&self) -> bool {
        self.root || self.parent.is_some()
    }

    /// Whether the node has a reason to be in the tree.
    fn wanted(&self) -> bool {
        self.subscribed || !self.children.is_empty()
    }
}

/// One Scribe node: the trees it is part of, beside its Chord node.
pub struct ScribeNode {
    id: Id,
    chord: ActorRef<ChordNode>,
    /// This node as a [`Member`]; set by `start`, before the first message.
    me: Option<Member>,
    topics: BTreeMap<Id, Topic>,
    /// The Scribe nodes met so far, by Chord identifier.
    known: HashMap<Id, ActorRef<ScribeNode>>,
    monitored: HashSet<ActorId>,
    /// Whether the node repairs its trees; a driver turns it off to measure
    /// a tree right after a failure.
    repair: bool,
    joins: u64,
    published: u64,
    /// Copies of published messages this node sent, per receiving node.
    traffic: BTreeMap<Id, u64>,
    /// Callers of `next_maintenance`.
    maintenance_waiters: Vec<oneshot::Sender<()>>,
    config: Config,
}

impl ScribeNode {
    /// The Scribe node beside the Chord node `chord`, whose identifier is
    /// `id`. It attaches itself to the Chord node when it starts, and is
    /// linked to it: the two fail together.
    pub fn new(id: Id, chord: ActorRef<ChordNode>, config: Config) -> Self {
        ScribeNode {
            id,
            chord,
            me: None,
            topics: BTreeMap::new(),
            known: HashMap::new(),
            monitored: HashSet::new(),
            repair: true,
            joins: 0,
            published: 0,
            traffic: BTreeMap::new(),
            maintenance_waiters: Vec::new(),
            config,
        }
    }
}

fn node_id(this: &mut Reentrant<ScribeNode>) -> Id {
    this.with(|node| node.id)
}

#[actor(remote)]
impl ScribeNode {
    /// Attaches this node to its Chord node, links the two, and starts the
    /// periodic `maintain`.
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        self.me = Some(Member {
            id: self.id,
            scribe: ctx.myself(),
        });
        ctx.link(&self.chord);
        let _ = self.chord.attach(AnyRef::from(&ctx.myself()));
        let _ = ctx.later(self.config.maintenance, |me| me.maintain());
    }

    /// Subscribes this node to `topic`; answers once the node is in the
    /// topic's tree. Give the call a deadline: while Chord repairs itself,
    /// the join is retried every [`Config::join_timeout`].
    #[ask(parallel)]
    pub async fn subscribe(mut this: Reentrant<Self>, topic: String) {
        let id = Id::hash(&topic);
        let (done, attached) = oneshot::channel();
        this.with_context(|node, ctx| {
            let state = node.topics.entry(id).or_default();
            state.subscribed = true;
            if state.in_tree() {
                let _ = done.send(());
            } else {
                state.attached.push(done);
                node.join_tree(ctx, id);
            }
        });
        // The sender lives in the state, dropped only when the actor stops.
        let _ = attached.await;
    }

    /// Stops delivering `topic` here; leaves its tree unless the node
    /// forwards it to children.
    #[tell]
    pub fn unsubscribe(&mut self, topic: String) {
        let id = Id::hash(&topic);
        if let Some(state) = self.topics.get_mut(&id) {
            state.subscribed = false;
            self.prune(id);
        }
    }

    /// Publishes `payload` on `topic`: looks the topic's root up through
    /// Chord and hands it the message, which goes down the tree. Returns
    /// the message's number once the root has it.
    ///
    /// A node's messages are delivered in the order of their numbers, and
    /// one overtaken by a later one is dropped: publish one at a time
    /// (await each) for every message to arrive in order.
    #[ask(parallel)]
    pub async fn publish(
        mut this: Reentrant<Self>,
        topic: String,
        payload: Vec<u8>,
    ) -> Result<u64, PublishError> {
        let topic = Id::hash(&topic);
        let (chord, me, timeout) =
            this.with(|node| (node.chord.clone(), node.id, node.config.call_timeout));
        let lookup_error = |error: String| PublishError::Lookup { topic, error };
        let found = chord
            .find_successor(topic)
            .timeout(timeout * BITS as u32)
            .await;
        let found = found.map_err(|e| lookup_error(e.to_string()))?;
        let root = found.map_err(|e| lookup_error(e.to_string()))?.successor;
        let scribe = resolve(&mut this, &root).await;
        let scribe = scribe.ok_or(PublishError::Unreachable(root.id))?;
        let seq = this.with(|node| {
            node.published += 1;
            if root.id != me {
                *node.traffic.entry(root.id).or_default() += 1;
            }
            node.published
        });
        let message = Message {
            topic,
            publisher: me,
            seq,
            payload,
        };
        let accepted = scribe.accept(message).timeout(timeout).await;
        match accepted.map_err(|_| PublishError::Unreachable(root.id))? {
            true => Ok(seq),
            false => Err(PublishError::NotRoot(root.id)),
        }
    }

    /// Takes a message as the root of its topic and sends it down the
    /// tree. Answers `false` if this node is in the topic's tree but not
    /// its root (the tree is being repaired); a node with no part in the
    /// tree has no subscribers below it and takes the message.
    #[ask]
    pub fn accept(&mut self, message: Message) -> bool {
        match self.topics.get(&message.topic) {
            Some(state) if !state.root => false,
            Some(_) => {
                self.multicast(message, 0);
                true
            }
            None => true,
        }
    }

    /// A message from this node's parent in the tree, `depth` edges below
    /// the root.
    #[tell]
    pub fn deliver(&mut self, message: Message, depth: u32) {
        self.multicast(message, depth);
    }

    /// Routes this node's join of `topic` one hop towards its root: the
    /// next node on Chord's lookup path, or no further if this node is
    /// the topic's successor, which makes it the root.
    #[tell(parallel)]
    pub async fn route_join(mut this: Reentrant<Self>, topic: Id, attempt: u64) {
        let (chord, timeout) = this.with(|node| (node.chord.clone(), node.config.call_timeout));
        let direct = this.with(|node| node.topics.get(&topic).is_some_and(|s| s.direct));
        let hop = if direct {
            let found = chord
                .find_successor(topic)
                .timeout(timeout * BITS as u32)
                .await;
            match found {
                Ok(Ok(found)) if found.successor.id == node_id(&mut this) => Ok(Hop::Here),
                Ok(Ok(found)) => Ok(Hop::Next(found.successor)),
                _ => Err(()),
            }
        } else {
            chord.next_hop(topic).timeout(timeout).await.map_err(drop)
        };
        match hop {
            Ok(Hop::Here) => this.with(|node| {
                if let Some(state) = node.joining(topic, attempt) {
                    (state.joining, state.root) = (None, true);
                    node.attached(topic);
                }
            }),
            Ok(Hop::Next(next)) => match resolve(&mut this, &next).await {
                Some(scribe) => this.with_context(|node, ctx| {
                    let me = node.me();
                    if let Some(state) = node.joining(topic, attempt) {
                        state.joining = Some((attempt, Some(next.id)));
                        if scribe.join(topic, me).is_ok() {
                            node.watch(
                                ctx,
                                &Member {
                                    id: next.id,
                                    scribe,
                                },
                            );
                        } else {
                            // Gone since it was cached: try again later.
                            node.known.remove(&next.id);
                            node.give_up(topic, attempt);
                        }
                    }
                }),
                // Chord named a node that is gone: the periodic check
                // tries again, once Chord has routed around it.
                None => this.with(|node| node.give_up(topic, attempt)),
            },
            Err(()) => this.with(|node| node.give_up(topic, attempt)),
        }
    }

    /// A join of `topic` from `child`: adopts it, and answers it at once if
    /// this node is in the tree, or once its own join has arrived.
    #[tell]
    pub fn join(&mut self, ctx: &mut Context<Self>, topic: Id, child: Member) {
        if child.id == self.id {
            return;
        }
        let state = self.topics.entry(topic).or_default();
        // A node never adopts its own parent: a join routed on stale
        // fingers must not close a cycle. The child retries later.
        if state.parent.as_ref().is_some_and(|p| p.id == child.id) {
            return;
        }
        state.children.insert(child.id, child.clone());
        state.pending.insert(child.id);
        self.watch(ctx, &child);
        if self.topics.get(&topic).is_some_and(Topic::in_tree) {
            self.attached(topic);
        } else {
            self.join_tree(ctx, topic);
        }
    }

    /// `parent` adopted this node in `topic`'s tree. Kept only if it
    /// answers the join on its way; otherwise the parent is told to let go.
    #[tell]
    pub fn joined(&mut self, ctx: &mut Context<Self>, topic: Id, parent: Member) {
        let me = self.me().id;
        let Some(state) = self.topics.get_mut(&topic) else {
            let _ = parent.scribe.leave(topic, me);
            return;
        };
        if state.joining.and_then(|(_, to)| to) != Some(parent.id) {
            if state.parent.as_ref().is_none_or(|p| p.id != parent.id) {
                let _ = parent.scribe.leave(topic, me);
            }
            return;
        }
        state.joining = None;
        state.children.remove(&parent.id);
        state.pending.remove(&parent.id);
        state.parent = Some(parent.clone());
        self.watch(ctx, &parent);
        self.attached(topic);
    }

    /// `child` left `topic`'s tree; this node leaves it too if it has no
    /// other reason to be in it.
    #[tell]
    pub fn leave(&mut self, topic: Id, child: Id) {
        if let Some(state) = self.topics.get_mut(&topic) {
            state.children.remove(&child);
            state.pending.remove(&child);
            self.prune(topic);
        }
    }

    /// The join numbered `attempt` had no answer in time: it is dropped,
    /// and tried again (if the node repairs its trees).
    #[tell]
    pub fn join_expired(&mut self, ctx: &mut Context<Self>, topic: Id, attempt: u64) {
        let Some(state) = self.topics.get_mut(&topic) else {
            return;
        };
        if state.joining.is_some_and(|(n, _)| n == attempt) {
            state.joining = None;
            if self.repair {
                self.join_tree(ctx, topic);
            }
        }
    }

    /// A parent or a child stopped: a child is forgotten, and a lost
    /// parent starts a new join (if the node repairs its trees).
    #[on_down]
    fn down(&mut self, ctx: &mut Context<Self>, down: Down) {
        let gone = down.actor.id();
        self.monitored.remove(&gone);
        let dead: Vec<Id> = (self.known.iter())
            .filter(|(_, s)| s.id() == gone)
            .map(|(id, _)| *id)
            .collect();
        self.known.retain(|_, scribe| scribe.id() != gone);
        let mut orphaned = Vec::new();
        for (topic, state) in &mut self.topics {
            let lost = |member: &Member| member.scribe.id() == gone;
            let children: Vec<Id> = state
                .children
                .values()
                .filter(|c| lost(c))
                .map(|c| c.id)
                .collect();
            for child in children {
                state.children.remove(&child);
                state.pending.remove(&child);
            }
            if state.parent.as_ref().is_some_and(lost) {
                state.parent = None;
                orphaned.push(*topic);
            }
            // A join sent to the dead node will not be answered.
            if state
                .joining
                .is_some_and(|(_, to)| to.is_some_and(|to| dead.contains(&to)))
            {
                state.joining = None;
                orphaned.push(*topic);
            }
        }
        let topics: Vec<Id> = self.topics.keys().copied().collect();
        for topic in topics {
            self.prune(topic);
        }
        if self.repair {
            for topic in orphaned {
                self.join_tree(ctx, topic);
            }
        }
    }

    /// The periodic check: a node in no tree rejoins (a join was lost), and
    /// a root that Chord no longer names the topic's successor joins the
    /// tree under the new root.
    #[tell(parallel)]
    pub async fn maintain(mut this: Reentrant<Self>) {
        let (chord, timeout, repair) =
            this.with(|node| (node.chord.clone(), node.config.call_timeout, node.repair));
        if repair {
            // Chord's Hop::Here for every topic at once: n is the root of
            // the topics in (predecessor, n].
            let predecessor = chord.predecessor().timeout(timeout).await;
            this.with_context(|node, ctx| {
                if let Ok(Some(predecessor)) = predecessor {
                    node.check_roots(predecessor.id);
                }
                let orphans: Vec<Id> = (node.topics.iter())
                    .filter(|(_, s)| s.wanted() && !s.in_tree() && s.joining.is_none())
                    .map(|(topic, _)| *topic)
                    .collect();
                for topic in orphans {
                    node.join_tree(ctx, topic);
                }
            });
        }
        this.with_context(|node, ctx| {
            for waiter in node.maintenance_waiters.drain(..) {
                let _ = waiter.send(());
            }
            let _ = ctx.later(node.config.maintenance, |me| me.maintain());
        });
    }

    /// Turns the repair of trees off or on; turned on, the node rejoins
    /// every tree it lost its place in meanwhile.
    #[tell]
    pub fn set_repair(&mut self, ctx: &mut Context<Self>, on: bool) {
        self.repair = on;
        if on {
            let orphans: Vec<Id> = (self.topics.iter())
                .filter(|(_, s)| s.wanted() && !s.in_tree() && s.joining.is_none())
                .map(|(topic, _)| *topic)
                .collect();
            for topic in orphans {
                self.join_tree(ctx, topic);
            }
        }
    }

    /// What this node received on `topic` as a subscriber, in order.
    #[ask]
    pub fn deliveries(&self, topic: Id) -> Vec<Delivery> {
        self.topics
            .get(&topic)
            .map(|s| s.delivered.clone())
            .unwrap_or_default()
    }

    /// Waits until this node has received `count` messages on `topic`;
    /// returns how many it has. Give the call a deadline.
    #[ask(parallel)]
    pub async fn wait_deliveries(mut this: Reentrant<Self>, topic: Id, count: usize) -> usize {
        let (done, delivered) = oneshot::channel();
        this.with(|node| match node.topics.get_mut(&topic) {
            Some(state) if state.delivered.len() < count => state.deliveries.push((count, done)),
            Some(state) => drop(done.send(state.delivered.len())),
            None => drop(done.send(0)),
        });
        delivered.await.unwrap_or(0)
    }

    /// This node's part of every tree it is in.
    #[ask]
    pub fn trees(&self) -> Vec<TreeState> {
        (self.topics.iter())
            .map(|(topic, state)| TreeState {
                topic: *topic,
                subscribed: state.subscribed,
                root: state.root,
                parent: state.parent.as_ref().map(|p| p.id),
                children: state.children.keys().copied().collect(),
                joining: state.joining.is_some(),
            })
            .collect()
    }

    /// The copies of published messages this node sent since the last
    /// call, per receiving node: what link stress is made of.
    #[ask]
    pub fn take_traffic(&mut self) -> Vec<(Id, u64)> {
        std::mem::take(&mut self.traffic).into_iter().collect()
    }

    /// Waits until this node's next periodic check has finished: how a
    /// driver waits for repairs without sleeping.
    #[ask(parallel)]
    pub async fn next_maintenance(mut this: Reentrant<Self>) {
        let (done, ran) = oneshot::channel();
        this.with(|node| node.maintenance_waiters.push(done));
        let _ = ran.await;
    }
}
