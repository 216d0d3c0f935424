//! Single-decree Paxos: three proposers compete to get their own value
//! chosen by five acceptors, of which one has crashed, one is cut off by a
//! partition and one loses a fifth of its messages. A majority is still
//! up, so one value is chosen: every proposer returns it, every learner
//! learns it, and no learner ever sees a second one.
//!
//!
//! With `--simulate`, each seed instead draws a scenario — lossy links,
//! crashes and partitions that heal, at virtual times — and runs it in
//! deterministic simulation, checking agreement and validity; `--seeds N`
//! runs N seeds one after another.
//!
//! ```text
//! cargo run --example paxos [-- seed]
//! cargo run --release --example paxos -- --simulate --seeds 10000
//! cargo run --release --example paxos -- --simulate --seed 42    # replay one
//! ```

use std::process::ExitCode;
use std::time::Instant;

use actium::prelude::*;
use actium_examples::paxos::{Cluster, Network, simulate};
use clap::Parser;
use futures_util::future::join_all;

/// Single-decree Paxos under crashed, partitioned and lossy acceptors.
#[derive(Parser, Debug)]
struct Cli {
    /// Seeds lost messages and back-offs (the first seed with --simulate).
    #[arg(default_value_t = 1)]
    seed_arg: u64,
    /// The seed; overrides the positional one.
    #[arg(long)]
    seed: Option<u64>,
    /// Runs in deterministic simulation, with a scenario drawn from each
    /// seed.
    #[arg(long)]
    simulate: bool,
    /// With --simulate: how many seeds to run, from --seed on.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let seed = cli.seed.unwrap_or(cli.seed_arg);
    if cli.simulate {
        return simulated(seed, cli.seeds);
    }
    match actium::launch(Mode::Tasks, run(seed)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("paxos: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `count` seeds from `first` in simulation; fails on the first
/// that breaks agreement or validity.
fn simulated(first: u64, count: u64) -> ExitCode {
    let start = Instant::now();
    let batch = match simulate::run_many(first, count) {
        Ok(batch) => batch,
        Err(error) => {
            eprintln!("paxos: {error}");
            return ExitCode::FAILURE;
        }
    };
    let wall = start.elapsed().as_secs_f64();
    println!(
        "paxos simulated seeds={} first={first} chose={} safe={} virtual_s={:.1} wall_s={wall:.2} \
         seeds_per_s={:.0} digest={}",
        batch.runs,
        batch.chose,
        batch.runs - u64::from(batch.violation.is_some()),
        batch.elapsed.as_secs_f64(),
        batch.runs as f64 / wall.max(f64::EPSILON),
        batch.digest
    );
    match batch.violation {
        None => ExitCode::SUCCESS,
        Some((seed, violation)) => {
            println!("paxos: UNSAFE with seed {seed}: {violation}");
            ExitCode::FAILURE
        }
    }
}

async fn run(seed: u64) -> actium::Result<bool> {
    let networks = [
        Network::Reliable, // crashed below
        Network::Partitioned,
        Network::Lossy(0.2),
        Network::Reliable,
        Network::Reliable,
    ];
    let cluster = Cluster::seeded(&networks, 3, 3, seed);
    let crashed = &cluster.acceptors.members()[0];
    crashed.kill();
    crashed.stopped().await;
    println!(
        "paxos: 5 acceptors (#0 crashed, #1 partitioned, #2 loses 20% of messages), \
         3 proposers, 3 learners"
    );

    let values = ["apple", "banana", "cherry"].map(String::from);
    let proposals = (cluster.proposers.iter().zip(&values)).map(|(p, v)| p.propose(v.clone()));
    let outcomes = join_all(proposals).await;
    let mut chosen = Vec::new();
    for ((number, proposer), (value, outcome)) in
        (cluster.proposers.iter().enumerate()).zip(values.iter().zip(outcomes))
    {
        let ballots = proposer.ballots().await?;
        match outcome? {
            Ok(agreed) => {
                println!(
                    "paxos: proposer {number} proposed {value:?}; chosen {agreed:?} after {ballots} ballots"
                );
                chosen.push(agreed);
            }
            Err(gave_up) => println!("paxos: proposer {number} proposed {value:?}: {gave_up}"),
        }
    }
    let mut learned = Vec::new();
    for learner in &cluster.learners {
        learned.push(learner.wait().await?);
        chosen.extend(learner.chosen().await?);
    }
    println!("paxos: learners learned {learned:?}");

    let agreement = chosen.windows(2).all(|pair| pair[0] == pair[1]) && chosen.len() == 6;
    let validity = chosen.first().is_some_and(|value| values.contains(value));
    if agreement && validity {
        println!("paxos: agreement on {:?}, a proposed value", chosen[0]);
        Ok(true)
    } else {
        println!("paxos: NO AGREEMENT: {chosen:?}");
        Ok(false)
    }
}
