//! Running a check over many seeds, and replaying the one that failed.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::__private::TestOutcome;
use crate::cell::Mode;
use crate::runtime::System;

/// The environment variable that replays one seed: set, [`check`] runs
/// that seed only.
pub const SEED_VAR: &str = "ACTIUM_SEED";

/// The environment variable that overrides how many seeds [`check`] runs,
/// for long runs outside CI (`ACTIUM_SEEDS=100000 cargo test --release`).
pub const SEEDS_VAR: &str = "ACTIUM_SEEDS";

/// Runs `run` with seeds `0..seeds` and stops at the first that fails
/// (returns an error or panics), failing the calling test with that seed,
/// its error, and the command that replays it.
///
/// [`ACTIUM_SEED`](SEED_VAR) set runs that one seed; [`ACTIUM_SEEDS`](SEEDS_VAR)
/// set runs that many instead of `seeds`. `#[actium::sim_test]` calls this.
///
/// ```
/// use actium::sim::{Simulation, check};
///
/// check("two_nodes_meet", 20, |seed| {
///     let sim = Simulation::new(seed);
///     let (a, b) = (sim.node("a")?, sim.node("b")?);
///     sim.run(async {
///         assert_ne!(a.system().node(), b.system().node());
///     })?;
///     Ok::<(), actium::Error>(())
/// });
/// ```
///
/// # Panics
///
/// With the failing seed, which is the point: it fails the test.
pub fn check<E: std::fmt::Debug>(
    name: &str,
    seeds: u64,
    mut run: impl FnMut(u64) -> Result<(), E>,
) {
    let replay = std::env::var(SEED_VAR)
        .ok()
        .and_then(|seed| seed.trim().parse().ok());
    let count = std::env::var(SEEDS_VAR)
        .ok()
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(seeds);
    let seeds: Box<dyn Iterator<Item = u64>> = match replay {
        Some(seed) => Box::new(std::iter::once(seed)),
        None => Box::new(0..count),
    };
    for seed in seeds {
        let outcome = catch_unwind(AssertUnwindSafe(|| run(seed)));
        let failure = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => format!("{error:?}"),
            Err(panic) => crate::base::panic_message(&*panic),
        };
        let test = name.rsplit("::").next().unwrap_or(name);
        panic!(
            "simulation `{name}` failed with seed {seed}: {failure}\n\
             replay it with: {SEED_VAR}={seed} cargo test {test}"
        );
    }
}

/// Runs one `#[actium::sim_test]` body in a fresh simulated system for
/// each of `seeds` seeds (see [`check`]): what the macro expands to.
///
/// # Panics
///
/// With the first seed whose run fails, stalls or panics.
#[doc(hidden)]
pub fn run_test<F, Fut>(name: &str, seeds: u64, body: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    check(name, seeds, |seed| {
        let mode = Mode::Simulated { seed };
        let system = System::builder()
            .mode(mode)
            .start()
            .map_err(|error| error.to_string())?;
        let outcome = catch_unwind(AssertUnwindSafe(|| system.try_block_on(body(seed))));
        let digest = system.digest().unwrap_or_default();
        system.shutdown();
        let checked = match outcome {
            Ok(Ok(outcome)) => catch_unwind(AssertUnwindSafe(|| outcome.check(name, mode)))
                .map_err(|panic| crate::base::panic_message(&*panic)),
            Ok(Err(stalled)) => Err(stalled.to_string()),
            Err(panic) => Err(crate::base::panic_message(&*panic)),
        };
        checked.map_err(|failure| format!("{failure} (run digest {digest:016x})"))
    });
}
