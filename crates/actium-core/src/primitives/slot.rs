//! The reply slot: one outcome, completed once, taken once.
//!
//! A request-reply's answer travels through a [`Slot`] shared (by `Arc`)
//! between up to three parties:
//!
//! - the **receiver**, the caller's `Ask`, which polls for the outcome;
//! - **completers**, which race to write it: the actor (a value or a panic
//!   message), the actor's drop of an unanswered request (`Dropped`), and
//!   the deadline sweeper (`Expired`). The first to set `CLAIMED` writes the
//!   outcome; the others lose and write nothing.
//!
//! It replaces `tokio::sync::oneshot` so that the deadline can complete the
//! same slot the answer goes to: one allocation per ask, and no timer per
//! ask (see `deadline`).
//!
//! # Protocol
//!
//! Three bits of `state`:
//! - `CLAIMED`: a completer owns the right to write `outcome`.
//! - `COMPLETE`: `outcome` is written (published with Release).
//! - `RX_WAKER`: the receiver's waker is in `waker`; a completer that sets
//!   `COMPLETE` and sees this bit wakes it.
//!
//! The receiver writes `waker` only while `RX_WAKER` is clear and `COMPLETE`
//! was not yet set at its last read-modify-write; completers only *read*
//! `waker`, and only after seeing `RX_WAKER` in the value their `COMPLETE`
//! RMW replaced. So the two never touch `waker` at the same time with a
//! write. `outcome` is written only by the claimant before `COMPLETE`, and
//! read only by the receiver after `COMPLETE`.

use std::task::{Context, Poll, Waker};

use super::{AtomicU8, Ordering, UnsafeCell};

const CLAIMED: u8 = 1;
const COMPLETE: u8 = 2;
const RX_WAKER: u8 = 4;

/// How a request ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// The method's return value.
    Value(T),
    /// The method panicked with this message.
    Panicked(String),
    /// The request was dropped unanswered (the actor stopped).
    Dropped,
    /// The deadline passed first.
    Expired,
}

pub(crate) struct Slot<T> {
    state: AtomicU8,
    outcome: UnsafeCell<Option<Outcome<T>>>,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are only accessed under the protocol above, which gives
// every write exclusive access (ordered by the `state` RMWs) and never lets a
// write overlap a read. `T` crosses threads (written by the actor, taken by
// the caller), hence `T: Send`; `Waker` is `Send + Sync`.
unsafe impl<T: Send> Send for Slot<T> {}
// SAFETY: as above; shared references only reach the cells through the
// protocol.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: AtomicU8::new(0),
            outcome: UnsafeCell::new(None),
            waker: UnsafeCell::new(None),
        }
    }

    /// Completes the slot with `outcome`, waking the receiver, unless another
    /// completer got there first — then `outcome` is handed back.
    pub(crate) fn complete(&self, outcome: Outcome<T>) -> Result<(), Outcome<T>> {
        if self.state.fetch_or(CLAIMED, Ordering::AcqRel) & CLAIMED != 0 {
            return Err(outcome);
        }
        // SAFETY: we hold the claim, so no other completer writes `outcome`,
        // and the receiver reads it only after seeing COMPLETE, set below.
        self.outcome
            .with_mut(|cell| unsafe { *cell = Some(outcome) });
        let previous = self.state.fetch_or(COMPLETE, Ordering::AcqRel);
        if previous & RX_WAKER != 0 {
            // SAFETY: RX_WAKER was set when our RMW made COMPLETE visible, so
            // the receiver's write of `waker` happened before (its RMW setting
            // RX_WAKER is Release, ours Acquire), and from now on the receiver
            // sees COMPLETE and never writes `waker` again. We only read.
            self.waker.with(|cell| unsafe {
                if let Some(waker) = &*cell {
                    waker.wake_by_ref();
                }
            });
        }
        Ok(())
    }

    /// Whether the outcome has been written.
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// The receiver's poll. Must only be called by the one receiver.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let state = self.state.load(Ordering::Acquire);
        if state & COMPLETE != 0 {
            return Poll::Ready(self.take());
        }
        if state & RX_WAKER != 0 {
            // SAFETY: while RX_WAKER is set, only this receiver writes
            // `waker`, and it is not writing now; completers only read.
            let same = self.waker.with(|cell| unsafe {
                (*cell)
                    .as_ref()
                    .is_some_and(|waker| waker.will_wake(cx.waker()))
            });
            if same {
                return Poll::Pending;
            }
            if self.state.fetch_and(!RX_WAKER, Ordering::AcqRel) & COMPLETE != 0 {
                return Poll::Ready(self.take());
            }
        }
        // RX_WAKER is clear and COMPLETE was not set at our last read: a
        // completer that sets COMPLETE from here on sees RX_WAKER clear and
        // leaves `waker` alone, so we may write it.
        // SAFETY: exclusive by the argument above.
        self.waker
            .with_mut(|cell| unsafe { *cell = Some(cx.waker().clone()) });
        if self.state.fetch_or(RX_WAKER, Ordering::AcqRel) & COMPLETE != 0 {
            return Poll::Ready(self.take());
        }
        Poll::Pending
    }

    fn take(&self) -> Outcome<T> {
        // SAFETY: COMPLETE was observed with Acquire, so the claimant's write
        // happened before; the claimant never touches `outcome` again, and
        // only the single receiver takes it.
        let outcome = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
        // Taken twice only if polled after completion: report it as dropped.
        outcome.unwrap_or(Outcome::Dropped)
    }
}

#[cfg(all(test, not(actium_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn first_completer_wins_and_wakes_the_waiting_receiver() {
        let slot = Slot::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(slot.poll_take(&mut cx).is_pending());
        assert!(slot.complete(Outcome::Value(7)).is_ok());
        assert_eq!(slot.complete(Outcome::Expired), Err(Outcome::Expired));
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(slot.is_complete());
        assert_eq!(slot.poll_take(&mut cx), Poll::Ready(Outcome::Value(7)));
    }

    #[test]
    fn a_completion_before_the_first_poll_is_ready_at_once() {
        let slot = Slot::new();
        assert!(slot.complete(Outcome::<u8>::Dropped).is_ok());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(slot.poll_take(&mut cx), Poll::Ready(Outcome::Dropped));
    }

    #[test]
    fn a_new_waker_replaces_the_old_one() {
        let slot = Slot::new();
        let first = Arc::new(Count(AtomicUsize::new(0)));
        let second = Arc::new(Count(AtomicUsize::new(0)));
        let (w1, w2) = (Waker::from(first.clone()), Waker::from(second.clone()));
        assert!(slot.poll_take(&mut Context::from_waker(&w1)).is_pending());
        assert!(slot.poll_take(&mut Context::from_waker(&w2)).is_pending());
        assert!(slot.complete(Outcome::Value(1_u8)).is_ok());
        assert_eq!(first.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(second.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn racing_completers_and_receiver_on_threads_agree() {
        for _ in 0..2_000 {
            let slot = Arc::new(Slot::new());
            let completers: Vec<_> = [Outcome::Value(1_u32), Outcome::Expired]
                .into_iter()
                .map(|outcome| {
                    let slot = slot.clone();
                    std::thread::spawn(move || slot.complete(outcome).is_ok())
                })
                .collect();
            let count = Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            let outcome = loop {
                if let Poll::Ready(outcome) = slot.poll_take(&mut cx) {
                    break outcome;
                }
                std::thread::yield_now();
            };
            let winners = completers
                .into_iter()
                .map(|c| c.join().expect("completer"))
                .filter(|won| *won)
                .count();
            assert_eq!(winners, 1);
            assert!(matches!(outcome, Outcome::Value(1) | Outcome::Expired));
        }
    }
}

#[cfg(all(test, actium_loom))]
mod loom_tests {
    use super::*;
    use crate::primitives::Arc;
    use std::task::Wake;

    /// A waker that records wake-ups in a loom atomic.
    struct Flag(loom::sync::atomic::AtomicUsize);
    impl Wake for Flag {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Receiver polls while two completers race: exactly one wins, the
    /// receiver either sees the outcome or is woken to see it, and no cell is
    /// accessed concurrently (loom checks that).
    #[test]
    fn receiver_and_two_completers() {
        loom::model(|| {
            let slot = Arc::new(Slot::new());
            let a = {
                let slot = slot.clone();
                loom::thread::spawn(move || slot.complete(Outcome::Value(1_u8)).is_ok())
            };
            let b = {
                let slot = slot.clone();
                loom::thread::spawn(move || slot.complete(Outcome::Expired).is_ok())
            };
            let flag = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let waker = Waker::from(flag.clone());
            let mut cx = Context::from_waker(&waker);
            let first = slot.poll_take(&mut cx);
            let won_a = a.join().expect("a");
            let won_b = b.join().expect("b");
            assert!(won_a ^ won_b);
            match first {
                Poll::Ready(outcome) => {
                    assert!(matches!(outcome, Outcome::Value(1) | Outcome::Expired))
                }
                Poll::Pending => {
                    // Pending means a completer came later and must have woken us.
                    assert_eq!(flag.0.load(Ordering::SeqCst), 1);
                    assert!(slot.poll_take(&mut cx).is_ready());
                }
            }
        });
    }

    /// Re-polling with a different waker while a completer runs.
    #[test]
    fn waker_replacement_races_completion() {
        loom::model(|| {
            let slot = Arc::new(Slot::new());
            let flag1 = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let flag2 = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let (w1, w2) = (Waker::from(flag1.clone()), Waker::from(flag2.clone()));
            assert!(slot.poll_take(&mut Context::from_waker(&w1)).is_pending());
            let completer = {
                let slot = slot.clone();
                loom::thread::spawn(move || {
                    let _ = slot.complete(Outcome::Value(2_u8));
                })
            };
            let second = slot.poll_take(&mut Context::from_waker(&w2));
            completer.join().expect("completer");
            if second.is_pending() {
                assert_eq!(flag2.0.load(Ordering::SeqCst), 1);
                assert_eq!(
                    slot.poll_take(&mut Context::from_waker(&w2)),
                    Poll::Ready(Outcome::Value(2))
                );
            }
        });
    }
}
