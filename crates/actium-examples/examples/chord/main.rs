//! Chord, the main demo. In one process: builds a ring of N nodes, waits
//! until every pointer is right, performs L random lookups and compares
//! their mean path length with the paper's ½·log2 N; then kills a fraction
//! F of the nodes at once, waits until the ring has repaired itself, and
//! checks that every lookup still succeeds and every stored key is still
//! there, read from the replicas on the successor lists. Last, one more
//! node joins while its messages are recorded, and the sequence diagram of
//! that join is written as an SVG.
//!
//! ```text
//! cargo run --release --example chord                 # 1,000 nodes, 10% fail
//! cargo run --release --example chord -- --nodes 10000 --lookups 10000 --fail 0.1 --seed 1
//! cargo run --release --example chord -- --processes 8
//! cargo run --release --example chord -- --simulate --seed 7 --nodes 200 --lookups 2000
//! ```
//!
//! With `--processes P` each node is a process of its own (this program,
//! started again as `chord node --join <url>`): P processes form a ring,
//! store keys, one is killed with SIGKILL, and every key is read again.
//!
//! With `--simulate` the ring runs in deterministic simulation: one
//! simulated node per Chord node, 1–50 ms of virtual latency on every
//! message, then churn (joins, leaves and crashes drawn from the seed);
//! the summary line adds the virtual time and a digest of the run, the
//! same for the same seed.

mod processes;
mod simulated;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium_examples::chord::{Config, Entry, Lookups, NodeArgs, Ring, process, trace};
use clap::{Parser, Subcommand};

/// Builds a Chord ring, measures its lookups, fails nodes, and draws one
/// node's join.
#[derive(Parser, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: Args,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs one node of a ring of node processes: what `--processes`
    /// starts. Prints `listening <address>` once the node is in the ring.
    Node(NodeArgs),
}

#[derive(clap::Args, Debug)]
struct Args {
    /// How many nodes, all in this process.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// Instead of --nodes: this many nodes, one per process.
    #[arg(long)]
    processes: Option<usize>,
    /// How many random lookups to measure.
    #[arg(long, default_value_t = 10_000)]
    lookups: usize,
    /// The fraction F of nodes to kill at once after the ring is stable (0
    /// to 0.5). A node whose r successors all die is cut off from the ring
    /// (§5.2), so keep N·F^r well below 1, raising --successors if need be.
    /// With --processes: at least one process is killed.
    #[arg(long, default_value_t = 0.1)]
    fail: f64,
    /// How many keys to store before the failures, and read after them.
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// r: the length of each node's successor list and the number of
    /// replicas of each key [default: 8; 3 with --processes, so that a key
    /// is not on every node].
    #[arg(long)]
    successors: Option<usize>,
    /// Seeds node identifiers, join points, lookups and failures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The pause between two runs of a node's periodic tasks while they
    /// change something, in milliseconds [default: 10; 100 with
    /// --simulate].
    #[arg(long)]
    fastest_ms: Option<u64>,
    /// The longest pause between two runs of a node's periodic tasks, in
    /// milliseconds [default: N/5, at least 100; 5000 with --simulate].
    #[arg(long)]
    slowest_ms: Option<u64>,
    /// How long a node waits for another node's answer before it skips
    /// it, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    call_timeout_ms: u64,
    /// How long the ring may take to settle after each batch of joins or
    /// after the failures, in seconds.
    #[arg(long, default_value_t = 300)]
    settle_limit: u64,
    /// Where the sequence diagram of one node's join goes (`join.svg`,
    /// with the recorded messages in `join.jsonl`).
    #[arg(long, default_value = "target/chord-demo")]
    trace_dir: PathBuf,
    /// Do not record and draw a join.
    #[arg(long)]
    no_trace: bool,
    /// Runs in deterministic simulation, in virtual time, with every
    /// choice drawn from --seed.
    #[arg(long)]
    simulate: bool,
    /// With --simulate: how many churn events (a join, a leave or a
    /// crash) follow the first lookups [default: N/5].
    #[arg(long)]
    churn: Option<usize>,
    /// With --simulate: the least and the most latency of a message, in
    /// milliseconds.
    #[arg(long, num_args = 2, default_values_t = [1, 50])]
    latency_ms: Vec<u64>,
    /// With --processes: how the node processes reach each other, `tcp`
    /// (each listens on a port) or `nats` (they meet through a NATS
    /// server).
    #[arg(long, default_value = "tcp", value_parser = ["tcp", "nats"])]
    transport: String,
    /// With --transport nats: the NATS server's URL; without it, the
    /// example starts a `nats-server` of its own for the run.
    #[arg(long)]
    nats: Option<String>,
}

fn main() -> ExitCode {
    let Cli { command, args } = Cli::parse();
    let outcome = match command {
        Some(Command::Node(node)) => {
            actium::launch(Mode::Tasks, async { Ok(process::serve(node).await?) })
        }
        None if !(0.0..=0.5).contains(&args.fail) || args.nodes == 0 => {
            Err("--nodes must be at least 1 and --fail between 0 and 0.5".into())
        }
        None if args.processes.is_some_and(|p| p < 2) => {
            Err("--processes must be at least 2: one of them is killed".into())
        }
        None if args.simulate => simulated::run(&args),
        None => match args.processes {
            Some(count) => actium::launch(Mode::Tasks, processes::run(count, args)),
            None => actium::launch(Mode::Tasks, run(args)),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chord: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let limit = Duration::from_secs(args.settle_limit);
    let config = config_for(&args, args.nodes);

    let start = Instant::now();
    let mut ring = Ring::new(config, args.seed);
    while ring.len() < args.nodes {
        let batch = ring.grow(args.nodes, limit).await?;
        if args.nodes >= 1000 {
            println!(
                "chord: {} nodes joined, {} in all, stable after {} rounds in {:.2?}",
                batch.joined,
                ring.len(),
                batch.rounds,
                batch.elapsed
            );
        }
    }
    println!(
        "chord: {} nodes joined and stable in {:.2?}",
        ring.len(),
        start.elapsed()
    );
    let (keys, failed_puts) = ring.store_keys(args.keys).await;
    quiet_down(&ring, limit).await?;
    let lookups = ring.lookups(args.lookups).await;
    report(ring.len(), &lookups);
    let mut healthy = lookups.failed == 0 && failed_puts == 0;

    if args.fail > 0.0 {
        let count = (ring.len() as f64 * args.fail).round() as usize;
        let start = Instant::now();
        let killed = ring.kill(count).await;
        let rounds = ring.wait_until_stable(limit).await?;
        println!(
            "chord: killed {} of {} nodes; stable again after {rounds} rounds in {:.2?}",
            killed.len(),
            ring.len() + killed.len(),
            start.elapsed()
        );
        quiet_down(&ring, limit).await?;
        healthy &= lookups_and_keys(&mut ring, &keys, args.lookups).await;
    }
    if !args.no_trace {
        let records = trace::record_join(&mut ring, limit).await?;
        let join = trace::write_join(&records, &args.trace_dir)?;
        println!(
            "chord: one more node joined while recording; sequence diagram of its join \
             ({} messages) -> {}\n       (the recorded messages: {})",
            join.messages,
            join.svg.display(),
            join.trace.display()
        );
    }
    if !healthy {
        return Err("some lookups, stores or reads failed".into());
    }
    Ok(())
}

/// Measures `lookups` lookups and reads every key back, as after failures;
/// returns whether all of them succeeded.
async fn lookups_and_keys(ring: &mut Ring, keys: &[Entry], lookups: usize) -> bool {
    let measured = ring.lookups(lookups).await;
    report(ring.len(), &measured);
    let missing = ring.missing_keys(keys).await;
    println!(
        "chord: keys stored={} retrieved={} lost={missing}",
        keys.len(),
        keys.len() - missing
    );
    measured.failed == 0 && missing == 0
}

/// Waits until every node's maintenance has backed off, so the lookups are
/// measured against the upkeep of a stable ring.
async fn quiet_down(ring: &Ring, limit: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let rounds = ring.wait_until_quiet(limit).await?;
    println!(
        "chord: maintenance backed off to its slowest pace after {rounds} rounds in {:.2?}",
        start.elapsed()
    );
    Ok(())
}

/// The nodes' settings for a ring of `nodes` nodes. Each node's periodic
/// tasks run every `fastest` while they change something and back off to
/// `slowest` while nothing changes; a stable ring of N nodes then runs N
/// maintenance rounds per `slowest`, so that grows with the ring to leave
/// the processors to the lookups.
fn config_for(args: &Args, nodes: usize) -> Config {
    let slowest = (args.slowest_ms.map(Duration::from_millis)).unwrap_or_else(|| {
        Duration::from_micros(200 * nodes as u64).max(Duration::from_millis(100))
    });
    let successors = if args.processes.is_some() { 3 } else { 8 };
    Config {
        successors: args.successors.unwrap_or(successors),
        fastest: Duration::from_millis(args.fastest_ms.unwrap_or(10)),
        slowest,
        call_timeout: Duration::from_millis(args.call_timeout_ms),
        latency: None,
    }
}

fn report(nodes: usize, lookups: &Lookups) {
    report_with(
        nodes,
        lookups,
        &format!("lookups_per_s={:.0}", lookups.per_second()),
    );
}

/// Prints the summary line of `lookups` in a ring of `nodes` nodes, ending
/// with `extra`, and compares the mean path length with the paper's.
fn report_with(nodes: usize, lookups: &Lookups, extra: &str) {
    let mean = lookups.mean_hops();
    println!(
        "chord nodes={nodes} lookups={} mean_hops={mean:.2} p99_hops={} failed={} {extra}",
        lookups.count,
        lookups.percentile(0.99),
        lookups.failed,
    );
    let reference = 0.5 * (nodes as f64).log2();
    println!(
        "paper: mean path length ½·log2 N = {reference:.2}; measured {mean:.2} ({:+.1}%)",
        (mean - reference) / reference * 100.0
    );
}
