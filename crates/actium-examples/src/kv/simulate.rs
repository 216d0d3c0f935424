//! The store under deterministic simulation: each seed draws a scenario —
//! how many replicas and clients, how lossy and slow the network is, and
//! a sequence of faults (a replica, often the leader, crashed and
//! restarted later; a minority, often with the leader, cut off by a
//! partition and healed later) — runs it in [`Mode::Simulated`] with
//! virtual time, then checks that the clients' history is linearizable
//! ([`linearizability::check`]) and that
//! the replicas' logs agree.
//!
//! Liveness is not promised — a client whose operation finds no majority
//! within its patience (5 s) gives up, and the history records it unanswered — but
//! faults end, so most operations are answered.
//!
//! ```
//! use actium_examples::kv::{Flavor, simulate};
//!
//! let first = simulate::run(7, Flavor::Correct)?;
//! assert!(first.verdict.is_linearizable());
//! assert_eq!(first.digest, simulate::run(7, Flavor::Correct)?.digest); // a seed replays
//! # Ok::<(), actium::Error>(())
//! ```

use std::time::Duration;

use actium::prelude::*;
use actium::{Clock, SystemHandle};
use futures_util::future::{join, join_all};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::linearizability::{self, Verdict};
use super::{Client, Cluster, Flavor, Op, Output, Recorder, Settings};
use crate::digest::Digest;

/// What one seed's run did, and whether it was correct.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// How many replicas the scenario drew.
    pub replicas: usize,
    /// How many clients it drew.
    pub clients: u64,
    /// How many operations the clients invoked.
    pub operations: usize,
    /// How many of them were answered.
    pub answered: usize,
    /// The checker's verdict on the history.
    pub verdict: Verdict,
    /// Where two replicas' logs differ, if they do.
    pub divergence: Option<String>,
    /// How often leadership moved to another replica.
    pub leader_changes: u64,
    /// The virtual time the run took.
    pub elapsed: Duration,
    /// A digest of the scenario, the faults and the history: the same for
    /// the same seed.
    pub digest: Digest,
}

impl Outcome {
    /// What went wrong, if anything did.
    pub fn violation(&self) -> Option<String> {
        match &self.verdict {
            Verdict::Linearizable => self.divergence.clone(),
            Verdict::Violation { key, operations } => Some(format!(
                "the history of key {key:?} is not linearizable: {operations:?}"
            )),
            Verdict::Undecided { key } => Some(format!("the checker gave up on key {key:?}")),
        }
    }
}

/// A fault and how long it lasts.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Crash the leader (or a replica if none leads), restart it after.
    CrashLeader,
    /// Crash this replica, restart it after.
    Crash(usize),
    /// Cut off a minority of this size, with the leader in it; heal after.
    CutLeader(usize),
    /// Cut off a minority of this size from this replica on, without
    /// regard to the leader.
    Cut(usize, usize),
}

/// What a seed draws.
#[derive(Debug)]
struct Scenario {
    replicas: usize,
    clients: u64,
    operations: u32,
    keys: u32,
    settings: Settings,
    /// Start and length of each fault, one after the other.
    faults: Vec<(Duration, Duration, Fault)>,
}

impl Scenario {
    /// 3 or 5 replicas; 2 to 4 clients of 8 to 20 operations on 1 to 3
    /// keys; with probability ½ a lossy network (1 to 10% of messages);
    /// latencies up to 2 to 20 ms; 0 to 4 faults 0 to 500 ms apart, each
    /// lasting 100 ms to 1.5 s.
    fn draw(seed: u64, flavor: Flavor) -> Scenario {
        let mut rng = StdRng::seed_from_u64(seed);
        let replicas = if rng.random_bool(0.5) { 3 } else { 5 };
        let loss = if rng.random_bool(0.5) {
            rng.random_range(0.01..0.1)
        } else {
            0.0
        };
        let latency = (
            Duration::from_millis(1),
            Duration::from_millis(rng.random_range(2..=20)),
        );
        let mut faults = Vec::new();
        let mut at = Duration::ZERO;
        for _ in 0..rng.random_range(0..=4) {
            at += Duration::from_millis(rng.random_range(0..500));
            let lasting = Duration::from_millis(rng.random_range(100..1500));
            let minority = rng.random_range(1..=(replicas - 1) / 2);
            let fault = match rng.random_range(0..4) {
                0 => Fault::CrashLeader,
                1 => Fault::Crash(rng.random_range(0..replicas)),
                2 => Fault::CutLeader(minority),
                _ => Fault::Cut(minority, rng.random_range(0..replicas)),
            };
            faults.push((at, lasting, fault));
            at += lasting;
        }
        Scenario {
            replicas,
            clients: rng.random_range(2..=4),
            operations: rng.random_range(8..=20),
            keys: rng.random_range(1..=3),
            settings: Settings {
                loss,
                latency,
                flavor,
                ..Settings::default()
            },
            faults,
        }
    }
}

/// Runs the scenario of `seed` with replicas of `flavor` in a simulation
/// seeded with it, and checks the history and the logs.
///
/// # Errors
///
/// [`actium::Error::Stalled`] if the simulation could not go on (a bug:
/// every wait of the run has a deadline).
pub fn run(seed: u64, flavor: Flavor) -> Result<Outcome, actium::Error> {
    System::builder()
        .mode(Mode::Simulated { seed })
        .jitter(Duration::from_millis(1))
        .launch(simulated(seed, flavor))
}

async fn simulated(seed: u64, flavor: Flavor) -> Result<Outcome, actium::Error> {
    let clock = SystemHandle::current().clock();
    let start = clock.now();
    let scenario = Scenario::draw(seed, flavor);
    let mut digest = Digest::new();
    digest.number(seed);
    digest.text(&format!("{scenario:?}"));
    let cluster = Cluster::start(scenario.replicas, scenario.settings, seed);
    let recorder = Recorder::new();
    let clients = (1..=scenario.clients).map(|id| {
        let client = Client::new(id, cluster.network(), recorder.clone());
        let rng = StdRng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(id));
        work(client, id, rng, scenario.operations, scenario.keys)
    });
    let (_, faults) = join(join_all(clients), inject(&cluster, &scenario, &clock)).await;
    faults.iter().for_each(|fault| digest.text(fault));
    // Everyone back, and a moment to catch up, before comparing logs.
    cluster.network().heal();
    (0..scenario.replicas).for_each(|replica| cluster.restart(replica));
    actium::sleep(Duration::from_secs(1)).await;
    let divergence = cluster.logs_agree().await.err();

    let history = recorder.operations();
    for operation in &history {
        digest.text(&format!("{operation:?}"));
    }
    // Every operation's output is of its kind: the checker cannot fail.
    let verdict =
        linearizability::check(&history).unwrap_or(Verdict::Undecided { key: String::new() });
    let elapsed = clock.now() - start;
    let leader_changes = cluster.network().leader_changes();
    digest.number(leader_changes);
    digest.number(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    Ok(Outcome {
        seed,
        replicas: scenario.replicas,
        clients: scenario.clients,
        operations: history.len(),
        answered: history.iter().filter(|op| op.answered.is_some()).count(),
        verdict,
        divergence,
        leader_changes,
        elapsed,
        digest,
    })
}

/// One client's operations: each on a random key, a get, put or cas (cas
/// expecting the value last read, or none), 0 to 20 ms apart.
async fn work(mut client: Client, id: u64, mut rng: StdRng, operations: u32, keys: u32) {
    let mut last_read = None;
    for n in 0..operations {
        let key = format!("k{}", rng.random_range(0..keys));
        let op = match rng.random_range(0..3) {
            0 => Op::Get { key },
            1 => Op::Put {
                key,
                value: format!("{id}.{n}"),
            },
            _ => Op::Cas {
                key,
                expected: last_read.clone(),
                new: format!("{id}.{n}"),
            },
        };
        if let Some(Output::Value(value)) = client.execute(op).await {
            last_read = value;
        }
        actium::sleep(Duration::from_millis(rng.random_range(0..20))).await;
    }
}

/// Applies the scenario's faults at their times; returns what it did.
async fn inject(cluster: &Cluster, scenario: &Scenario, clock: &Clock) -> Vec<String> {
    let start = clock.now();
    let network = cluster.network();
    let mut done = Vec::new();
    for &(at, lasting, fault) in &scenario.faults {
        clock.sleep_until(start + at).await;
        let leader = network.leader().unwrap_or(0);
        match fault {
            Fault::CrashLeader | Fault::Crash(_) => {
                let replica = if let Fault::Crash(replica) = fault {
                    replica
                } else {
                    leader
                };
                cluster.crash(replica);
                done.push(format!("{at:?}: crashed {replica} for {lasting:?}"));
                actium::sleep(lasting).await;
                cluster.restart(replica);
            }
            Fault::CutLeader(size) | Fault::Cut(size, _) => {
                let first = if let Fault::Cut(_, first) = fault {
                    first
                } else {
                    leader
                };
                let minority: Vec<usize> =
                    (0..size).map(|n| (first + n) % scenario.replicas).collect();
                network.partition(&minority);
                done.push(format!("{at:?}: cut off {minority:?} for {lasting:?}"));
                actium::sleep(lasting).await;
                network.heal();
            }
        }
    }
    done
}

/// What a batch of seeds did.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// How many seeds ran.
    pub runs: u64,
    /// How many operations were invoked in all.
    pub operations: u64,
    /// How many operations were answered.
    pub answered: u64,
    /// Leader changes in all runs.
    pub leader_changes: u64,
    /// The virtual time all runs took together.
    pub elapsed: Duration,
    /// The first seed whose history was not linearizable or whose logs
    /// diverged, and what was wrong.
    pub violation: Option<(u64, String)>,
    /// The digests of all runs, combined in seed order.
    pub digest: Digest,
}

/// Runs seeds `first..first + count` one after another with replicas of
/// `flavor`, stopping at the first violation.
///
/// # Errors
///
/// As [`run`].
pub fn run_many(first: u64, count: u64, flavor: Flavor) -> Result<Batch, actium::Error> {
    let mut batch = Batch::default();
    for seed in first..first.saturating_add(count) {
        let outcome = run(seed, flavor)?;
        batch.runs += 1;
        batch.operations += outcome.operations as u64;
        batch.answered += outcome.answered as u64;
        batch.leader_changes += outcome.leader_changes;
        batch.elapsed += outcome.elapsed;
        batch.digest.number(outcome.digest.value());
        if let Some(violation) = outcome.violation() {
            batch.violation = Some((seed, violation));
            break;
        }
    }
    Ok(batch)
}
