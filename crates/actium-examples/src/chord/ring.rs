//! A whole Chord ring driven from one process, for experiments and tests:
//! spawn nodes, join them in batches, wait until every pointer is right,
//! look identifiers up, store keys, and fail nodes.
//!
//! The ring knows the truth — every live node's identifier — so it can
//! check each node's answers, and each node's routing state, against it.
//! Its nodes are spawned in this process ([`Ring::join`]), or run in other
//! processes and are [admitted](Ring::admit) by whoever started them (see
//! [`ProcessRing`](super::process::ProcessRing)).

use std::collections::BTreeSet;
use std::time::Duration;

use actium::prelude::*;
use actium::{Clock, SystemHandle};
use futures_util::future::join_all;
use futures_util::stream::{FuturesUnordered, StreamExt};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::id::{BITS, Id};
use super::node::{ChordNode, Config, Entry, LookupError, NodeState, Peer};

/// How many lookups or stores a driver keeps in flight at once unless
/// told otherwise ([`Ring::with_in_flight`]): enough to keep every core
/// busy, few enough not to flood the mailboxes.
pub const IN_FLIGHT: usize = 256;

/// A ring of [`ChordNode`]s, with the truth about it.
pub struct Ring {
    config: Config,
    seed: u64,
    /// The live nodes, by identifier.
    nodes: Vec<Peer>,
    /// Every identifier ever used, so a new node never reuses one.
    used: BTreeSet<Id>,
    spawned: u64,
    rng: StdRng,
    /// What limits and measurements read: the system's clock, virtual in
    /// a simulation.
    clock: Clock,
    /// How many lookups or stores [`lookups`](Ring::lookups) and the like
    /// keep in flight at once.
    in_flight: usize,
}

/// Why a ring could not be built or did not settle.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    /// A node's join failed.
    #[error("node {node} could not join the ring: {error}")]
    Join {
        /// The joining node.
        node: Id,
        /// Why.
        error: LookupError,
    },
    /// A call to a node failed.
    #[error("node {node} did not answer: {error}")]
    Call {
        /// The node.
        node: Id,
        /// Why.
        #[source]
        error: actium::Error,
    },
    /// Some nodes still had wrong pointers when the time limit passed.
    #[error(
        "the ring did not settle within {limit:?}: {wrong} of {nodes} nodes still had wrong \
         pointers, for instance {example}"
    )]
    NotStable {
        /// The time limit.
        limit: Duration,
        /// How many nodes were wrong in the last round.
        wrong: usize,
        /// How many nodes the ring has.
        nodes: usize,
        /// What was wrong with one of them.
        example: String,
    },
}

/// How one batch of joins went.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    /// How many nodes joined.
    pub joined: usize,
    /// How many maintenance rounds the ring took to settle.
    pub rounds: u32,
    /// How long joining and settling took.
    pub elapsed: Duration,
}

/// The outcome of a batch of lookups.
#[derive(Clone, Debug)]
pub struct Lookups {
    /// How many lookups were made.
    pub count: usize,
    /// The path length of each successful lookup, ascending.
    pub hops: Vec<u32>,
    /// How many failed or named the wrong node.
    pub failed: usize,
    /// What each failed lookup was and what went wrong (the error, or
    /// the node it named instead of the right one), in the order made.
    pub failures: Vec<String>,
    /// How long they took, all together.
    pub elapsed: Duration,
}

impl Lookups {
    /// The mean path length of the successful lookups.
    pub fn mean_hops(&self) -> f64 {
        let total: u64 = self.hops.iter().map(|&h| u64::from(h)).sum();
        total as f64 / self.hops.len().max(1) as f64
    }

    /// The path length that `fraction` of the successful lookups do not
    /// exceed (0.99 for the 99th percentile).
    pub fn percentile(&self, fraction: f64) -> u32 {
        let rank = ((self.hops.len() as f64 * fraction).ceil() as usize).max(1);
        self.hops.get(rank - 1).copied().unwrap_or(0)
    }

    /// Lookups completed per second.
    pub fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

impl Ring {
    /// An empty ring whose nodes will use `config`; `seed` decides node
    /// identifiers, join points, lookups and failures.
    pub fn new(config: Config, seed: u64) -> Ring {
        Ring {
            config,
            seed,
            nodes: Vec::new(),
            used: BTreeSet::new(),
            spawned: 0,
            rng: StdRng::seed_from_u64(seed),
            clock: SystemHandle::try_current()
                .map_or_else(|_| Clock::real(), |system| system.clock()),
            in_flight: IN_FLIGHT,
        }
    }

    /// Reads `clock` for its time limits and measurements instead of the
    /// current system's (or, outside any system, the real one): what a
    /// driver outside every system of a simulation passes, with the
    /// simulation's clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Ring {
        self.clock = clock;
        self
    }

    /// Keeps up to `limit` lookups or stores in flight at once (at least
    /// one; [`IN_FLIGHT`] unless set). In real time a few hundred keep every core
    /// busy without flooding the mailboxes; in a simulation, where a
    /// lookup costs no virtual time to start, more at once end the batch
    /// sooner in virtual time, and with it the maintenance that every
    /// node does meanwhile.
    pub fn with_in_flight(mut self, limit: usize) -> Ring {
        self.in_flight = limit.max(1);
        self
    }

    /// A stable ring of `size` nodes, grown by [`grow`](Ring::grow) batch
    /// after batch, waiting up to `limit` for each.
    ///
    /// # Errors
    ///
    /// If a join fails, or a batch does not settle within `limit`.
    pub async fn build(
        size: usize,
        config: Config,
        seed: u64,
        limit: Duration,
    ) -> Result<Ring, RingError> {
        let mut ring = Ring::new(config, seed);
        while ring.len() < size {
            ring.grow(size, limit).await?;
        }
        Ok(ring)
    }

    /// One batch towards `size` nodes: doubles the ring (or fills it up to
    /// `size`), each newcomer joining through a random member of a ring that
    /// is already stable — so its lookups are short — then waits until the
    /// ring is stable again.
    ///
    /// # Errors
    ///
    /// If a join fails, or the ring does not settle within `limit`.
    pub async fn grow(&mut self, size: usize, limit: Duration) -> Result<Batch, RingError> {
        let start = self.clock.now();
        let joined = self.len().clamp(1, size.saturating_sub(self.len()).max(1));
        self.join(joined, limit).await?;
        let rounds = self.wait_until_stable(limit).await?;
        Ok(Batch {
            joined,
            rounds,
            elapsed: self.clock.now() - start,
        })
    }

    /// How many live nodes the ring has.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The live nodes, by identifier.
    pub fn nodes(&self) -> &[Peer] {
        &self.nodes
    }

    /// Spawns `count` nodes and joins each through a random member, all at
    /// once; the first node of an empty ring creates it.
    ///
    /// # Errors
    ///
    /// If a join fails or takes longer than `limit`.
    pub async fn join(&mut self, count: usize, limit: Duration) -> Result<(), RingError> {
        let mut newcomers: Vec<Peer> = (0..count).map(|_| self.spawn_node()).collect();
        if self.nodes.is_empty() && !newcomers.is_empty() {
            self.admit(newcomers.remove(0));
        }
        let joins = newcomers.iter().map(|newcomer| {
            let via = self.nodes.choose(&mut self.rng).cloned();
            async move {
                let Some(via) = via else { return Ok(()) };
                join(newcomer, via, limit).await
            }
        });
        let joined: Result<Vec<()>, RingError> = join_all(joins).await.into_iter().collect();
        for newcomer in newcomers {
            self.admit(newcomer);
        }
        joined.map(drop)
    }

    /// One join in two halves, for a caller that wants to watch it (record
    /// it) between them: spawns a node that is not in the ring yet, and
    /// picks a random member for it to join through. Returns the newcomer
    /// and that member, or `None` if the ring is empty.
    pub fn prepare_join(&mut self) -> Option<(Peer, Peer)> {
        let via = self.nodes.choose(&mut self.rng)?.clone();
        Some((self.spawn_node(), via))
    }

    /// The second half: `newcomer` joins through `via`, and the ring counts
    /// it as a member.
    ///
    /// # Errors
    ///
    /// If the join fails or takes longer than `limit`.
    pub async fn join_through(
        &mut self,
        newcomer: Peer,
        via: Peer,
        limit: Duration,
    ) -> Result<(), RingError> {
        join(&newcomer, via, limit).await?;
        self.admit(newcomer);
        Ok(())
    }

    /// Counts `peer` as a live member: a node that has joined the ring by
    /// other means, such as a node process that joined on its own.
    pub fn admit(&mut self, peer: Peer) {
        self.used.insert(peer.id);
        let at = self.nodes.partition_point(|member| member.id < peer.id);
        if self.nodes.get(at) != Some(&peer) {
            self.nodes.insert(at, peer);
        }
    }

    /// Stops counting the node `id` as a member: it was stopped by other
    /// means, such as its process being killed.
    pub fn forget(&mut self, id: Id) {
        self.nodes.retain(|peer| peer.id != id);
    }

    fn spawn_node(&mut self) -> Peer {
        let id = loop {
            let id = Id::hash(format!("node-{}-{}", self.seed, self.spawned));
            self.spawned += 1;
            if self.used.insert(id) {
                break id;
            }
        };
        let node = ChordNode::new(id, self.config.clone()).spawn();
        Peer { id, node }
    }

    /// Waits, one maintenance round at a time, until every node's
    /// predecessor, successor list and fingers are those of the true ring.
    /// Returns how many rounds it waited.
    ///
    /// # Errors
    ///
    /// [`RingError::NotStable`] if some node is still wrong after `limit`.
    pub async fn wait_until_stable(&self, limit: Duration) -> Result<u32, RingError> {
        let start = self.clock.now();
        let mut rounds = 0;
        loop {
            let left = limit
                .saturating_sub(self.clock.now() - start)
                .max(Duration::from_millis(1));
            let states = join_all(
                self.nodes
                    .iter()
                    .map(|peer| peer.node.next_round().timeout(left)),
            )
            .await;
            rounds += 1;
            let wrong: Vec<String> = (states.iter().zip(&self.nodes))
                .filter_map(|(state, peer)| match state {
                    Ok(state) => self.mismatch(state),
                    Err(error) => Some(format!("node {} did not answer: {error}", peer.id)),
                })
                .collect();
            if wrong.is_empty() {
                return Ok(rounds);
            }
            if self.clock.now() - start >= limit {
                return Err(RingError::NotStable {
                    limit,
                    wrong: wrong.len(),
                    nodes: self.nodes.len(),
                    example: wrong[0].clone(),
                });
            }
        }
    }

    /// Waits, one maintenance round at a time, until every node's periodic
    /// tasks have backed off to their slowest pace — so that measurements
    /// see the maintenance cost of a stable ring, not of one that has just
    /// settled. Returns how many rounds it waited.
    ///
    /// # Errors
    ///
    /// [`RingError::Call`] if a node does not answer within `limit`.
    pub async fn wait_until_quiet(&self, limit: Duration) -> Result<u32, RingError> {
        let mut rounds = 0;
        loop {
            let states = join_all(
                self.nodes
                    .iter()
                    .map(|peer| peer.node.next_round().timeout(limit)),
            )
            .await;
            rounds += 1;
            let mut quiet = true;
            for (state, peer) in states.into_iter().zip(&self.nodes) {
                let state = state.map_err(|error| RingError::Call {
                    node: peer.id,
                    error,
                })?;
                quiet &= state.quiet;
            }
            if quiet {
                return Ok(rounds);
            }
        }
    }

    /// The node responsible for `id` in the true ring: the first node at or
    /// after it.
    ///
    /// # Panics
    ///
    /// If the ring is empty.
    pub fn successor_of(&self, id: Id) -> &Peer {
        let at = self.nodes.partition_point(|peer| peer.id < id);
        &self.nodes[at % self.nodes.len()]
    }

    /// The last node before `id` in the true ring.
    ///
    /// # Panics
    ///
    /// If the ring is empty.
    pub fn predecessor_of(&self, id: Id) -> &Peer {
        let at = self.nodes.partition_point(|peer| peer.id < id);
        &self.nodes[(at + self.nodes.len() - 1) % self.nodes.len()]
    }

    /// The routing state the node `id` has in a stable ring.
    ///
    /// # Panics
    ///
    /// If `id` is not a live node of the ring.
    pub fn expected_state(&self, id: Id) -> NodeState {
        let len = self.nodes.len();
        let at = self.nodes.partition_point(|peer| peer.id < id);
        assert_eq!(
            self.nodes.get(at).map(|p| p.id),
            Some(id),
            "{id} is not in the ring"
        );
        let nth = |offset: usize| self.nodes[(at + offset) % len].id;
        NodeState {
            id,
            // A node alone is its own predecessor (Fig. 6's join(nil)).
            predecessor: Some(nth(len - 1)),
            successors: (1..len).take(self.config.successors).map(nth).collect(),
            fingers: (0..BITS)
                .map(|i| Some(self.successor_of(id.finger_start(i)).id))
                .collect(),
            keys: 0,
            quiet: true,
        }
    }

    /// What is wrong with `state` compared with the true ring, if anything.
    pub fn mismatch(&self, state: &NodeState) -> Option<String> {
        let expected = self.expected_state(state.id);
        let id = state.id;
        if state.predecessor != expected.predecessor {
            return Some(format!(
                "node {id} has predecessor {:?}, not {:?}",
                state.predecessor, expected.predecessor
            ));
        }
        if state.successors != expected.successors {
            return Some(format!(
                "node {id} has successors {:?}, not {:?}",
                state.successors, expected.successors
            ));
        }
        let wrong_finger = (0..BITS).find(|&i| state.fingers[i] != expected.fingers[i]);
        wrong_finger.map(|i| {
            format!(
                "node {id} has finger {i} = {:?}, not {:?}",
                state.fingers[i], expected.fingers[i]
            )
        })
    }

    /// A random live node.
    ///
    /// # Panics
    ///
    /// If the ring is empty.
    pub fn random_node(&mut self) -> Peer {
        self.nodes[self.rng.random_range(0..self.nodes.len())].clone()
    }

    /// Looks up `count` random identifiers, each from a random node, and
    /// checks every answer against the true ring.
    pub async fn lookups(&mut self, count: usize) -> Lookups {
        let queries: Vec<(Peer, Id, Id)> = (0..count)
            .map(|_| {
                let id = Id(self.rng.random());
                (self.random_node(), id, self.successor_of(id).id)
            })
            .collect();
        let lookup = |(from, id, expected): (Peer, Id, Id)| async move {
            let outcome = match from.node.find_successor(id).await {
                Ok(Ok(found)) if found.successor.id == expected => return Ok(found.hops),
                Ok(Ok(found)) => {
                    format!("named {:?} after {} hops", found.successor.id, found.hops)
                }
                Ok(Err(error)) => format!("{error}"),
                Err(error) => format!("{error}"),
            };
            Err(format!(
                "from {:?} for {id:?} (successor {expected:?}): {outcome}",
                from.id
            ))
        };
        let start = self.clock.now();
        let answers = in_flight(self.in_flight, queries.into_iter().map(lookup)).await;
        let elapsed = self.clock.now() - start;
        let (mut hops, mut failures) = (Vec::new(), Vec::new());
        for answer in answers {
            match answer {
                Ok(found) => hops.push(found),
                Err(failure) => failures.push(failure),
            }
        }
        hops.sort_unstable();
        Lookups {
            count,
            failed: count - hops.len(),
            failures,
            hops,
            elapsed,
        }
    }

    /// Stores `count` keys, each through a random node; returns them and
    /// how many stores failed.
    pub async fn store_keys(&mut self, count: usize) -> (Vec<Entry>, usize) {
        let entries: Vec<Entry> = (0..count)
            .map(|i| Entry {
                key: format!("key-{}-{i}", self.seed),
                value: format!("value {i}").into_bytes(),
            })
            .collect();
        let puts: Vec<_> = (entries.iter())
            .map(|entry| (self.random_node(), entry.clone()))
            .collect();
        let put = |(from, entry): (Peer, Entry)| async move {
            matches!(from.node.put(entry.key, entry.value).await, Ok(Ok(())))
        };
        let done = in_flight(self.in_flight, puts.into_iter().map(put)).await;
        let failed = done.iter().filter(|&&stored| !stored).count();
        (entries, failed)
    }

    /// How many of `entries` a get through a random node does not return.
    pub async fn missing_keys(&mut self, entries: &[Entry]) -> usize {
        let gets: Vec<_> = (entries.iter())
            .map(|entry| (self.random_node(), entry.clone()))
            .collect();
        let get = |(from, entry): (Peer, Entry)| async move {
            matches!(from.node.get(entry.key).await, Ok(Ok(Some(value))) if value == entry.value)
        };
        let found = in_flight(self.in_flight, gets.into_iter().map(get)).await;
        found.iter().filter(|&&found| !found).count()
    }

    /// Kills `count` random nodes at once (crash-stop: no goodbye), waits
    /// until they are gone, and returns their identifiers.
    pub async fn kill(&mut self, count: usize) -> Vec<Id> {
        let count = count.min(self.nodes.len().saturating_sub(1));
        let victims = rand::seq::index::sample(&mut self.rng, self.nodes.len(), count);
        let victims: Vec<Peer> = victims.iter().map(|at| self.nodes[at].clone()).collect();
        for victim in &victims {
            victim.node.kill();
        }
        for victim in &victims {
            let _reason = victim.node.stopped().await;
        }
        self.nodes.retain(|peer| !victims.contains(peer));
        victims.iter().map(|victim| victim.id).collect()
    }
}

/// `newcomer` joins the ring through `via`, within `limit`.
async fn join(newcomer: &Peer, via: Peer, limit: Duration) -> Result<(), RingError> {
    match newcomer.node.join(via).timeout(limit).await {
        Ok(joined) => joined.map_err(|error| RingError::Join {
            node: newcomer.id,
            error,
        }),
        Err(error) => Err(RingError::Call {
            node: newcomer.id,
            error,
        }),
    }
}

/// Runs `calls` with up to `limit` at once; returns their outputs in
/// completion order.
async fn in_flight<F: Future>(limit: usize, calls: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut calls = calls.fuse();
    let mut running = FuturesUnordered::new();
    let mut outputs = Vec::new();
    loop {
        while running.len() < limit {
            match calls.next() {
                Some(call) => running.push(call),
                None => break,
            }
        }
        match running.next().await {
            Some(output) => outputs.push(output),
            None => return outputs,
        }
    }
}
