//! A bug that real time hides and simulation finds: a lost update.
//!
//! Two clients increment a shared register by reading it and then writing
//! the value plus one. The second client starts 2 ms after the first,
//! which on a real machine is ample: the first client's read and write
//! take microseconds, so the two never interleave and the count is right.
//! The bug is still there — nothing stops a slow first client from being
//! overtaken — and a simulation with jitter (every wake-up delayed by up
//! to 5 ms of virtual time, drawn from the seed) finds a seed where it
//! happens, replays that seed to the same run digest, and shows that the
//! fixed register (one atomic `incr`) survives every seed.
//!
//! ```text
//! cargo run --example sim_lost_update [-- --real-runs 200 --seeds 1000]
//! cargo run --example sim_lost_update --features trace -- --trace lost.jsonl
//! actium trace render lost.jsonl -o lost.svg
//! ```
//!
//! With `--trace FILE` (feature `trace`) the replay of the failing seed is
//! recorded, with virtual timestamps, for a sequence diagram.
//!
//! It prints one summary line and exits non-zero unless simulation found
//! the bug, replayed it, and the fix passed every seed.

use std::time::Duration;

use actium::System;
use actium::prelude::*;

#[derive(Default)]
struct Register {
    value: u64,
}

#[actor]
impl Register {
    #[ask]
    fn get(&self) -> u64 {
        self.value
    }

    #[ask]
    fn set(&mut self, value: u64) {
        self.value = value;
    }

    /// The fix: read and write in one message.
    #[ask]
    fn incr(&mut self) {
        self.value += 1;
    }
}

struct Client {
    /// How long this client waits before it starts.
    head_start: Duration,
    fixed: bool,
}

#[actor]
impl Client {
    #[ask]
    async fn increment(&self, register: ActorRef<Register>) -> Result<(), Error> {
        actium::sleep(self.head_start).await;
        if self.fixed {
            return register.incr().await;
        }
        let seen = register.get().await?;
        register.set(seen + 1).await
    }
}

/// One run: two clients, the second 2 ms behind; the final count.
async fn run(fixed: bool) -> Result<u64, Error> {
    let register = Register::default().spawn();
    let calls: Vec<_> = [Duration::ZERO, Duration::from_millis(2)]
        .into_iter()
        .map(|head_start| {
            Client { head_start, fixed }
                .spawn()
                .increment(register.clone())
        })
        .collect();
    for call in calls {
        call.await??;
    }
    register.get().await
}

/// Runs one simulated run with `seed`: its count and its run digest.
fn simulated(seed: u64, fixed: bool) -> Result<(u64, u64), Error> {
    simulated_recording(seed, fixed, None)
}

/// [`simulated`], recording the run to `trace` if given.
fn simulated_recording(seed: u64, fixed: bool, trace: Option<&str>) -> Result<(u64, u64), Error> {
    let system = System::builder()
        .mode(Mode::Simulated { seed })
        .jitter(Duration::from_millis(5))
        .start()?;
    #[cfg(feature = "trace")]
    let recording = match trace {
        Some(path) => Some(
            actium::trace::Recording::builder()
                .sink(
                    actium::trace::JsonLines::create(path)
                        .map_err(|error| Error::Startup(std::sync::Arc::new(error)))?,
                )
                .start(system.handle())
                .expect("nothing records yet"),
        ),
        None => None,
    };
    #[cfg(not(feature = "trace"))]
    if trace.is_some() {
        eprintln!("--trace needs the `trace` feature");
    }
    let count = system.try_block_on(run(fixed))??;
    #[cfg(feature = "trace")]
    if let Some(recording) = recording {
        recording.finish();
    }
    let digest = system.digest().unwrap_or_default();
    system.shutdown();
    Ok((count, digest))
}

fn flag(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Error> {
    let (real_runs, seeds) = (flag("--real-runs", 100), flag("--seeds", 1000));
    // Real time, both execution models' default: how often does it show?
    let mut real_failures = 0;
    for _ in 0..real_runs {
        if actium::launch(Mode::Tasks, run(false))? != 2 {
            real_failures += 1;
        }
    }
    // Simulation: the first seed that loses the update.
    let found = (0..seeds)
        .map(|seed| simulated(seed, false).map(|(count, digest)| (seed, count, digest)))
        .find(|run| !matches!(run, Ok((_, 2, _))));
    let (seed, digest) = match found {
        Some(Ok((seed, _, digest))) => (seed, digest),
        Some(Err(error)) => return Err(error),
        None => {
            eprintln!("simulation did not find the lost update in {seeds} seeds");
            std::process::exit(1);
        }
    };
    let args: Vec<String> = std::env::args().collect();
    let trace = args
        .iter()
        .position(|arg| arg == "--trace")
        .and_then(|at| args.get(at + 1));
    let (replayed_count, replayed_digest) =
        simulated_recording(seed, false, trace.map(String::as_str))?;
    let replays = replayed_count != 2 && replayed_digest == digest;
    let fix_holds = (0..seeds).all(|seed| matches!(simulated(seed, true), Ok((2, _))));
    println!(
        "sim_lost_update real_failures={real_failures}/{real_runs} found_at_seed={seed} \
         digest={digest:016x} replays={replays} fix_holds={fix_holds}/{seeds}"
    );
    if !replays || !fix_holds {
        std::process::exit(1);
    }
    Ok(())
}
