//! A Chord ring in deterministic simulation: every Chord node is a node of
//! an [`actium::sim::Simulation`] of its own, so every message between two
//! Chord nodes crosses the simulated network — through the real codec,
//! with a latency drawn from the seed — and time is virtual. The driver
//! is one more simulated node, `sim://driver`, which calls the Chord
//! nodes over the same network.
//! With [`Settings::shared`] every Chord node is instead an actor on one
//! shared simulated node, delaying its own messages
//! ([`Config::latency`](super::node::Config::latency)): an actor per
//! Chord node rather than a system, what [`scale`] needs at 10^4–10^5
//! nodes.
//!
//! A run builds a stable ring, stores keys and measures lookups as the
//! real-time [`Ring`] driver does, then churns: nodes join, leave (see
//! [`ChordNode::leave`]) and crash ([`Simulation::crash`]: gone at once,
//! noticed only by timeouts), at virtual times and in an order drawn from
//! the seed, with lookups in between. Last it waits until the ring is
//! stable again and checks that every lookup names the true successor and
//! every key is still there. Everything the run did goes into a
//! [`Digest`], so two runs with one seed print the same digest.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use actium_examples::chord::simulate::{self, Settings};
//!
//! let settings = Settings { nodes: 8, lookups: 50, keys: 20, churn: 4, ..Settings::new(3) };
//! let report = simulate::run(&settings)?;
//! assert_eq!((report.after.failed, report.lost_keys), (0, 0));
//! assert_eq!(report.digest, simulate::run(&settings)?.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actium::observe::{Event, EventKind, Recorder};
use actium::sim::{SimNode, Simulation};
use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::id::Id;
use super::node::{ChordNode, Config, Peer};
use super::ring::{IN_FLIGHT, Lookups, Ring, RingError};
use crate::digest::Digest;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Every choice comes from it: the scheduler's, the network's and the
    /// driver's.
    pub seed: u64,
    /// How many nodes the ring is built with.
    pub nodes: usize,
    /// How many lookups to measure before and after the churn.
    pub lookups: usize,
    /// How many keys to store before the churn and read after it.
    pub keys: usize,
    /// How many churn events (a join, a leave or a crash, equally
    /// likely) to run.
    pub churn: usize,
    /// How many lookups to make after each churn event.
    pub lookups_per_event: usize,
    /// The least and the most virtual time a message takes.
    pub latency: (Duration, Duration),
    /// How long after a crash the nodes that talked to the crashed one
    /// notice.
    pub failure_detection: Duration,
    /// The nodes' settings.
    pub config: Config,
    /// How much virtual time the ring may take to settle.
    pub settle_limit: Duration,
    /// Whether all Chord nodes share one simulated node (one system, a
    /// Chord node an actor on it), their messages delayed by
    /// [`Config::latency`] set to `latency`, rather than each running on
    /// a simulated node of its own behind the simulated network. Shared
    /// nodes cost an actor each rather than a system: what [`scale`]
    /// needs for 10^5 nodes. Crashes need nodes of their own: a shared
    /// node chosen to crash leaves instead.
    pub shared: bool,
    /// How many lookups (and stores) the driver keeps in flight at once
    /// ([`Ring::with_in_flight`]).
    pub in_flight: usize,
}

impl Settings {
    /// 200 nodes, 2,000 lookups, 200 keys, 40 churn events, 1–50 ms
    /// latency, maintenance every 100 ms to 5 s, a node of its own for
    /// each Chord node, [`IN_FLIGHT`] lookups at once, all with `seed`.
    pub fn new(seed: u64) -> Settings {
        Settings {
            seed,
            nodes: 200,
            lookups: 2000,
            keys: 200,
            churn: 40,
            lookups_per_event: 10,
            latency: (Duration::from_millis(1), Duration::from_millis(50)),
            failure_detection: Duration::from_secs(2),
            config: Config {
                fastest: Duration::from_millis(100),
                slowest: Duration::from_secs(5),
                ..Config::default()
            },
            settle_limit: Duration::from_secs(600),
            shared: false,
            in_flight: IN_FLIGHT,
        }
    }
}

/// What a simulated run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The live nodes at the end.
    pub nodes: usize,
    /// The lookups of the stable ring, before the churn.
    pub before: Lookups,
    /// The lookups made between churn events, while the ring repaired
    /// itself: some may fail (the paper's lookups retry; these do not).
    pub during: Lookups,
    /// The lookups of the ring stable again after the churn.
    pub after: Lookups,
    /// How many nodes joined, left and crashed during the churn.
    pub churn: [usize; 3],
    /// How many stored keys a get no longer found after the churn.
    pub lost_keys: usize,
    /// How many stores failed.
    pub failed_puts: usize,
    /// The virtual time the whole run took.
    pub elapsed: Duration,
    /// A digest of every event and outcome, in order.
    pub digest: Digest,
}

/// The simulation's driver: the ring's truth, and which simulated node
/// each Chord node runs on.
struct Driver<'s> {
    sim: &'s Simulation,
    /// The node the driver's calls come from.
    home: SimNode,
    /// The one node every Chord node runs on, if they share one.
    shared: Option<SimNode>,
    ring: Ring,
    settings: &'s Settings,
    names: BTreeMap<Id, String>,
    started: u64,
    rng: StdRng,
    digest: Digest,
    /// Counts every node's messages, for [`scale`].
    counter: Option<Arc<Counter>>,
}

/// Runs the simulation `settings` describe.
///
/// # Errors
///
/// If a node cannot start or join, the ring does not settle within the
/// limit, or the simulation stalls.
pub fn run(settings: &Settings) -> Result<Report, Box<dyn std::error::Error>> {
    let sim = simulation(settings);
    let driver = Driver::new(&sim, settings, None)?;
    sim.run(driver.simulate())?
}

/// The simulation `settings` describe, with no nodes yet.
fn simulation(settings: &Settings) -> Simulation {
    Simulation::builder(settings.seed)
        .latency(settings.latency.0, settings.latency.1)
        .failure_detection(settings.failure_detection)
        .build()
}

/// What [`scale`] measured.
#[derive(Clone, Debug)]
pub struct Scale {
    /// The lookups made at the end, from random nodes.
    pub lookups: Lookups,
    /// The virtual time the run took.
    pub elapsed: Duration,
    /// Messages sent (one-way calls, requests and replies) on all nodes,
    /// if counted.
    pub messages: Option<u64>,
    /// A digest of every join and lookup, in order.
    pub digest: Digest,
    /// The simulation's own digest ([`Simulation::digest`]): every
    /// scheduling choice and every jump of virtual time, a finer check
    /// that two runs were the same than `digest`.
    pub trace_digest: u64,
    /// The wall time the simulation ran, and the wall time it took to end
    /// it (dropping every node's system).
    pub wall: (Duration, Duration),
}

/// The scale benchmark: `settings.nodes` nodes join at random virtual
/// times in the first half of `duration`, each through a random node
/// already in, while every node runs its maintenance as
/// `settings.config` says; at `duration` (or two maintenance periods,
/// `settings.config.slowest`, after the last join ends, if that is later),
/// `settings.lookups` lookups from random nodes are checked against the
/// true ring. With `count`, a
/// recorder on every node counts the messages it sends (this costs time;
/// the simulation is the same with and without). Without `teardown`, the
/// simulation is leaked rather than ended: a benchmark process about to
/// exit need not pay for ending every node's system (see
/// `docs/BENCHMARKS.md` for what that costs).
///
/// # Errors
///
/// If a node cannot start, a join fails, or the simulation stalls.
pub fn scale(
    settings: &Settings,
    duration: Duration,
    count: bool,
    teardown: bool,
) -> Result<Scale, Box<dyn std::error::Error>> {
    let sim = simulation(settings);
    let counter = count.then(|| Arc::new(Counter(AtomicU64::new(0))));
    let driver = Driver::new(&sim, settings, counter.clone())?;
    let start = Instant::now();
    let mut scale = sim.run(driver.scale(duration))??;
    let ran = start.elapsed();
    scale.trace_digest = sim.digest();
    if teardown {
        drop(sim);
    } else {
        std::mem::forget(sim);
    }
    scale.wall = (ran, start.elapsed() - ran);
    scale.messages = counter.map(|counter| counter.0.load(Ordering::Relaxed));
    Ok(scale)
}

/// Counts the messages a system sends, and formats none.
struct Counter(AtomicU64);

impl Recorder for Counter {
    fn wants(&self, event: &Event) -> bool {
        if matches!(
            event.kind,
            EventKind::Tell | EventKind::Ask | EventKind::Reply | EventKind::Error
        ) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        false
    }

    fn record(&self, _event: Event) {}
}

impl<'s> Driver<'s> {
    /// A driver on node `sim://driver` of `sim`, with an empty ring.
    fn new(
        sim: &'s Simulation,
        settings: &'s Settings,
        counter: Option<Arc<Counter>>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let shared = settings.shared.then(|| sim.node("ring")).transpose()?;
        if let (Some(node), Some(counter)) = (&shared, &counter) {
            node.system().record(counter.clone())?;
        }
        Ok(Driver {
            sim,
            home: sim.node("driver")?,
            shared,
            ring: Ring::new(settings.config.clone(), settings.seed)
                .with_clock(sim.clock())
                .with_in_flight(settings.in_flight),
            settings,
            names: BTreeMap::new(),
            started: 0,
            rng: StdRng::seed_from_u64(settings.seed ^ 0x5eed_c40d),
            digest: Digest::new(),
            counter,
        })
    }
}

impl Driver<'_> {
    async fn simulate(mut self) -> Result<Report, Box<dyn std::error::Error>> {
        let clock = self.sim.clock();
        let start = clock.now();
        while self.ring.len() < self.settings.nodes {
            self.grow().await?;
        }
        let (keys, failed_puts) = self.ring.store_keys(self.settings.keys).await;
        let before = self.lookups(self.settings.lookups).await;
        let mut during = Vec::new();
        let mut churn = [0; 3];
        for _ in 0..self.settings.churn {
            let pause = self.rng.random_range(0..2000);
            actium::sleep(Duration::from_millis(pause)).await;
            churn[self.churn_once().await?] += 1;
            during.push(self.lookups(self.settings.lookups_per_event).await);
        }
        self.settle().await?;
        let after = self.lookups(self.settings.lookups).await;
        let lost_keys = self.ring.missing_keys(&keys).await;
        let elapsed = clock.now() - start;
        self.digest.number(lost_keys as u64);
        self.digest.number(failed_puts as u64);
        self.digest
            .number(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        Ok(Report {
            nodes: self.ring.len(),
            before,
            during: merge(during),
            after,
            churn,
            lost_keys,
            failed_puts,
            elapsed,
            digest: self.digest,
        })
    }

    async fn scale(mut self, duration: Duration) -> Result<Scale, Box<dyn std::error::Error>> {
        let clock = self.sim.clock();
        let start = clock.now();
        let nodes = self.settings.nodes;
        let window = u64::try_from((duration / 2).as_millis()).unwrap_or(u64::MAX);
        // The ring grows geometrically, as a real one spreads: node k
        // arrives about log2(k) / log2(N) into the window, so each period
        // brings about as many newcomers per gap between nodes, and a
        // period of stabilisation sorts them in.
        let log_n = (nodes.max(2) as f64).log2();
        let mut arrivals: Vec<u64> = (1..nodes)
            .map(|k| {
                let at = window as f64 * ((k + 1) as f64).log2() / log_n;
                let jitter = self.rng.random_range(0.0..1.0) * window as f64 / log_n;
                (at - jitter).max(0.0) as u64
            })
            .collect();
        arrivals.sort_unstable();
        let first = self.start_node().await?;
        self.ring.admit(first);
        let mut joins = FuturesUnordered::new();
        for at in arrivals {
            let due = start + Duration::from_millis(at);
            clock.sleep_until(due).await;
            // Admit the nodes that joined meanwhile: later ones may join
            // through them.
            while let Some(Some((peer, joined))) = joins.next().now_or_never() {
                joined?;
                self.ring.admit(peer);
            }
            let newcomer = self.start_node().await?;
            let via = self.ring.random_node();
            self.digest.number(newcomer.id.0 ^ via.id.0);
            let limit = self.settings.settle_limit;
            joins.push(async move { (newcomer.clone(), join(newcomer, via, limit).await) });
        }
        while let Some((peer, joined)) = joins.next().await {
            joined?;
            self.ring.admit(peer);
        }
        // The lookups start at `duration`, but never before two
        // maintenance periods after the last join: one for the newcomer
        // to notify its successor, one for its predecessor to stabilise
        // onto it; lookups racing a join could name a wrong successor.
        let settled = clock.now() + self.settings.config.slowest * 2;
        clock.sleep_until((start + duration).max(settled)).await;
        let lookups = self.lookups(self.settings.lookups).await;
        Ok(Scale {
            lookups,
            elapsed: clock.now() - start,
            messages: None,
            digest: self.digest,
            trace_digest: 0,
            wall: (Duration::ZERO, Duration::ZERO),
        })
    }

    /// One batch of joins, as [`Ring::grow`]: doubles the ring (or fills
    /// it up), then waits until it is stable.
    async fn grow(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        let size = self.settings.nodes;
        let count = self.ring.len().clamp(1, size - self.ring.len());
        let mut newcomers = Vec::with_capacity(count);
        for _ in 0..count {
            newcomers.push(self.start_node().await?);
        }
        if self.ring.is_empty() {
            self.ring.admit(newcomers.remove(0));
        }
        let limit = self.settings.settle_limit;
        let joins: Vec<_> = newcomers
            .iter()
            .map(|newcomer| {
                let via = self.ring.random_node();
                self.digest.number(newcomer.id.0 ^ via.id.0);
                join(newcomer.clone(), via, limit)
            })
            .collect();
        for joined in futures_util::future::join_all(joins).await {
            joined?;
        }
        newcomers.into_iter().for_each(|peer| self.ring.admit(peer));
        self.settle().await?;
        Ok(())
    }

    /// Starts a simulated node with one Chord node on it, and returns that
    /// Chord node as the driver reaches it: across the network. With
    /// [`Settings::shared`], spawns the Chord node on the shared node
    /// instead, reached directly.
    async fn start_node(&mut self) -> Result<Peer, Box<dyn std::error::Error>> {
        let number = self.started;
        self.started += 1;
        let name = format!("n{number}");
        let id = Id::hash(format!("sim-node-{}-{number}", self.settings.seed));
        if let Some(shared) = &self.shared {
            let config = Config {
                latency: Some(self.settings.latency),
                ..self.settings.config.clone()
            };
            let node = shared.spawn(ChordNode::new(id, config));
            return Ok(Peer { id, node });
        }
        let node = self.sim.node(&name)?;
        if let Some(counter) = &self.counter {
            node.system().record(counter.clone())?;
        }
        let chord = node.spawn(ChordNode::new(id, self.settings.config.clone()));
        node.register("chord", &chord)?;
        let url = format!("sim://{name}/chord");
        let remote = self.home.lookup::<ChordNode>(&url).await?;
        self.names.insert(id, name);
        Ok(Peer { id, node: remote })
    }

    /// A join, a leave or a crash, chosen by the seed; returns which (0, 1
    /// or 2). A ring of fewer than r + 2 nodes only grows, so no node can
    /// lose all its successors at once.
    async fn churn_once(&mut self) -> Result<usize, Box<dyn std::error::Error>> {
        let small = self.ring.len() < self.settings.config.successors + 2;
        let event = if small {
            0
        } else {
            self.rng.random_range(0..3)
        };
        match event {
            0 => {
                let newcomer = self.start_node().await?;
                self.join_during_churn(newcomer).await?;
            }
            _ => {
                let victim = self.ring.random_node();
                self.digest.number(victim.id.0.rotate_left(event as u32));
                if event == 1 {
                    let _ = victim.node.leave();
                } else if let Some(name) = self.names.get(&victim.id) {
                    self.sim.crash(name);
                } else {
                    // Shared nodes cannot crash one by one: stop it.
                    let _ = victim.node.leave();
                }
                self.ring.forget(victim.id);
            }
        }
        Ok(event)
    }

    /// `newcomer` joins through a random member of a ring that may be
    /// repairing itself: a join that finds no route (a member whose
    /// successor just failed) is tried again a second later through
    /// another member, as a lookup would be, up to ten times.
    async fn join_during_churn(&mut self, newcomer: Peer) -> Result<(), RingError> {
        let mut attempts = 0;
        loop {
            let via = self.ring.random_node();
            self.digest.number(newcomer.id.0 ^ via.id.0);
            match join(newcomer.clone(), via, self.settings.settle_limit).await {
                Ok(()) => break,
                Err(RingError::Join { .. }) if attempts < 10 => attempts += 1,
                Err(error) => return Err(error),
            }
            actium::sleep(Duration::from_secs(1)).await;
        }
        self.ring.admit(newcomer);
        Ok(())
    }

    /// Waits until the ring is stable, and notes how many rounds it took.
    async fn settle(&mut self) -> Result<(), RingError> {
        let rounds = self
            .ring
            .wait_until_stable(self.settings.settle_limit)
            .await?;
        self.digest.number(u64::from(rounds));
        Ok(())
    }

    /// `count` lookups, noted in the digest.
    async fn lookups(&mut self, count: usize) -> Lookups {
        let lookups = self.ring.lookups(count).await;
        self.digest.number(lookups.failed as u64);
        lookups
            .hops
            .iter()
            .for_each(|&hops| self.digest.number(u64::from(hops)));
        lookups
    }
}

/// `newcomer` joins through `via`.
async fn join(newcomer: Peer, via: Peer, limit: Duration) -> Result<(), RingError> {
    let joined = newcomer.node.join(via).timeout(limit).await;
    let joined = joined.map_err(|error| RingError::Call {
        node: newcomer.id,
        error,
    })?;
    joined.map_err(|error| RingError::Join {
        node: newcomer.id,
        error,
    })
}

/// Several batches of lookups as one.
fn merge(batches: Vec<Lookups>) -> Lookups {
    let mut all = Lookups {
        count: 0,
        hops: Vec::new(),
        failed: 0,
        failures: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for batch in batches {
        all.count += batch.count;
        all.hops.extend(batch.hops);
        all.failed += batch.failed;
        all.failures.extend(batch.failures);
        all.elapsed += batch.elapsed;
    }
    all.hops.sort_unstable();
    all
}
