//! The Chord scale benchmark, in deterministic simulation: N nodes join at
//! random virtual times in the first half of the run, each through a node
//! already in, every node stabilising and fixing its fingers every 30
//! virtual seconds, for 10 virtual minutes (and at least two periods after
//! the last join); then N lookups from random nodes, 4,096 at once
//! (`--in-flight`), are checked against the true ring. Every message
//! between Chord nodes takes 1–50 ms of virtual time. By default every
//! Chord node is an actor on one shared simulated node and the Chord code
//! delays each message itself ([`Config::latency`]); with
//! `--system-per-node` every Chord node is a simulated node of its own (a
//! whole system) and every message crosses the simulated network, through
//! the codec.
//!
//! ```text
//! cargo run --release --example chord_scale -- --nodes 100000
//! cargo run --release --example chord_scale -- --nodes 1000 --count   # and count messages
//! cargo run --release --example chord_scale -- --nodes 1000 --system-per-node
//! ```
//!
//! Prints one line: the lookups' mean path length against ½·log2 N, the
//! failed lookups, virtual and wall time (the run, then apart the
//! teardown of every node's system), simulated messages per second
//! (with --count: each node's sends counted by a recorder, which slows the
//! run; the simulation is the same, so divide by the wall time of a run
//! without it), and peak memory per simulated node.

use std::process::ExitCode;
use std::time::Duration;

use actium_examples::chord::Config;
use actium_examples::chord::simulate::{self, Settings};
use clap::Parser;

/// Simulates a large Chord ring joining, stabilising and answering
/// lookups.
#[derive(Parser, Debug)]
struct Cli {
    /// How many Chord nodes.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// Gives every Chord node a simulated node (a system) of its own,
    /// reached across the simulated network, rather than an actor on one
    /// shared simulated node.
    #[arg(long)]
    system_per_node: bool,
    /// How many lookups at the end [default: as many as nodes].
    #[arg(long)]
    lookups: Option<usize>,
    /// Seeds every choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The maintenance period, in virtual seconds.
    #[arg(long, default_value_t = 30)]
    period_s: u64,
    /// How long the ring runs before the lookups, in virtual seconds (at
    /// least two maintenance periods after the last join).
    #[arg(long, default_value_t = 600)]
    duration_s: u64,
    /// How many lookups run at once. Every node maintains its ring
    /// while they run, so fewer at once cost more messages: with 256,
    /// 100,000 lookups took about 300 virtual seconds, ten maintenance
    /// periods.
    #[arg(long, default_value_t = 4096)]
    in_flight: usize,
    /// Counts the messages sent (slower; use a run without it for the
    /// wall time).
    #[arg(long)]
    count: bool,
    /// Ends the simulation before exiting, timing that apart (it is
    /// quadratic in the number of nodes today).
    #[arg(long)]
    teardown: bool,
}

/// mimalloc rather than glibc's allocator: the simulation allocates and
/// frees small blocks at every message, over a heap of a gigabyte at
/// 100,000 nodes, where glibc's allocator made the run 1.28 times as long
/// (`docs/BENCHMARKS.md`). `--no-default-features` measures without it.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let period = Duration::from_secs(cli.period_s);
    let settings = Settings {
        nodes: cli.nodes.max(1),
        lookups: cli.lookups.unwrap_or(cli.nodes),
        config: Config {
            fastest: period,
            slowest: period,
            ..Config::default()
        },
        shared: !cli.system_per_node,
        in_flight: cli.in_flight,
        ..Settings::new(cli.seed)
    };
    let run = match simulate::scale(
        &settings,
        Duration::from_secs(cli.duration_s),
        cli.count,
        cli.teardown,
    ) {
        Ok(run) => run,
        Err(error) => {
            eprintln!("chord_scale: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (wall, teardown) = (run.wall.0.as_secs_f64(), run.wall.1.as_secs_f64());
    let reference = 0.5 * (settings.nodes as f64).log2();
    let mean = run.lookups.mean_hops();
    let messages = run.messages.map_or_else(String::new, |messages| {
        format!(
            " messages={messages} messages_per_s={:.0}",
            messages as f64 / wall
        )
    });
    let peak = peak_memory_kib();
    println!(
        "chord_scale nodes={} mode={} lookups={} mean_hops={mean:.2} half_log2_n={reference:.2} \
         off={:+.1}% failed={} virtual_s={:.0} wall_s={wall:.1} teardown_s={teardown:.1}{messages} \
         peak_mib={:.0} \
         kib_per_node={:.0} digest={} trace_digest={:016x}",
        settings.nodes,
        if settings.shared {
            "shared"
        } else {
            "system-per-node"
        },
        run.lookups.count,
        (mean - reference) / reference * 100.0,
        run.lookups.failed,
        run.elapsed.as_secs_f64(),
        peak as f64 / 1024.0,
        peak as f64 / settings.nodes as f64,
        run.digest,
        run.trace_digest
    );
    if run.lookups.failed > 0 {
        for failure in run.lookups.failures.iter().take(10) {
            eprintln!("chord_scale: failed lookup {failure}");
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The process's peak resident memory in KiB (Linux's `VmHWM`), or 0
/// where that is not known.
fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
