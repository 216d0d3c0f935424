//! A replicated key-value store on Multi-Paxos: clients run `get`, `put`
//! and `cas` against replicas in real time while the leader crashes
//! halfway through (and restarts later), and the recorded history is
//! checked linearizable.
//!
//! With `--simulate`, each seed instead draws a scenario — crashes and
//! restarts, partitions, lossy links, at virtual times — and runs it in
//! deterministic simulation; `--seeds A..B` runs a range of seeds.
//! `--broken` plants a bug (leaders answer reads locally), and
//! `--no-majority` another (leaders decide without a majority), which the
//! checks should catch.
//!
//! ```text
//! cargo run --release --example kv -- --replicas 5 --clients 8 --ops 500
//! cargo run --release --example kv -- --simulate --seed 42          # replay one
//! cargo run --release --example kv -- --simulate --seeds 0..10000
//! cargo run --release --example kv -- --simulate --seeds 0..1000 --broken
//! ```

use std::process::ExitCode;
use std::time::Instant;

use actium::prelude::*;
use actium_examples::kv::linearizability::{self, Verdict};
use actium_examples::kv::{Client, Cluster, Flavor, Op, Output, Recorder, Settings, simulate};
use clap::Parser;
use futures_util::future::join_all;

/// A key-value store on Multi-Paxos, checked for linearizability.
#[derive(Parser, Debug)]
struct Cli {
    /// How many replicas.
    #[arg(long, default_value_t = 5)]
    replicas: usize,
    /// How many concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: u64,
    /// Operations per client.
    #[arg(long, default_value_t = 200)]
    ops: u32,
    /// Runs in deterministic simulation, with a scenario drawn from the
    /// seed.
    #[arg(long)]
    simulate: bool,
    /// The seed (of the network in real time; of the scenario with
    /// --simulate).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With --simulate: a range of seeds, `A..B`.
    #[arg(long)]
    seeds: Option<String>,
    /// Leaders answer reads from their own state: a planted bug.
    #[arg(long)]
    broken: bool,
    /// Leaders decide without a majority: another planted bug.
    #[arg(long)]
    no_majority: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let flavor = match (cli.broken, cli.no_majority) {
        (true, _) => Flavor::LocalReads,
        (false, true) => Flavor::NoMajority,
        (false, false) => Flavor::Correct,
    };
    if cli.simulate {
        let (first, end) = match cli.seeds.as_deref().map(parse_range) {
            None => return replay(cli.seed, flavor),
            Some(Some(range)) => range,
            Some(None) => {
                eprintln!("kv: --seeds takes a range such as 0..1000");
                return ExitCode::FAILURE;
            }
        };
        return simulated(first, end.saturating_sub(first), flavor);
    }
    match actium::launch(Mode::Tasks, live(cli, flavor)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("kv: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_range(range: &str) -> Option<(u64, u64)> {
    let (first, end) = range.split_once("..")?;
    Some((first.parse().ok()?, end.parse().ok()?))
}

/// Runs one seed in simulation and prints its summary.
fn replay(seed: u64, flavor: Flavor) -> ExitCode {
    let outcome = match simulate::run(seed, flavor) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("kv: {error}");
            return ExitCode::FAILURE;
        }
    };
    let violation = outcome.violation();
    println!(
        "kv replicas={} clients={} ops={} answered={} linearizable={} leader_changes={} \
         virtual_s={:.3} digest={}",
        outcome.replicas,
        outcome.clients,
        outcome.operations,
        outcome.answered,
        violation.is_none(),
        outcome.leader_changes,
        outcome.elapsed.as_secs_f64(),
        outcome.digest
    );
    match violation {
        None => ExitCode::SUCCESS,
        Some(violation) => {
            println!("kv: seed {seed}: {violation}");
            ExitCode::FAILURE
        }
    }
}

fn simulated(first: u64, count: u64, flavor: Flavor) -> ExitCode {
    let start = Instant::now();
    let batch = match simulate::run_many(first, count, flavor) {
        Ok(batch) => batch,
        Err(error) => {
            eprintln!("kv: {error}");
            return ExitCode::FAILURE;
        }
    };
    let wall = start.elapsed().as_secs_f64();
    println!(
        "kv seeds={} first={first} ops={} answered={} linearizable={} leader_changes={} \
         virtual_s={:.1} wall_s={wall:.2} seeds_per_s={:.0} digest={}",
        batch.runs,
        batch.operations,
        batch.answered,
        batch.violation.is_none(),
        batch.leader_changes,
        batch.elapsed.as_secs_f64(),
        batch.runs as f64 / wall.max(f64::EPSILON),
        batch.digest
    );
    match batch.violation {
        None => ExitCode::SUCCESS,
        Some((seed, violation)) => {
            println!(
                "kv: seed {seed} (run {} of the batch): {violation}",
                batch.runs
            );
            ExitCode::FAILURE
        }
    }
}

/// Real time: clients on 3 keys, the leader crashed when client 1 is
/// halfway and restarted when it is three quarters through.
async fn live(cli: Cli, flavor: Flavor) -> actium::Result<bool> {
    let settings = Settings {
        flavor,
        ..Settings::default()
    };
    let cluster = Cluster::start(cli.replicas, settings, cli.seed);
    let recorder = Recorder::new();
    let start = Instant::now();
    let clients = (1..=cli.clients).map(|id| {
        let client = Client::new(id, cluster.network(), recorder.clone());
        let cluster = (id == 1).then_some(&cluster);
        run_client(client, id, cli.ops, cluster)
    });
    join_all(clients).await;
    let wall = start.elapsed().as_secs_f64();
    let history = recorder.operations();
    let answered = history.iter().filter(|op| op.answered.is_some()).count();
    let verdict =
        linearizability::check(&history).unwrap_or(Verdict::Undecided { key: String::new() });
    let logs = cluster.logs_agree().await;
    println!(
        "kv replicas={} clients={} ops={} answered={answered} linearizable={} logs_agree={} \
         leader_changes={} wall_s={wall:.2} ops_per_s={:.0}",
        cli.replicas,
        cli.clients,
        history.len(),
        verdict.is_linearizable(),
        logs.is_ok(),
        cluster.network().leader_changes(),
        answered as f64 / wall.max(f64::EPSILON),
    );
    if let Verdict::Violation { key, operations } = &verdict {
        println!("kv: key {key:?} is not linearizable: {operations:?}");
    }
    Ok(verdict.is_linearizable() && logs.is_ok())
}

/// `ops` operations on three keys; with `cluster`, crashes the leader
/// halfway and restarts it at three quarters.
async fn run_client(mut client: Client, id: u64, ops: u32, cluster: Option<&Cluster>) {
    let mut last_read = None;
    let mut crashed = None;
    for n in 0..ops {
        if let Some(cluster) = cluster {
            if n == ops / 2 {
                crashed = cluster.network().leader();
                crashed.inspect(|&leader| cluster.crash(leader));
                println!("kv: crashed the leader, replica {crashed:?}");
            }
            if n == ops * 3 / 4 {
                crashed.inspect(|&leader| cluster.restart(leader));
            }
        }
        let key = format!("k{}", (u64::from(n) * 7 + id) % 3);
        let value = format!("{id}.{n}");
        let op = match n % 3 {
            0 => Op::Get { key },
            1 => Op::Put { key, value },
            _ => Op::Cas {
                key,
                expected: last_read.clone(),
                new: value,
            },
        };
        if let Some(Output::Value(value)) = client.execute(op).await {
            last_read = value;
        }
    }
}
