//! Actium's benchmark: every workload of `shared/BENCH.md` on Actium and
//! its peers, in one run, one line per (workload, system):
//!
//! ```text
//! bench <workload> <system> n=<N> ns_per_op=<float> [rss_bytes_per_actor=<int>]
//! ```
//!
//! `--quick` finishes in under two minutes on two cores; without it each
//! figure is the median of several runs, taken in rounds that run every
//! system once (so that the ratios compare runs made at the same time), and
//! a workload's lines are printed once its rounds end. `--report docs`
//! writes `BENCHMARKS.md` and `benchmarks.svg` there. Whether each target
//! of the benchmark issue is met goes to standard error, so that standard
//! output is exactly those lines.

mod report;
mod savina;
mod scale;
mod systems;
mod workload;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use report::{Median, Results};
use systems::System;
use workload::{Measurement, Workload};

#[derive(Parser)]
#[command(about = "Actium against tokio, actix, ractor and kameo, side by side")]
struct Args {
    /// Smaller workloads and one run each: under two minutes on two cores.
    #[arg(long)]
    quick: bool,
    /// Runs per figure (the median is reported); 1 with --quick, else 5.
    #[arg(long)]
    runs: Option<usize>,
    /// Only these workloads (comma-separated names; `savina` for every
    /// program of the Savina suite, which a run without this flag leaves
    /// out).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Only these systems (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    systems: Vec<String>,
    /// Write BENCHMARKS.md, benchmarks.svg and (for Savina programs)
    /// savina.svg into this directory.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Worker threads of every Tokio runtime and Actium system (default:
    /// one per core; actix runs on its one arbiter thread whatever this
    /// says, and Actium's threads mode one thread per actor): with 1, the
    /// task-based systems run on one thread, as actix does.
    #[arg(long, global = true)]
    workers: Option<usize>,
    #[command(subcommand)]
    command: Option<Internal>,
}

/// Entry points of the helper processes the benchmark starts.
#[derive(Subcommand)]
enum Internal {
    /// Serves the tcp-raw remote workloads.
    #[command(hide = true)]
    ServeTcpRaw,
    /// Serves the Actium remote workloads.
    #[command(hide = true)]
    ServeActium,
    /// Serves the nats-ask and nats-tell workloads on Actium.
    #[command(hide = true)]
    ServeNats { url: String },
    /// Serves the nats-ask and nats-tell workloads on raw async-nats.
    #[command(hide = true)]
    ServeNatsRaw { url: String },
    /// Measures connections and memory per node of a cluster of `nodes`
    /// nodes, over NATS and over the TCP mesh (each in a fresh process).
    Scale {
        #[arg(long, default_value_t = 64)]
        nodes: usize,
    },
    /// Measures one transport of `scale` in this process.
    #[command(hide = true)]
    ScaleOne { transport: String, nodes: usize },
    /// Runs one workload on one system and prints its measurement (for
    /// workloads that need a fresh process, such as `spawn`).
    #[command(hide = true)]
    Measure {
        system: String,
        workload: String,
        n: u64,
    },
}

fn main() {
    let args = Args::parse();
    if let Some(workers) = args.workers {
        workload::set_workers(workers);
    }
    if let Some(command) = args.command {
        return internal(command);
    }
    let workloads: Vec<Workload> = if args.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        args.workloads
            .iter()
            .flat_map(|w| match w.as_str() {
                "savina" => Workload::savina().collect(),
                name => Workload::parse(name).into_iter().collect::<Vec<_>>(),
            })
            .collect()
    };
    let selected: Vec<System> = if args.systems.is_empty() {
        System::ALL.into_iter().chain(System::EXTRA).collect()
    } else {
        args.systems
            .iter()
            .filter_map(|s| System::parse(s))
            .collect()
    };
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 5 }).max(1);
    let mut results = Results {
        medians: Default::default(),
        command: command_line(),
        runs,
        load_before: report::load_average(),
    };
    for &workload in &workloads {
        let per_system = rounds(workload, &selected, runs, args.quick);
        for (&system, kept) in selected.iter().zip(per_system) {
            let Kept {
                mut measurements,
                attempts,
            } = kept;
            note_attempts(workload, system, attempts, &measurements);
            if measurements.is_empty() {
                println!("bench {workload} {} skip", system.name());
                continue;
            }
            measurements.sort_by(|a, b| a.ns_per_op().total_cmp(&b.ns_per_op()));
            let median = measurements[measurements.len() / 2];
            print!(
                "bench {workload} {} n={} ns_per_op={:.1}",
                system.name(),
                median.ops,
                median.ns_per_op()
            );
            if let Some(rss) = median.rss_bytes_per_actor {
                print!(" rss_bytes_per_actor={rss}");
            }
            println!();
            results.insert(
                workload,
                system,
                Median {
                    n: median.ops,
                    ns_per_op: median.ns_per_op(),
                    rss_bytes_per_actor: median.rss_bytes_per_actor,
                },
            );
        }
    }
    // Standard output carries only BENCH.md's lines; the verdicts go to
    // standard error (and into the report).
    for line in report::targets(&results) {
        eprintln!("target {line}");
    }
    if let Some(dir) = args.report {
        if let Err(error) = report::write_markdown(&results, &dir) {
            eprintln!("cannot write BENCHMARKS.md: {error}");
        }
        let savina: Vec<Workload> = Workload::savina().collect();
        for (among, file) in [
            (&Workload::ALL[..], "benchmarks.svg"),
            (&savina[..], "savina.svg"),
        ] {
            // A chart with nothing measured is not drawn.
            if let Err(error) = report::chart(&results, among, &dir.join(file)) {
                eprintln!("cannot draw {file}: {error}");
            }
        }
    }
}

/// One system's runs of a workload that were kept, and the philosophers'
/// attempts counted in them.
#[derive(Clone, Default)]
struct Kept {
    measurements: Vec<Measurement>,
    attempts: u64,
}

/// Runs `workload` `runs` times on each of `systems`, round by round
/// rather than system by system: each round runs every system once, so a
/// change of the machine's load between rounds touches every system's
/// runs alike, and the ratios of their medians move less than when one
/// system's runs all came first. What each system kept, in `systems`'
/// order.
fn rounds(workload: Workload, systems: &[System], runs: usize, quick: bool) -> Vec<Kept> {
    let mut per_system = vec![Kept::default(); systems.len()];
    for _ in 0..runs {
        for (&system, kept) in systems.iter().zip(&mut per_system) {
            let n = workload.size(quick, system.is_threaded());
            savina::take_attempts();
            // `None`: the system cannot express the workload, or the run
            // was discarded (said on standard error); the later rounds
            // still run.
            if let Some(measurement) = run(system, workload, n) {
                kept.measurements.push(measurement);
                kept.attempts += savina::take_attempts();
            }
        }
    }
    per_system
}

/// For the philosophers: how many times, on average over the kept runs,
/// a philosopher asked for its forks per meal eaten (on standard error, as
/// the verdicts): a system whose philosophers ask again more often spends
/// more messages on each meal.
fn note_attempts(workload: Workload, system: System, attempts: u64, measurements: &[Measurement]) {
    let meals: u64 = measurements.iter().map(|m| m.ops).sum();
    if workload == Workload::Savina(savina::Savina::Philosophers) && meals > 0 {
        eprintln!(
            "note {workload} {} attempts_per_meal={:.2}",
            system.name(),
            attempts as f64 / meals as f64
        );
    }
}

/// Runs a helper process's entry point (or `scale`).
fn internal(command: Internal) {
    match command {
        Internal::ServeTcpRaw => systems::tcp_raw::serve(),
        Internal::ServeActium => systems::actium_remote::serve(),
        Internal::ServeNats { url } => {
            systems::nats_peer::serve_process(systems::actium_nats::serve, url);
        }
        Internal::ServeNatsRaw { url } => {
            systems::nats_peer::serve_process(systems::nats_raw::serve, url);
        }
        Internal::Scale { nodes } => scale::main(nodes),
        Internal::ScaleOne { transport, nodes } => scale::one(&transport, nodes),
        Internal::Measure {
            system,
            workload,
            n,
        } => measure_here(&system, &workload, n),
    }
}

/// Runs one measurement, in a fresh process where memory is measured.
fn run(system: System, workload: Workload, n: u64) -> Option<Measurement> {
    if workload != Workload::Spawn {
        return system.run(workload, n);
    }
    let output =
        workload::helper_process(&["measure", system.name(), workload.name(), &n.to_string()])
            .and_then(|mut command| command.output())
            .ok()?;
    if !output.status.success() {
        panic!(
            "{} failed on {workload}: {}",
            system.name(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_measurement(&String::from_utf8_lossy(&output.stdout))
}

fn measure_here(system: &str, workload: &str, n: u64) {
    let (Some(system), Some(workload)) = (System::parse(system), Workload::parse(workload)) else {
        eprintln!("unknown system or workload");
        std::process::exit(2);
    };
    match system.run(workload, n) {
        Some(m) => println!(
            "measurement {} {} {}",
            m.ops,
            m.elapsed.as_nanos(),
            m.rss_bytes_per_actor.map_or(-1, |r| r as i64)
        ),
        None => println!("skip"),
    }
}

fn parse_measurement(stdout: &str) -> Option<Measurement> {
    let line = stdout.lines().find(|l| l.starts_with("measurement "))?;
    let mut fields = line.split_whitespace().skip(1);
    let ops = fields.next()?.parse().ok()?;
    let nanos: u64 = fields.next()?.parse().ok()?;
    let rss: i64 = fields.next()?.parse().ok()?;
    Some(Measurement {
        ops,
        elapsed: std::time::Duration::from_nanos(nanos),
        rss_bytes_per_actor: u64::try_from(rss).ok(),
    })
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "cargo run --release -p actium-bench --{}{}",
        if args.is_empty() { "" } else { " " },
        args.join(" ")
    )
}
