//! The Scribe nodes of a ring, driven from one process for experiments and
//! tests: subscribe random nodes to topics, publish, check every delivery
//! (at most once, in order per publisher; exactly once in a whole tree) and every tree against the true
//! ring, kill nodes, wait for repairs, and measure depth and link stress.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actium::prelude::*;
use actium::{Clock, SystemHandle};
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::node::ScribeNode;
use super::protocol::{Config, PublishError, TreeState};
use crate::chord::{self, Id, Ring, RingError};

/// Why subscribing, checking or repairing failed.
#[derive(Debug, thiserror::Error)]
pub enum ScribeError {
    /// The Chord ring failed.
    #[error(transparent)]
    Ring(#[from] RingError),
    /// Some subscriptions were not in their tree within the time limit.
    #[error("{failed} of {count} subscriptions were not in their tree within {limit:?}")]
    Subscribe {
        /// How many failed.
        failed: usize,
        /// How many were made.
        count: usize,
        /// The time limit.
        limit: Duration,
    },
    /// The fractions of subscribers asked for are not 0 ≤ low ≤ high ≤ 1.
    #[error("subscriber fractions must satisfy 0 <= low <= high <= 1, not {low} and {high}")]
    Fraction {
        /// The least fraction asked for.
        low: f64,
        /// The most.
        high: f64,
    },
    /// Some trees were still wrong when the time limit passed.
    #[error(
        "the trees were not repaired within {limit:?}: {wrong} problems, for instance {example}"
    )]
    NotRepaired {
        /// The time limit.
        limit: Duration,
        /// How many problems the last check found.
        wrong: usize,
        /// One of them.
        example: String,
    },
}

/// A topic, and who subscribes to it.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Its name.
    pub name: String,
    /// Its identifier, `Id::hash(name)`.
    pub id: Id,
    /// The nodes that subscribe to it.
    pub subscribers: BTreeSet<Id>,
}

/// How one round of publishes was delivered.
#[derive(Clone, Debug, Default)]
pub struct Round {
    /// Publishes made, and how many of them failed.
    pub published: usize,
    /// How many publishes failed (no root, or the root not in its tree).
    pub failed_publishes: usize,
    /// How many of those failed in Chord's lookup of the root, rather than
    /// at the root Chord named.
    pub lookup_failures: usize,
    /// Deliveries expected: for every message published, one per live
    /// subscriber of its topic (failed publishes included).
    pub expected: usize,
    /// Deliveries expected for the publishes that succeeded: what the
    /// trees, rather than Chord's lookups of the roots, had to deliver.
    pub expected_published: usize,
    /// Deliveries made of those.
    pub delivered: usize,
    /// Messages a subscriber received twice, or after a later message of
    /// the same publisher; zero when Scribe keeps its promise.
    pub misordered: usize,
    /// The depth of each delivery: tree edges from the root.
    pub depths: Vec<u32>,
}

impl Round {
    /// Delivered over expected.
    pub fn ratio(&self) -> f64 {
        self.delivered as f64 / self.expected.max(1) as f64
    }

    /// Delivered over expected for the publishes that reached a root.
    pub fn tree_ratio(&self) -> f64 {
        self.delivered as f64 / self.expected_published.max(1) as f64
    }
}

/// Every tree at one moment, checked against the true ring.
#[derive(Clone, Debug, Default)]
pub struct Forest {
    /// What is wrong: a subscriber with no path to the true root, a parent
    /// that does not list its child, two roots.
    pub wrong: Vec<String>,
    /// Each node's number of children, per topic it forwards.
    pub fanout: Vec<usize>,
}

/// The Scribe nodes of a ring, by Chord identifier, and the topics made.
pub struct Scribes {
    /// The live Scribe nodes.
    pub members: BTreeMap<Id, ActorRef<ScribeNode>>,
    /// The topics and their subscribers.
    pub topics: Vec<Topic>,
    /// How many messages each subscriber had received per topic after the
    /// last round: what the next round's deliveries come after.
    seen: BTreeMap<(Id, Id), usize>,
    rng: StdRng,
}

impl Scribes {
    /// No members yet; `seed` decides subscribers and publishers.
    pub fn new(seed: u64) -> Scribes {
        Scribes {
            members: BTreeMap::new(),
            topics: Vec::new(),
            seen: BTreeMap::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Stops counting the node `id`: it was killed.
    pub fn forget(&mut self, id: Id) {
        self.members.remove(&id);
    }

    /// Makes `count` more topics (`topic-<i>`), each subscribed by a random
    /// fraction of the members drawn from `fraction` (0.1–0.5 is 10% to
    /// 50%), at least one; waits up to `limit` for every subscriber to be
    /// in its tree. With no members, it does nothing.
    ///
    /// # Errors
    ///
    /// [`ScribeError::Fraction`] if `fraction` is not 0 ≤ low ≤ high ≤ 1;
    /// [`ScribeError::Subscribe`] if some are not in time.
    pub async fn subscribe(
        &mut self,
        count: usize,
        fraction: (f64, f64),
        limit: Duration,
    ) -> Result<(), ScribeError> {
        let (low, high) = fraction;
        if !(0.0 <= low && low <= high && high <= 1.0) {
            return Err(ScribeError::Fraction { low, high });
        }
        let ids: Vec<Id> = self.members.keys().copied().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut calls = Vec::new();
        for _ in 0..count {
            let name = format!("topic-{}", self.topics.len());
            let share = self.rng.random_range(fraction.0..=fraction.1);
            let wanted = ((ids.len() as f64 * share).round() as usize).clamp(1, ids.len());
            let picked = rand::seq::index::sample(&mut self.rng, ids.len(), wanted);
            let subscribers: BTreeSet<Id> = picked.iter().map(|at| ids[at]).collect();
            for id in &subscribers {
                calls.push(self.members[id].subscribe(name.clone()).timeout(limit));
            }
            let id = Id::hash(&name);
            self.topics.push(Topic {
                name,
                id,
                subscribers,
            });
        }
        let count = calls.len();
        let failed = join_all(calls).await.iter().filter(|r| r.is_err()).count();
        match failed {
            0 => Ok(()),
            failed => Err(ScribeError::Subscribe {
                failed,
                count,
                limit,
            }),
        }
    }

    /// One round: `per_topic` messages on every topic from two random live
    /// publishers taking turns (each publisher's in order, awaiting each),
    /// all topics at once; then waits up to `limit` for every live
    /// subscriber to have them, and checks what each received. With no
    /// members, nothing is published.
    pub async fn publish(&mut self, per_topic: usize, limit: Duration) -> Round {
        let ids: Vec<Id> = self.members.keys().copied().collect();
        if ids.is_empty() {
            return Round::default();
        }
        let mut plans = Vec::new();
        for topic in &self.topics {
            let publishers = [
                ids[self.rng.random_range(0..ids.len())],
                ids[self.rng.random_range(0..ids.len())],
            ];
            plans.push((topic.clone(), publishers));
        }
        let members = &self.members;
        let publishes = plans.iter().map(|(topic, publishers)| async move {
            let mut sent = Vec::new();
            for i in 0..per_topic {
                let publisher = publishers[i % 2];
                let payload = format!("{} #{i} from {publisher}", topic.name).into_bytes();
                let outcome = members[&publisher]
                    .publish(topic.name.clone(), payload)
                    .await;
                sent.push(match outcome {
                    Ok(Ok(seq)) => Ok((publisher, seq)),
                    Ok(Err(PublishError::Lookup { .. })) | Err(_) => Err(true),
                    Ok(Err(_)) => Err(false),
                });
            }
            sent
        });
        // Each publish: the message's publisher and number, or whether it
        // failed in Chord's lookup.
        let sent: Vec<Vec<Result<(Id, u64), bool>>> = join_all(publishes).await;
        let mut round = Round::default();
        let mut waits = Vec::new();
        for ((topic, _), sent) in plans.iter().zip(&sent) {
            let live: Vec<Id> = (topic.subscribers.iter())
                .filter(|id| members.contains_key(id))
                .copied()
                .collect();
            round.published += sent.len();
            round.failed_publishes += sent.iter().filter(|s| s.is_err()).count();
            round.lookup_failures += sent.iter().filter(|s| **s == Err(true)).count();
            round.expected += sent.len() * live.len();
            let good = sent.iter().flatten().count();
            round.expected_published += good * live.len();
            for id in live {
                let before = self.seen.get(&(id, topic.id)).copied().unwrap_or(0);
                let scribe = members[&id].clone();
                let wanted: BTreeSet<(Id, u64)> = sent.iter().flatten().copied().collect();
                waits.push(async move {
                    let _ = scribe
                        .wait_deliveries(topic.id, before + good)
                        .timeout(limit)
                        .await;
                    let log = scribe.deliveries(topic.id).await.unwrap_or_default();
                    (id, topic.id, before, wanted, log)
                });
            }
        }
        for (id, topic, before, wanted, log) in join_all(waits).await {
            round.misordered += misordered(&log);
            for delivery in log.iter().skip(before) {
                if wanted.contains(&(delivery.publisher, delivery.seq)) {
                    round.delivered += 1;
                    round.depths.push(delivery.depth);
                }
            }
            self.seen.insert((id, topic), log.len());
        }
        round
    }

    /// Every live node's trees, checked: each live subscriber reaches the
    /// topic's true root (`root_of`) by parent pointers, each of which
    /// lists it as a child, and no other node claims to be the root.
    pub async fn forest(&self, root_of: impl Fn(Id) -> Id) -> Forest {
        let states =
            join_all(self.members.iter().map(|(id, scribe)| async move {
                (*id, scribe.trees().await.unwrap_or_default())
            }))
            .await;
        let mut trees: BTreeMap<Id, BTreeMap<Id, TreeState>> = BTreeMap::new();
        for (node, states) in states {
            for state in states {
                trees.entry(state.topic).or_default().insert(node, state);
            }
        }
        let mut forest = Forest::default();
        for topic in &self.topics {
            let empty = BTreeMap::new();
            let tree = trees.get(&topic.id).unwrap_or(&empty);
            check_tree(topic, &self.members, tree, root_of(topic.id), &mut forest);
        }
        forest
    }

    /// Turns the repair of trees off or on at every live node.
    pub fn set_repair(&self, on: bool) {
        for scribe in self.members.values() {
            let _ = scribe.set_repair(on);
        }
    }

    /// Waits, one periodic check of every node at a time, until every tree
    /// passes [`forest`](Self::forest)'s check. Returns how many checks.
    ///
    /// # Errors
    ///
    /// [`ScribeError::NotRepaired`] if some tree is still wrong after `limit`.
    pub async fn wait_until_repaired(
        &self,
        root_of: impl Fn(Id) -> Id,
        limit: Duration,
    ) -> Result<u32, ScribeError> {
        // The system's clock: virtual in a simulation.
        let clock = SystemHandle::try_current().map_or_else(|_| Clock::real(), |s| s.clock());
        let start = clock.now();
        let mut rounds = 0;
        loop {
            let forest = self.forest(&root_of).await;
            if forest.wrong.is_empty() {
                return Ok(rounds);
            }
            if clock.now() - start >= limit {
                return Err(ScribeError::NotRepaired {
                    limit,
                    wrong: forest.wrong.len(),
                    example: forest.wrong[0].clone(),
                });
            }
            let checks = self
                .members
                .values()
                .map(|s| s.next_maintenance().timeout(limit));
            let _ = join_all(checks).await;
            rounds += 1;
        }
    }

    /// Link stress since the last call: the copies of published messages
    /// that crossed each (sender, receiver) pair of nodes that carried any.
    pub async fn link_stress(&self) -> Vec<u64> {
        let traffic = join_all(self.members.values().map(|s| s.take_traffic())).await;
        traffic
            .into_iter()
            .flatten()
            .flatten()
            .map(|(_, copies)| copies)
            .collect()
    }
}

/// How many deliveries of `log` repeat a message, or come after a later
/// message of the same publisher.
fn misordered(log: &[super::Delivery]) -> usize {
    let mut last = BTreeMap::<Id, u64>::new();
    let mut wrong = 0;
    for delivery in log {
        let seen = last.entry(delivery.publisher).or_default();
        if delivery.seq <= *seen {
            wrong += 1;
        }
        *seen = (*seen).max(delivery.seq);
    }
    wrong
}

/// Checks one topic's tree (each node's part, by node) against its true
/// root, into `forest`.
fn check_tree(
    topic: &Topic,
    live: &BTreeMap<Id, ActorRef<ScribeNode>>,
    tree: &BTreeMap<Id, TreeState>,
    root: Id,
    forest: &mut Forest,
) {
    let name = &topic.name;
    for (node, state) in tree {
        if state.root && *node != root {
            forest.wrong.push(format!(
                "{name}: node {node} claims the root, which is {root}"
            ));
        }
        if !state.children.is_empty() {
            forest.fanout.push(state.children.len());
        }
    }
    for subscriber in &topic.subscribers {
        if !live.contains_key(subscriber) {
            continue;
        }
        let mut at = *subscriber;
        let mut steps = 0;
        loop {
            let Some(state) = tree.get(&at) else {
                forest.wrong.push(format!(
                    "{name}: subscriber {subscriber}'s path reaches {at}, which is not in the tree"
                ));
                break;
            };
            if state.root && at == root {
                break;
            }
            let Some(parent) = state.parent else {
                forest.wrong.push(format!(
                    "{name}: subscriber {subscriber}'s path stops at {at}, which has no parent"
                ));
                break;
            };
            if !tree.get(&parent).is_some_and(|p| p.children.contains(&at)) {
                forest
                    .wrong
                    .push(format!("{name}: {parent} does not list its child {at}"));
                break;
            }
            steps += 1;
            if steps > tree.len() {
                forest.wrong.push(format!(
                    "{name}: subscriber {subscriber}'s path has a cycle"
                ));
                break;
            }
            at = parent;
        }
    }
}

/// A ring of Chord nodes in this process, each with its Scribe node.
pub struct Network {
    /// The Chord ring, with the truth about it.
    pub ring: Ring,
    /// The Scribe nodes.
    pub scribes: Scribes,
}

impl Network {
    /// A stable ring of `size` Chord nodes (see [`Ring::build`]), and a
    /// Scribe node beside each.
    ///
    /// # Errors
    ///
    /// If the ring cannot be built within `limit`.
    pub async fn build(
        size: usize,
        chord: chord::Config,
        config: Config,
        seed: u64,
        limit: Duration,
    ) -> Result<Network, ScribeError> {
        let ring = Ring::build(size, chord, seed, limit).await?;
        let mut scribes = Scribes::new(seed);
        for peer in ring.nodes() {
            let scribe = ScribeNode::new(peer.id, peer.node.clone(), config.clone()).spawn();
            scribes.members.insert(peer.id, scribe);
        }
        // A Scribe node attaches itself to its Chord node as it starts,
        // before its first message: once each has answered one, every
        // Chord node knows its Scribe node.
        for scribe in scribes.members.values() {
            let _ = scribe.trees().await;
        }
        Ok(Network { ring, scribes })
    }

    /// `count` more nodes join the ring at once, each with a Scribe node
    /// using `config`; waits up to `limit` for the ring to be stable. A
    /// newcomer between a topic and its root becomes the topic's root.
    ///
    /// # Errors
    ///
    /// If a join fails, or the ring does not settle within `limit`.
    pub async fn grow(
        &mut self,
        count: usize,
        config: &Config,
        limit: Duration,
    ) -> Result<(), ScribeError> {
        self.ring.join(count, limit).await?;
        let newcomers: Vec<_> = (self.ring.nodes().iter())
            .filter(|peer| !self.scribes.members.contains_key(&peer.id))
            .cloned()
            .collect();
        for peer in newcomers {
            let scribe = ScribeNode::new(peer.id, peer.node.clone(), config.clone()).spawn();
            // Started (and attached) once it has answered a call.
            let _ = scribe.trees().await;
            self.scribes.members.insert(peer.id, scribe);
        }
        self.ring.wait_until_stable(limit).await?;
        Ok(())
    }

    /// The true root of a topic: its successor in the live ring.
    pub fn root_of(&self) -> impl Fn(Id) -> Id + '_ {
        |topic| self.ring.successor_of(topic).id
    }

    /// Kills the nodes `ids` at once, Chord and Scribe actor both
    /// (crash-stop), and waits until they are gone.
    pub async fn kill_nodes(&mut self, ids: &[Id]) {
        let peers: Vec<_> = (self.ring.nodes().iter())
            .filter(|p| ids.contains(&p.id))
            .cloned()
            .collect();
        for peer in &peers {
            peer.node.kill();
            if let Some(scribe) = self.scribes.members.remove(&peer.id) {
                scribe.kill();
            }
        }
        for peer in &peers {
            let _ = peer.node.stopped().await;
            self.ring.forget(peer.id);
        }
    }

    /// Kills `count` random nodes at once, Chord and Scribe actor both
    /// (crash-stop), and waits until they are gone. Returns them.
    pub async fn kill(&mut self, count: usize) -> Vec<Id> {
        let killed = self.ring.kill(count).await;
        for id in &killed {
            if let Some(scribe) = self.scribes.members.remove(id) {
                scribe.kill();
                let _ = scribe.stopped().await;
            }
        }
        killed
    }
}
