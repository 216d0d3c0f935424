//! The ask deadlines a virtual clock holds, each cancellable by its ask.
//!
//! Almost every ask is answered long before its deadline. A clock entry
//! holding the reply slot itself kept the slot alive until the deadline
//! and read it then, only to find it answered: in a large simulation, a
//! cache miss per ask, long after the fact, and a heap of dead slots. Here
//! the entry names a place in a slab instead; an ask that stops waiting
//! (answered, expired or dropped) empties its place at once, so its slot
//! is freed with the ask, and an entry falling due reads only the slab.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use slab::Slab;

use super::deadline::Expire;

/// How many bits of a token name the slab index: 16 million deadlines
/// pending at once on one clock (beyond that, a deadline is registered
/// without a place, as a plain entry).
const INDEX_BITS: u32 = 24;

/// Numbers every registration in the process, so that a token names one
/// registration of one clock: a token taken back on another clock, or after
/// its place was emptied and given to another, matches nothing. (A count
/// per clock would not do: two clocks' first registrations would share a
/// token, and an ask answered where the other clock is current would take
/// back the wrong one.) The 40 bits kept in a token wrap after 10^12
/// registrations.
static NEXT_CHECK: AtomicU64 = AtomicU64::new(1);

/// The pending deadlines of one clock, each in a place of a slab with the
/// check number of its registration.
#[derive(Default)]
pub(super) struct Expiries {
    places: Slab<(u64, Arc<dyn Expire>)>,
}

/// A deadline's place, as its clock entry names it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Held {
    index: u32,
    check: u64,
}

impl Held {
    /// The token its ask keeps to take it back: never 0 or 1 (the check
    /// number is at least 1), which `Registration` reserves.
    pub(super) fn token(self) -> u64 {
        (self.check << INDEX_BITS) | u64::from(self.index)
    }

    fn from_token(token: u64) -> Held {
        Held {
            // Masked to `INDEX_BITS` bits: fits.
            index: (token & ((1 << INDEX_BITS) - 1)) as u32,
            check: token >> INDEX_BITS,
        }
    }
}

impl Expiries {
    /// Keeps `pending` until it falls due or is taken back; gives it back
    /// if the slab is full.
    pub(super) fn hold(&mut self, pending: Arc<dyn Expire>) -> Result<Held, Arc<dyn Expire>> {
        let entry = self.places.vacant_entry();
        if entry.key() >= 1 << INDEX_BITS {
            return Err(pending);
        }
        // Below 2^24: fits.
        let index = entry.key() as u32;
        let check = NEXT_CHECK.fetch_add(1, Ordering::Relaxed) & ((1 << (64 - INDEX_BITS)) - 1);
        // Zero after a wrap: skip it, so that no token is 0 or 1.
        let check = check.max(1);
        entry.insert((check, pending));
        Ok(Held { index, check })
    }

    /// Takes out the deadline `held` names (fallen due, or taken back),
    /// unless it is gone already.
    pub(super) fn take(&mut self, held: Held) -> Option<Arc<dyn Expire>> {
        let index = held.index as usize;
        if !self.holds(held) {
            return None;
        }
        Some(self.places.remove(index).1)
    }

    /// Whether the deadline `held` names is still held.
    pub(super) fn holds(&self, held: Held) -> bool {
        let place = self.places.get(held.index as usize);
        place.is_some_and(|(check, _)| *check == held.check)
    }

    /// Whether the deadline `held` names is held and its ask still waits
    /// (one answered on a thread that did not take it back, not).
    pub(super) fn is_pending(&self, held: Held) -> bool {
        let place = self.places.get(held.index as usize);
        place.is_some_and(|(check, pending)| *check == held.check && !pending.is_done())
    }

    /// Takes back the deadline of `token`, if this clock holds it: for the
    /// caller to drop outside the clock's lock (it may hold the last
    /// reference to the slot, and with it an answer nobody collected).
    pub(super) fn cancel(&mut self, token: u64) -> Option<Arc<dyn Expire>> {
        self.take(Held::from_token(token))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    /// A pending request that is a flag: set once expired (or answered).
    pub(in crate::host) struct Flag(pub(in crate::host) AtomicBool);

    impl Expire for Flag {
        fn is_done(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }

        fn expire(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn pending() -> Arc<dyn Expire> {
        Arc::new(Flag(AtomicBool::new(false)))
    }

    #[test]
    fn a_cancelled_deadline_is_gone_and_its_reused_place_is_not_taken_by_the_old_token() {
        let mut expiries = Expiries::default();
        let first = expiries.hold(pending()).ok().expect("room");
        assert!(first.token() > 1);
        assert!(expiries.cancel(first.token()).is_some());
        assert!(!expiries.holds(first));
        assert!(expiries.take(first).is_none(), "its entry finds nothing");
        // The place is given again, under another check number.
        let second = expiries.hold(pending()).ok().expect("room");
        assert_eq!(second.index, first.index);
        assert!(expiries.cancel(first.token()).is_none(), "stale token");
        assert!(expiries.holds(second));
        assert!(expiries.take(second).is_some());
        assert!(
            expiries.cancel(second.token()).is_none(),
            "fell due already"
        );
    }

    #[test]
    fn a_token_of_another_clock_matches_nothing() {
        let (mut one, mut other) = (Expiries::default(), Expiries::default());
        let held = one.hold(pending()).ok().expect("room");
        let _theirs = other.hold(pending()).ok().expect("room");
        assert!(other.cancel(held.token()).is_none());
        assert!(one.cancel(held.token()).is_some());
    }
}
