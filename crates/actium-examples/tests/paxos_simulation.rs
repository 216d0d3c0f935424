//! Paxos in deterministic simulation: over thousands of seeds, each with
//! its own lossy links, crashes and partitions at virtual times, no two
//! different values are ever chosen and the one chosen was proposed; a
//! seed replays exactly.
//!
//! The count below is what an unoptimised test build runs in about ten
//! seconds on two cores (`scripts/test` runs the example over the next
//! 2,000); `cargo run --release --example paxos -- --simulate --seeds
//! 100000` runs more (see `docs/EXAMPLES.md`).

use actium_examples::paxos::simulate;

/// How many seeds the safety test runs.
const SEEDS: u64 = 10_000;

#[test]
fn agreement_and_validity_hold_for_every_seed() -> actium::Result<()> {
    let batch = simulate::run_many(0, SEEDS)?;
    assert_eq!(batch.violation, None);
    assert_eq!(batch.runs, SEEDS);
    // The scenarios are not all hopeless: most runs choose a value.
    assert!(batch.chose > SEEDS / 2, "{} of {SEEDS} chose", batch.chose);
    Ok(())
}

#[test]
fn a_seed_replays_and_other_seeds_differ() -> actium::Result<()> {
    let first = simulate::run(42)?;
    let again = simulate::run(42)?;
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.chosen, again.chosen);
    assert_eq!(first.elapsed, again.elapsed);
    let others: Vec<_> = (43..53).map(simulate::run).collect::<Result<_, _>>()?;
    assert!(others.iter().all(|other| other.digest != first.digest));
    Ok(())
}
