//! Chord in one process: builds a ring of N nodes, waits until every
//! pointer is right, performs L random lookups and compares their mean path
//! length with the paper's ½·log2 N. With `--fail F` it then kills a
//! fraction F of the nodes at once, waits until the ring has repaired
//! itself, and checks that every lookup still succeeds and every stored key
//! is still there, read from the replicas on the successor lists.
//!
//! ```text
//! cargo run --release --example chord -- --nodes 1000 --lookups 10000 [--fail 0.1] [--seed 1]
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium_examples::chord::{Config, Lookups, Ring};
use clap::Parser;

/// Builds a Chord ring in one process and measures its lookups.
#[derive(Parser, Debug)]
struct Args {
    /// How many nodes.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// How many random lookups to measure.
    #[arg(long, default_value_t = 10_000)]
    lookups: usize,
    /// The fraction F of nodes to kill at once after the ring is stable (0
    /// to 0.5). A node whose r successors all die is cut off from the ring
    /// (§5.2), so keep N·F^r well below 1, raising --successors if need be.
    #[arg(long, default_value_t = 0.0)]
    fail: f64,
    /// How many keys to store before the failures, and read after them.
    #[arg(long, default_value_t = 1000)]
    keys: usize,
    /// r: the length of each node's successor list and the number of
    /// replicas of each key.
    #[arg(long, default_value_t = 8)]
    successors: usize,
    /// Seeds node identifiers, join points, lookups and failures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The pause between two runs of a node's periodic tasks while they
    /// change something, in milliseconds.
    #[arg(long, default_value_t = 10)]
    fastest_ms: u64,
    /// The longest pause between two runs of a node's periodic tasks, in
    /// milliseconds [default: N/5, at least 100].
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
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=0.5).contains(&args.fail) || args.nodes == 0 {
        eprintln!("chord: --nodes must be at least 1 and --fail between 0 and 0.5");
        return ExitCode::FAILURE;
    }
    match actium::launch(Mode::Tasks, run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chord: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let limit = Duration::from_secs(args.settle_limit);
    let config = config_for(&args);

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
        let lookups = ring.lookups(args.lookups).await;
        report(ring.len(), &lookups);
        let missing = ring.missing_keys(&keys).await;
        println!(
            "chord: keys stored={} retrieved={} lost={missing}",
            keys.len(),
            keys.len() - missing
        );
        healthy &= lookups.failed == 0 && missing == 0;
    }
    if !healthy {
        return Err("some lookups, stores or reads failed".into());
    }
    Ok(())
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

/// Each node's periodic tasks run every `fastest` while they change
/// something and back off to `slowest` while nothing changes; a stable ring
/// of N nodes then runs N maintenance rounds per `slowest`, so that grows
/// with the ring to leave the processors to the lookups.
fn config_for(args: &Args) -> Config {
    let slowest = (args.slowest_ms.map(Duration::from_millis)).unwrap_or_else(|| {
        Duration::from_micros(200 * args.nodes as u64).max(Duration::from_millis(100))
    });
    Config {
        successors: args.successors,
        fastest: Duration::from_millis(args.fastest_ms),
        slowest,
        call_timeout: Duration::from_millis(args.call_timeout_ms),
    }
}

fn report(nodes: usize, lookups: &Lookups) {
    let mean = lookups.mean_hops();
    println!(
        "chord nodes={nodes} lookups={} mean_hops={mean:.2} p99_hops={} failed={} lookups_per_s={:.0}",
        lookups.count,
        lookups.percentile(0.99),
        lookups.failed,
        lookups.per_second()
    );
    let reference = 0.5 * (nodes as f64).log2();
    println!(
        "paper: mean path length ½·log2 N = {reference:.2}; measured {mean:.2} ({:+.1}%)",
        (mean - reference) / reference * 100.0
    );
}
