//! Chord in deterministic simulation: one simulated node per Chord node,
//! latency on every message, and churn — joins, leaves and crashes drawn
//! from the seed. After the churn the ring settles to the paper's
//! pointers, every lookup names the true successor and no key is lost;
//! a seed replays exactly, digest and virtual time alike.

use std::time::Duration;

use actium_examples::chord::simulate::{self, Report, Settings};

/// A small ring with as many churn events as nodes.
fn settings(seed: u64) -> Settings {
    Settings {
        nodes: 24,
        lookups: 200,
        keys: 60,
        churn: 24,
        lookups_per_event: 5,
        ..Settings::new(seed)
    }
}

fn run(seed: u64) -> Report {
    simulate::run(&settings(seed)).expect("the ring settles")
}

#[test]
fn after_joins_leaves_and_crashes_every_lookup_and_key_is_right() {
    let mut churn = [0; 3];
    for seed in 0..3 {
        let report = run(seed);
        assert_eq!(report.churn.iter().sum::<usize>(), 24);
        assert_eq!(report.before.failed, 0, "seed {seed}");
        assert_eq!(report.after.failed, 0, "seed {seed}");
        assert_eq!(
            (report.failed_puts, report.lost_keys),
            (0, 0),
            "seed {seed}"
        );
        (0..3).for_each(|kind| churn[kind] += report.churn[kind]);
    }
    // Each kind of event happened.
    assert!(churn.iter().all(|&count| count > 0), "{churn:?}");
}

#[test]
fn a_seed_replays_and_other_seeds_differ() {
    let first = run(11);
    let again = run(11);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.elapsed, again.elapsed);
    assert_eq!(first.after.hops, again.after.hops);
    assert_ne!(run(12).digest, first.digest);
}

/// Chord nodes sharing one simulated node, each message delayed by the
/// Chord code's own latency: the ring still heals after churn (crashes
/// become leaves there) and a seed replays.
#[test]
fn shared_nodes_heal_after_churn_and_replay() {
    let shared = |seed| Settings {
        shared: true,
        ..settings(seed)
    };
    let report = simulate::run(&shared(5)).expect("the ring settles");
    assert_eq!((report.before.failed, report.after.failed), (0, 0));
    assert_eq!((report.failed_puts, report.lost_keys), (0, 0));
    let again = simulate::run(&shared(5)).expect("the ring settles");
    assert_eq!(report.digest, again.digest);
    assert_eq!(report.elapsed, again.elapsed);
}

/// The scale benchmark's shared mode, small: every lookup right, the
/// lookups take virtual time (each hop's messages are delayed, where
/// calls between actors of one system would take none), and a seed
/// replays.
#[test]
fn the_shared_scale_run_delays_every_hop_and_replays() {
    let settings = Settings {
        nodes: 64,
        lookups: 200,
        shared: true,
        ..Settings::new(2)
    };
    let duration = Duration::from_secs(120);
    let run = || simulate::scale(&settings, duration, true, true).expect("the run ends");
    let (first, again) = (run(), run());
    assert_eq!(first.lookups.failed, 0);
    assert!(first.lookups.mean_hops() > 1.0, "{:?}", first.lookups.hops);
    assert!(first.lookups.elapsed >= Duration::from_millis(2));
    assert!(first.messages.unwrap_or(0) > 0);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.messages, again.messages);
    assert_eq!(first.lookups.hops, again.lookups.hops);
}
