//! The counters behind snapshots and metrics: what each actor's loop
//! counts as it runs, and the switch for what costs more than a counter.
//!
//! Every actor counts the messages it takes, the panics of its methods and
//! its restarts, always: one add to a field of its own cell, which only
//! its loop writes (a relaxed load and store, no locked instruction).
//! Timing the actor's task (`Instant::now()` twice per poll, tens of
//! nanoseconds) and telling an `Err` answer from an `Ok` one (an indirect
//! call per request) cost more, so they run only in systems started with
//! [`SystemBuilder::metrics`](crate::SystemBuilder::metrics); while no
//! system in the process asked for them, what is left of them on the hot
//! paths is one relaxed atomic load per answered request and one branch
//! per poll of an actor's task.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// How many systems in this process measure method times and errors.
static MEASURING: AtomicUsize = AtomicUsize::new(0);

/// Whether any system in this process measures method times and errors:
/// one relaxed atomic load. A `true` only means *some* system does.
#[inline]
pub fn is_measuring() -> bool {
    MEASURING.load(Ordering::Relaxed) != 0
}

/// Held by a system started with metrics on: counts it in [`MEASURING`]
/// while it lives.
pub(crate) struct Measuring(());

impl Measuring {
    pub(crate) fn start() -> Self {
        MEASURING.fetch_add(1, Ordering::Relaxed);
        Measuring(())
    }
}

impl Drop for Measuring {
    fn drop(&mut self) {
        MEASURING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One actor's counters of what happens per message. Written only by the
/// actor's own loop (one writer: a relaxed load and store, which compiles
/// to plain moves), read at any time by snapshots, which may see a count
/// one message old. What is rare (errors, panics, restarts) is counted
/// beside the actor's relations instead ([`RareCounts`]), so that every
/// cell does not carry room for it.
#[derive(Default)]
pub(crate) struct ActorStats {
    handled: AtomicU64,
    busy_nanos: AtomicU64,
}

/// Adds to a counter only one thread writes.
#[inline(always)]
fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

/// Counts of rare events, kept under the cell's lock with its relations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RareCounts {
    /// Requests answered with an `Err` (counted while measuring).
    pub(crate) errors: u64,
    /// Methods and hooks that panicked.
    pub(crate) panics: u64,
    /// Restarts by the actor's supervisor.
    pub(crate) restarts: u64,
}

/// What [`ActorStats`] held when read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StatsRead {
    pub(crate) handled: u64,
    pub(crate) busy: Duration,
}

impl ActorStats {
    /// The loop took a message or signal to handle.
    #[inline(always)]
    pub(crate) fn handled(&self) {
        add(&self.handled, 1);
    }

    /// Time the actor's task spent in one poll (counted while measuring).
    pub(crate) fn busy(&self, time: Duration) {
        add(
            &self.busy_nanos,
            u64::try_from(time.as_nanos()).unwrap_or(u64::MAX),
        );
    }

    pub(crate) fn read(&self) -> StatsRead {
        StatsRead {
            handled: self.handled.load(Ordering::Relaxed),
            busy: Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_and_read_back() {
        let stats = ActorStats::default();
        stats.handled();
        stats.handled();
        stats.busy(Duration::from_micros(3));
        stats.busy(Duration::from_micros(4));
        assert_eq!(
            stats.read(),
            StatsRead {
                handled: 2,
                busy: Duration::from_micros(7),
            }
        );
    }

    #[test]
    fn measuring_counts_live_systems() {
        let before = MEASURING.load(Ordering::Relaxed);
        let one = Measuring::start();
        assert!(is_measuring());
        drop(one);
        assert_eq!(MEASURING.load(Ordering::Relaxed), before);
    }
}
