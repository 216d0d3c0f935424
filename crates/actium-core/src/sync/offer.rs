//! An idle owner's offer: something one party owns, lent for a while to
//! whichever other party takes it first, and taken back without a lock.
//!
//! The owner is an actor's loop and the thing its state (see
//! `actor::standby`): while the loop waits for mail it *offers* the state,
//! and a caller waiting for the loop's answer may *take* it and run the
//! loop's queued requests itself, then *give it back*. The loop *reclaims*
//! it at the start of every poll.
//!
//! # Protocol
//!
//! One byte, `state`:
//! - `KEPT`: the owner has it (running, or not offering);
//! - `OFFERED`: the owner is suspended and lets it be taken; only the owner
//!   moves `KEPT` → `OFFERED`, and only while it has it;
//! - `TAKEN`: a taker has it (a compare-exchange from `OFFERED`, so at most
//!   one at a time), with `WANTED` added if the owner was polled meanwhile:
//!   it has then stored its waker where the taker finds it (the owner's
//!   business: an actor's loop uses its mailbox's lock), and waits to be
//!   given it back.
//!
//! Every move of the thing between owner and taker is an Acquire read of a
//! Release write of `state`, so what one wrote while it had it is visible
//! to the next. The taker gives it back with one read-modify-write that
//! sees whether the owner wants it: if so it leaves it `KEPT`, for the
//! owner, and wakes the owner's waker; the owner stored that waker *before*
//! its compare-exchange set `WANTED`, so the giver finds it. No lost
//! wake-up: the owner either sees the giving back (its compare-exchange
//! fails and it looks again) or sets `WANTED` first, which the giver's
//! read-modify-write sees. `loom_tests` checks it.

use crate::sync::{AtomicU8, Ordering};

const KEPT: u8 = 0;
const OFFERED: u8 = 1;
const TAKEN: u8 = 2;
const WANTED: u8 = 4;

/// See the module docs. One byte.
#[derive(Debug)]
pub(crate) struct Offer {
    state: AtomicU8,
}

impl Default for Offer {
    fn default() -> Self {
        Offer::new()
    }
}

impl Offer {
    /// Kept by its owner.
    pub(crate) fn new() -> Self {
        Offer {
            state: AtomicU8::new(KEPT),
        }
    }

    /// The owner, which has it, lets it be taken until it reclaims it.
    #[inline]
    pub(crate) fn offer(&self) {
        self.state.store(OFFERED, Ordering::Release);
    }

    /// Whether it is offered right now (a hint: it may be taken or
    /// reclaimed at once).
    #[inline]
    pub(crate) fn is_offered(&self) -> bool {
        self.state.load(Ordering::Relaxed) == OFFERED
    }

    /// The owner takes it back: `true` once it has it again, `false` if a
    /// taker has it: then `wait` has stored the owner's waker, for the
    /// giver to wake (see [`give_back`](Self::give_back)).
    #[inline]
    pub(crate) fn reclaim(&self, mut wait: impl FnMut()) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state == KEPT {
                return true;
            }
            if state == OFFERED {
                match self.state.compare_exchange(
                    OFFERED,
                    KEPT,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return true,
                    Err(actual) => {
                        state = actual;
                        continue;
                    }
                }
            }
            // Taken: wait for it, the waker stored before `WANTED` is seen.
            wait();
            if state & WANTED != 0 {
                // Polled again while waiting: if it was given back since,
                // the giver may have woken the old waker already; look.
                state = self.state.load(Ordering::Acquire);
                if state & TAKEN != 0 {
                    return false;
                }
                continue;
            }
            match self.state.compare_exchange(
                state,
                state | WANTED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return false,
                Err(actual) => state = actual,
            }
        }
    }

    /// A taker takes it if it is offered.
    #[inline]
    pub(crate) fn take(&self) -> bool {
        self.state
            .compare_exchange(OFFERED, TAKEN, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// The taker gives it back: offered again, or kept for the owner if the
    /// owner wants it or `to_owner` (the taker must then know the owner
    /// will be polled, or it is never offered again). Returns whether the
    /// owner wants it: the giver must then wake the waker it stored.
    #[inline]
    #[must_use = "an owner that wants it back waits to be woken"]
    pub(crate) fn give_back(&self, to_owner: bool) -> bool {
        let back = if to_owner { KEPT } else { OFFERED };
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let next = if state & WANTED != 0 { KEPT } else { back };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        state & WANTED != 0
    }

    /// The owner's last act (it is being dropped): withdraws the offer,
    /// waiting for a taker that has it to give it back. Blocks only that
    /// long: a taker runs synchronous code and then gives it back.
    pub(crate) fn withdraw(&self) {
        // Kept already (the loop was busy when it ended, as it usually
        // is): only the owner offers, so it stays kept, and a load is no
        // locked instruction where a failed compare-exchange is one.
        if self.state.load(Ordering::Acquire) == KEPT {
            return;
        }
        loop {
            match self
                .state
                .compare_exchange(OFFERED, KEPT, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) | Err(KEPT) => return,
                Err(_) => crate::sync::yield_now(),
            }
        }
    }
}

#[cfg(all(test, not(actium_loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_an_offered_thing_can_be_taken_and_only_once() {
        let offer = Offer::new();
        assert!(!offer.take(), "kept");
        offer.offer();
        assert!(offer.is_offered());
        assert!(offer.take());
        assert!(!offer.take(), "taken already");
        assert!(!offer.give_back(false), "nobody wanted it");
        assert!(offer.take(), "offered again");
        assert!(!offer.give_back(true));
        assert!(!offer.take(), "kept for the owner");
        assert!(offer.reclaim(|| panic!("not taken: no waiting")));
    }

    #[test]
    fn an_owner_that_wants_it_back_waits_and_gets_it() {
        let offer = Offer::new();
        let mut waits = 0;
        offer.offer();
        assert!(offer.take());
        assert!(!offer.reclaim(|| waits += 1));
        assert!(!offer.reclaim(|| waits += 1), "still taken");
        assert_eq!(waits, 2, "the waker is stored at every poll");
        assert!(offer.give_back(false), "the owner wants it");
        assert!(!offer.take(), "kept for the owner, not offered");
        assert!(offer.reclaim(|| panic!("given back: no waiting")));
    }

    #[test]
    fn withdrawing_an_untaken_offer_keeps_it() {
        let offer = Offer::new();
        offer.offer();
        offer.withdraw();
        assert!(!offer.take());
    }
}

#[cfg(all(test, actium_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::{Arc, Mutex};

    /// The owner reclaims while a taker may take and give back: it either
    /// gets it at once, or is woken exactly once (the giver finds its
    /// waker) and then gets it; and it never has it while the taker does.
    #[test]
    fn reclaim_races_take_and_give_back() {
        loom::model(|| {
            let offer = Arc::new(Offer::new());
            let holders = Arc::new(AtomicUsize::new(0));
            // The owner's stored waker (a count of waits), and wake-ups.
            let stored = Arc::new(Mutex::new(0_usize));
            let woken = Arc::new(AtomicUsize::new(0));
            offer.offer();
            let taker = {
                let (offer, holders) = (offer.clone(), holders.clone());
                let (stored, woken) = (stored.clone(), woken.clone());
                loom::thread::spawn(move || {
                    if offer.take() {
                        assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0);
                        holders.fetch_sub(1, Ordering::SeqCst);
                        if offer.give_back(false) {
                            assert!(*stored.lock().expect("lock") > 0, "no waker stored");
                            woken.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            };
            let wait = || *stored.lock().expect("lock") += 1;
            if !offer.reclaim(wait) {
                taker.join().expect("taker");
                assert_eq!(woken.load(Ordering::SeqCst), 1, "woken once");
                assert!(offer.reclaim(|| panic!("given back")));
            } else {
                assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0);
                holders.fetch_sub(1, Ordering::SeqCst);
                taker.join().expect("taker");
            }
            assert!(!offer.take(), "kept by the owner");
        });
    }

    /// The owner withdraws (its last act) while a taker may take and give
    /// back, to be offered again or kept for the owner: once `withdraw`
    /// returns the taker does not have it and what the taker wrote is
    /// visible (loom checks the cell's accesses for a race), and no one
    /// can take it again — whether `withdraw` found it kept at once or
    /// took it back itself.
    #[test]
    fn withdraw_races_take_and_give_back() {
        for to_owner in [false, true] {
            loom::model(move || {
                let offer = Arc::new(Offer::new());
                let written = Arc::new(loom::cell::UnsafeCell::new(0_u32));
                offer.offer();
                let taker = {
                    let (offer, written) = (offer.clone(), written.clone());
                    loom::thread::spawn(move || {
                        if offer.take() {
                            // SAFETY: the taker has it: no one else
                            // touches the cell until it gives it back.
                            written.with_mut(|n| unsafe { *n += 1 });
                            offer.give_back(to_owner);
                        }
                    })
                };
                offer.withdraw();
                // SAFETY: withdrawn, the owner has it.
                let seen = written.with(|n| unsafe { *n });
                assert!(seen <= 1);
                assert!(!offer.take(), "taken after it was withdrawn");
                taker.join().expect("taker");
                assert!(!offer.take(), "taken after it was withdrawn");
            });
        }
    }
}
