//! Scribe over Chord, the demo. In one process: builds a stable Chord ring
//! of N nodes with a Scribe node beside each, subscribes a random 10% to
//! 50% of the nodes to each of T topics, checks every tree against the
//! true ring, and publishes one message per topic: delivery ratio, tree
//! depth against log2 N, and link stress (copies of the messages that
//! cross each pair of nodes). Then kills a fraction F of the nodes at once
//! and publishes again twice: right after the kill, with the trees'
//! repair held, and once the trees are repaired.
//!
//! ```text
//! cargo run --release --example scribe        # 1,000 nodes, 100 topics, 10% fail
//! cargo run --release --example scribe -- --nodes 200 --topics 20 --seed 2
//! cargo run --release --example scribe -- --simulate --seed 7
//! ```
//!
//! With `--simulate` the same run is one system in deterministic
//! simulation: virtual time, and every scheduling choice drawn from the
//! seed; the durations printed are virtual.

use std::process::ExitCode;
use std::time::Duration;

use actium::prelude::*;
use actium::{Clock, SystemHandle};
use actium_examples::chord;
use actium_examples::scribe::{self, Network, Round};
use clap::Parser;

/// Builds Scribe over a Chord ring, publishes, fails nodes, repairs.
#[derive(Parser, Debug)]
struct Args {
    /// How many nodes, all in this process.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// How many topics.
    #[arg(long, default_value_t = 100)]
    topics: usize,
    /// The least and the most fraction of the nodes subscribing to each
    /// topic, drawn per topic.
    #[arg(long, num_args = 2, default_values_t = [0.1, 0.5])]
    subscribers: Vec<f64>,
    /// The fraction of nodes to kill at once (0 to 0.5).
    #[arg(long, default_value_t = 0.1)]
    fail: f64,
    /// How long subscribers may take to receive a round's messages, in
    /// milliseconds: what a message lost to a broken tree costs.
    #[arg(long, default_value_t = 2000)]
    deliver_ms: u64,
    /// Seeds node identifiers, subscribers, publishers and failures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs in deterministic simulation (`Mode::Simulated`): one system,
    /// virtual time, every choice of the scheduler drawn from --seed.
    #[arg(long)]
    simulate: bool,
    /// How long building, subscribing and repairing may take, in seconds.
    #[arg(long, default_value_t = 300)]
    settle_limit: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let valid = args.nodes >= 2
        && (0.0..=0.5).contains(&args.fail)
        && args.subscribers.iter().all(|f| (0.0..=1.0).contains(f))
        && args.subscribers[0] <= args.subscribers[1];
    let outcome = match valid {
        false => Err("--nodes must be at least 2, --fail in 0..=0.5, --subscribers A B with 0 <= A <= B <= 1".into()),
        true if args.simulate => actium::launch(Mode::Simulated { seed: args.seed }, run(args)),
        true => actium::launch(Mode::Tasks, run(args)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scribe: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // The system's clock: virtual in a simulation.
    let clock = SystemHandle::try_current().map_or_else(|_| Clock::real(), |s| s.clock());
    let limit = Duration::from_secs(args.settle_limit);
    let deliver = Duration::from_millis(args.deliver_ms);
    // As Chord's demo: maintenance backs off to N/5 ms when nothing changes.
    let slowest = Duration::from_micros(200 * args.nodes as u64).max(Duration::from_millis(100));
    let chord_config = chord::Config {
        slowest,
        ..chord::Config::default()
    };
    let start = clock.now();
    let mut network = Network::build(
        args.nodes,
        chord_config,
        scribe::Config::default(),
        args.seed,
        limit,
    )
    .await?;
    println!(
        "scribe: {} Chord nodes stable, with a Scribe node each, in {:.2?}",
        network.ring.len(),
        (clock.now() - start)
    );

    let start = clock.now();
    let fraction = (args.subscribers[0], args.subscribers[1]);
    network
        .scribes
        .subscribe(args.topics, fraction, limit)
        .await?;
    let subscriptions: usize = network
        .scribes
        .topics
        .iter()
        .map(|t| t.subscribers.len())
        .sum();
    let forest = network.scribes.forest(network.root_of()).await;
    println!(
        "scribe: {subscriptions} subscriptions to {} topics ({:.0}%–{:.0}% of the nodes each) in trees in {:.2?}; \
         tree check: {} problems; children per forwarder mean={:.2} max={}",
        args.topics,
        fraction.0 * 100.0,
        fraction.1 * 100.0,
        (clock.now() - start),
        forest.wrong.len(),
        mean(forest.fanout.iter().map(|&f| f as f64)),
        forest.fanout.iter().max().unwrap_or(&0),
    );
    let _reset = network.scribes.link_stress().await;
    let round = network.scribes.publish(1, deliver).await;
    let stress = network.scribes.link_stress().await;
    report(&network, &round, &stress, "");
    let mut healthy = round.delivered == round.expected && forest.wrong.is_empty();

    if args.fail > 0.0 {
        let count = (network.ring.len() as f64 * args.fail).round() as usize;
        network.scribes.set_repair(false);
        let killed = network.kill(count).await;
        let broken = network.scribes.publish(1, deliver).await;
        let stress = network.scribes.link_stress().await;
        println!(
            "scribe: killed {} nodes; publishing at once, trees not repaired:",
            killed.len()
        );
        report(&network, &broken, &stress, " (before repair)");

        let start = clock.now();
        network.scribes.set_repair(true);
        let rounds = network.ring.wait_until_stable(limit).await?;
        let chord_stable = clock.now() - start;
        let checks = network
            .scribes
            .wait_until_repaired(network.root_of(), limit)
            .await?;
        println!(
            "scribe: repair turned on; Chord stable after {rounds} rounds in {chord_stable:.2?}; trees \
             repaired after {checks} more checks, {:.2?} after repair was turned on",
            (clock.now() - start)
        );
        let repaired = network.scribes.publish(1, deliver).await;
        let stress = network.scribes.link_stress().await;
        report(&network, &repaired, &stress, " (after repair)");
        healthy &= repaired.delivered == repaired.expected;
    }
    if !healthy {
        return Err("some subscribers missed messages with no failure, or after repair".into());
    }
    Ok(())
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0_usize), |(sum, count), v| (sum + v, count + 1));
    sum / count.max(1) as f64
}

/// Prints the summary line of one round: one message per topic.
fn report(network: &Network, round: &Round, stress: &[u64], when: &str) {
    let nodes = network.ring.len();
    println!(
        "scribe nodes={nodes} topics={} delivered={}/{} ratio={:.4} failed_publishes={} lookup_failures={} tree_ratio={:.4} misordered={} \
         depth_mean={:.2} depth_max={} log2n={:.2} link_stress_mean={:.2} link_stress_max={} copies={}{when}",
        network.scribes.topics.len(),
        round.delivered,
        round.expected,
        round.ratio(),
        round.failed_publishes,
        round.lookup_failures,
        round.tree_ratio(),
        round.misordered,
        mean(round.depths.iter().map(|&d| f64::from(d))),
        round.depths.iter().max().unwrap_or(&0),
        (nodes as f64).log2(),
        mean(stress.iter().map(|&s| s as f64)),
        stress.iter().max().unwrap_or(&0),
        stress.iter().sum::<u64>(),
    );
}
