//! Paxos under deterministic simulation: each seed draws a scenario —
//! how many acceptors, proposers and learners, which acceptors lose
//! messages and how often, which crash and when, which are cut off by a
//! partition and when it heals — runs it in [`Mode::Simulated`] with
//! virtual time and a seeded scheduler, and checks Paxos's safety:
//!
//! - agreement: every proposer that returns a value and every learner
//!   names the same one, and no learner ever sees two;
//! - validity: that value is one of those proposed.
//!
//! Liveness is not promised (a seed may crash or cut off a majority), so
//! a run that chooses nothing is safe; [`Outcome::chosen`] says which runs
//! chose. The same actors run in real time in [`Cluster`]'s tests and
//! example; only the driver here is simulation-specific.
//!
//! ```
//! use actium_examples::paxos::simulate;
//!
//! let first = simulate::run(7)?;
//! assert_eq!(first.violation, None);
//! assert_eq!(first.digest, simulate::run(7)?.digest); // a seed replays
//! # Ok::<(), actium::Error>(())
//! ```

use std::time::Duration;

use actium::prelude::*;
use actium::{Clock, SystemHandle};
use futures_util::future::{join, join_all};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::{Cluster, Network, Value};
use crate::digest::Digest;

/// What one seed's run did, and whether it was safe.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// The value chosen, if any.
    pub chosen: Option<Value>,
    /// What broke agreement or validity, if anything did.
    pub violation: Option<String>,
    /// The virtual time the run took.
    pub elapsed: Duration,
    /// The ballots all proposers tried.
    pub ballots: u32,
    /// A digest of the scenario and of every outcome, in order: the same
    /// for the same seed.
    pub digest: Digest,
}

/// A fault, at a virtual time after the start.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Crash(usize),
    Cut(usize),
    Heal(usize),
}

/// What a seed draws.
#[derive(Debug)]
struct Scenario {
    networks: Vec<Network>,
    proposers: u32,
    learners: usize,
    /// Faults in the order they happen.
    faults: Vec<(Duration, Fault)>,
}

impl Scenario {
    /// 3 or 5 acceptors, each lossy (5 to 50% of its messages) with
    /// probability ½, crashing within the first half second with
    /// probability ⅕, cut off for 50 ms to 1 s with probability ¼; 2 to 4
    /// proposers and 1 to 3 learners.
    fn draw(seed: u64) -> Scenario {
        let mut rng = StdRng::seed_from_u64(seed);
        let acceptors = if rng.random_bool(0.5) { 3 } else { 5 };
        let mut faults = Vec::new();
        let networks = (0..acceptors)
            .map(|acceptor| {
                if rng.random_bool(0.2) {
                    let at = rng.random_range(0..500);
                    faults.push((Duration::from_millis(at), Fault::Crash(acceptor)));
                }
                if rng.random_bool(0.25) {
                    let at = rng.random_range(0..500);
                    let until = at + rng.random_range(50..1000);
                    faults.push((Duration::from_millis(at), Fault::Cut(acceptor)));
                    faults.push((Duration::from_millis(until), Fault::Heal(acceptor)));
                }
                if rng.random_bool(0.5) {
                    Network::Lossy(rng.random_range(0.05..0.5))
                } else {
                    Network::Reliable
                }
            })
            .collect();
        faults.sort_by_key(|(at, _)| *at);
        Scenario {
            networks,
            proposers: rng.random_range(2..=4),
            learners: rng.random_range(1..=3),
            faults,
        }
    }

    fn note(&self, digest: &mut Digest) {
        digest.text(&format!("{:?}", self));
    }
}

/// Runs the scenario of `seed` in a simulation seeded with it, and checks
/// agreement and validity.
///
/// # Errors
///
/// [`actium::Error::Stalled`] if the simulation could not go on (a bug:
/// every wait of the run has a deadline).
pub fn run(seed: u64) -> Result<Outcome, actium::Error> {
    actium::launch(Mode::Simulated { seed }, simulated(seed))
}

async fn simulated(seed: u64) -> Result<Outcome, actium::Error> {
    let clock = SystemHandle::current().clock();
    let start = clock.now();
    let scenario = Scenario::draw(seed);
    let mut digest = Digest::new();
    digest.number(seed);
    scenario.note(&mut digest);
    let cluster = Cluster::seeded(
        &scenario.networks,
        scenario.proposers,
        scenario.learners,
        seed,
    );
    let proposed: Vec<Value> = (0..scenario.proposers)
        .map(|number| format!("value {number} of seed {seed}"))
        .collect();
    let proposals = (cluster.proposers.iter().zip(&proposed))
        .map(|(proposer, value)| proposer.propose(value.clone()));
    let faults = inject(&cluster, &scenario, &clock);
    let (outcomes, ()) = join(join_all(proposals), faults).await;
    // Let the acceptors' last reports reach the learners.
    actium::sleep(Duration::from_secs(1)).await;

    let mut seen = Vec::new();
    let mut ballots = 0;
    for (proposer, outcome) in cluster.proposers.iter().zip(outcomes) {
        ballots += proposer.ballots().await?;
        match outcome {
            Ok(Ok(value)) => {
                digest.text(&value);
                seen.push(value);
            }
            Ok(Err(gave_up)) => digest.text(&gave_up.to_string()),
            Err(error) => digest.text(&error.to_string()),
        }
    }
    let mut violation = None;
    for (number, learner) in cluster.learners.iter().enumerate() {
        let learned = learner.chosen().await?;
        if learned.len() > 1 {
            violation = Some(format!("learner {number} saw {learned:?} chosen"));
        }
        learned.iter().for_each(|value| digest.text(value));
        seen.extend(learned);
    }
    let chosen = seen.first().cloned();
    if let Some(value) = &chosen {
        if let Some(other) = seen.iter().find(|other| *other != value) {
            violation.get_or_insert(format!("both {value:?} and {other:?} were chosen"));
        }
        if !proposed.contains(value) {
            violation.get_or_insert(format!("{value:?} was chosen but never proposed"));
        }
    }
    let elapsed = clock.now() - start;
    digest.number(u64::from(ballots));
    digest.number(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    Ok(Outcome {
        seed,
        chosen,
        violation,
        elapsed,
        ballots,
        digest,
    })
}

/// Applies the scenario's faults at their times.
async fn inject(cluster: &Cluster, scenario: &Scenario, clock: &Clock) {
    let start = clock.now();
    let acceptors = cluster.acceptors.members();
    for &(at, fault) in &scenario.faults {
        clock.sleep_until(start + at).await;
        match fault {
            Fault::Crash(acceptor) => acceptors[acceptor].kill(),
            Fault::Cut(acceptor) => {
                let _ = acceptors[acceptor].set_network(Network::Partitioned);
            }
            Fault::Heal(acceptor) => {
                let _ = acceptors[acceptor].set_network(scenario.networks[acceptor]);
            }
        }
    }
}

/// How many runs of a batch chose a value, and the first violation.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// How many seeds ran.
    pub runs: u64,
    /// How many of them chose a value.
    pub chose: u64,
    /// The virtual time all runs took together.
    pub elapsed: Duration,
    /// The first seed that broke agreement or validity, and how.
    pub violation: Option<(u64, String)>,
    /// The digests of all runs, combined in seed order.
    pub digest: Digest,
}

/// Runs seeds `first..first + count` one after another, stopping at the
/// first violation.
///
/// # Errors
///
/// As [`run`].
pub fn run_many(first: u64, count: u64) -> Result<Batch, actium::Error> {
    let mut batch = Batch::default();
    for seed in first..first.saturating_add(count) {
        let outcome = run(seed)?;
        batch.runs += 1;
        batch.chose += u64::from(outcome.chosen.is_some());
        batch.elapsed += outcome.elapsed;
        batch.digest.number(outcome.digest.value());
        if let Some(violation) = outcome.violation {
            batch.violation = Some((seed, violation));
            break;
        }
    }
    Ok(batch)
}
