//! `actium-soak`: reliability runs, bounded in time, that report what the
//! hardening issue asks for.
//!
//! - `actium-soak panics [--calls N]` — N panicking calls to a local actor
//!   and N to an actor on another node (in this process, over TCP on
//!   127.0.0.1), after as many to warm up: every caller must get
//!   `Error::Panicked`, both actors must still serve, and the resident set
//!   must end within 5 % of where it stood after the warm-up.
//! - `actium-soak mixed [--seconds S] [--seed N]` — clients make local and
//!   remote tells and asks (answered, panicking, timing out) while the run
//!   kills local actors, crashes supervised ones (restarted), and drops the
//!   remote node (its connections go, calls in flight fail with
//!   `NodeDown`) and starts a new one. Every call must end in its answer
//!   or a typed error within its deadline plus a margin; RSS and open file
//!   descriptors are sampled and must stay flat.
//!
//! Both print one `soak …` summary line and exit non-zero on a failure.
//! The ten-minute soak is `cargo run --release -p actium-soak -- mixed
//! --seconds 600`; CI runs a short slice (see `tests/soak.rs`).

mod load;
mod probe;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Reliability runs for Actium")]
struct Args {
    #[command(subcommand)]
    run: Run,
}

#[derive(Subcommand)]
enum Run {
    /// Panicking calls, local and remote, by the thousand.
    Panics {
        /// Panicking calls to each actor (after as many to warm up).
        #[arg(long, default_value_t = 10_000)]
        calls: u64,
    },
    /// Mixed local and remote load with kills, restarts and dropped
    /// connections.
    Mixed {
        /// How long to run.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// Seeds the choices of calls and faults.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Do not kill local actors.
        #[arg(long)]
        no_kills: bool,
        /// Do not replace the remote node.
        #[arg(long)]
        no_restarts: bool,
    },
}

fn main() -> ExitCode {
    // Thousands of panics are the point: count them, print none.
    std::panic::set_hook(Box::new(|_| probe::count_panic()));
    let args = Args::parse();
    let outcome = match args.run {
        Run::Panics { calls } => load::panics(calls),
        Run::Mixed {
            seconds,
            seed,
            clients,
            no_kills,
            no_restarts,
        } => load::mixed(
            std::time::Duration::from_secs(seconds),
            load::Faults {
                seed,
                kills: !no_kills,
                restarts: !no_restarts,
            },
            clients,
        ),
    };
    match outcome {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("soak failed: {failure}");
            ExitCode::FAILURE
        }
    }
}
