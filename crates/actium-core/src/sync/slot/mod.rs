//! The reply slot: one outcome, completed once, taken once.
//!
//! A request-reply's answer travels through a [`Slot`] shared (by `Arc`)
//! between three parties:
//!
//! - the **receiver**, the caller's `Ask`, which polls for the outcome;
//! - the **answerer**, the actor's `Reply`, which writes the one answer: a
//!   value, a panic message, or `Dropped` when it is dropped unanswered;
//! - the **deadline sweeper**, which may *expire* the slot instead.
//!
//! It replaces `tokio::sync::oneshot` so that the deadline can complete the
//! same slot the answer goes to: one allocation per ask, and no timer per
//! ask (see `deadline`).
//!
//! The protocol below is sound only if there is one answerer, which writes
//! once, and one receiver, which never polls from two threads at once. So
//! [`channel`] hands out the two roles as owning handles: an [`Answerer`]
//! whose [`complete`](Answerer::complete) consumes it, and a [`Receiver`]
//! that is not `Clone` and polls through `&mut self`. The sweeper's part,
//! [`Slot::expire`], is safe for anyone, any number of times, so the slot
//! itself is shared by `Arc` ([`Receiver::expiry`]) with only that and
//! [`Slot::is_complete`] callable.
//!
//! # Protocol
//!
//! Three bits of `state`:
//! - `COMPLETE`: the answerer has written `outcome` (published with Release).
//! - `EXPIRED`: the sweeper expired the slot. It sets this bit only while
//!   `COMPLETE` is clear, so when both are set, expiry came first and the
//!   written answer is never read (it is dropped with the slot).
//! - `RX_WAKER`: the receiver's waker is in `waker`; whichever of the
//!   answerer and the sweeper sets the first of `COMPLETE`/`EXPIRED` and
//!   sees this bit wakes it.
//!
//! Only the answerer writes `outcome`, once, before its `COMPLETE`; the
//! receiver reads it only after seeing `COMPLETE` without `EXPIRED`. So the
//! answerer needs one read-modify-write, with no claim step: this is on
//! every ask's path.
//!
//! The receiver touches `waker` only while `RX_WAKER` is clear and neither
//! terminal bit was set at its last read-modify-write (to look at the
//! waker it lent, it clears `RX_WAKER` first). The one party whose RMW sets the first
//! terminal bit and sees `RX_WAKER` in the value it replaced takes the
//! waker to wake it; the other terminal party sees a terminal bit already
//! set and leaves `waker` alone. So no write of `waker` overlaps another
//! access.

use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::sync::{AtomicU8, Ordering, UnsafeCell};

const COMPLETE: u8 = 1;
const EXPIRED: u8 = 2;
const RX_WAKER: u8 = 4;
const DONE: u8 = COMPLETE | EXPIRED;

/// How a request ended.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    /// The method's return value.
    Value(T),
    /// The method panicked with this message. Boxed, as `Failed`: the
    /// rare panic does not widen every slot, and an `Outcome` of a small
    /// value is two words, which a poll returns in registers.
    #[allow(clippy::box_collection, reason = "one word, where a `String` is three")]
    Panicked(Box<String>),
    /// The request was dropped unanswered (the actor stopped).
    Dropped,
    /// The deadline passed first.
    Expired,
    /// The call failed on its way (a remote node went down, say). Boxed so
    /// that the rare failure does not widen every slot.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    Failed(Box<crate::base::Error>),
}

// Kept so by design (see `Panicked`).
const _: () = assert!(size_of::<Poll<Outcome<usize>>>() == 2 * size_of::<usize>());

/// For tests: `Error` has no `PartialEq`, so failures compare by message.
#[cfg(test)]
impl<T: PartialEq> PartialEq for Outcome<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Outcome::Value(a), Outcome::Value(b)) => a == b,
            (Outcome::Panicked(a), Outcome::Panicked(b)) => a == b,
            (Outcome::Dropped, Outcome::Dropped) | (Outcome::Expired, Outcome::Expired) => true,
            (Outcome::Failed(a), Outcome::Failed(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

/// The shared state of one request-reply (see the module docs).
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

/// A new slot's two ends: the one answerer and the one receiver.
pub(crate) fn channel<T>() -> (Answerer<T>, Receiver<T>) {
    let slot = Arc::new(Slot {
        state: AtomicU8::new(0),
        outcome: UnsafeCell::new(None),
        waker: UnsafeCell::new(None),
    });
    (Answerer(slot.clone()), Receiver(slot))
}

/// The one party that may answer: completing consumes it, so a slot is
/// written at most once.
pub(crate) struct Answerer<T>(Arc<Slot<T>>);

impl<T> Answerer<T> {
    /// Completes the slot with `outcome` (never `Expired`: that is the
    /// sweeper's) and wakes the receiver. Returns false if the slot had
    /// expired: the answer is then never read, and is dropped with the
    /// slot. Does not block.
    #[inline]
    pub(crate) fn complete(self, outcome: Outcome<T>) -> bool {
        // SAFETY: `self` is the slot's one answerer (`channel` makes one,
        // and it is not `Clone`), and this consumes it: one call per slot.
        unsafe { self.0.complete(outcome) }
    }

    /// Whether the slot is answered or expired: nobody waits for an answer.
    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.0.is_complete()
    }
}

/// The one party that may take the outcome: not `Clone`, and it polls
/// through `&mut self`, so no two polls of a slot overlap.
pub(crate) struct Receiver<T>(Arc<Slot<T>>);

impl<T> Receiver<T> {
    /// The outcome if there is one, else registers `cx`'s waker (cloning
    /// it only if it changed) to be woken by the answer or the expiry.
    /// Polled again after it was ready, it gives `Dropped`. Does not block.
    #[inline]
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        // SAFETY: `self` is the slot's one receiver (`channel` makes one, it
        // is not `Clone`), borrowed mutably: no other poll runs meanwhile.
        unsafe { self.0.poll_take(cx) }
    }

    /// Whether the slot is answered or expired: a poll would be ready.
    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.0.is_complete()
    }

    /// A number naming this slot while it lives (its address): for a
    /// caller to know whether the last ask sent on its thread is this one.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.0).addr()
    }

    /// The slot, for the deadline sweeper: through it, the slot can only be
    /// expired or asked whether it is complete. One reference count.
    #[inline]
    pub(crate) fn expiry(&self) -> Arc<Slot<T>> {
        self.0.clone()
    }
}

impl<T> Slot<T> {
    /// The answerer's one write: completes the slot with `outcome` and wakes
    /// the receiver. Returns false if the slot had expired (the answer is
    /// then never read).
    ///
    /// # Safety
    ///
    /// Called at most once per slot, and only by its one answerer: a second
    /// write of `outcome` could overlap the receiver's read of the first.
    /// `outcome` is never `Expired` (not a safety matter: the receiver
    /// would report it as expiry).
    #[inline]
    unsafe fn complete(&self, outcome: Outcome<T>) -> bool {
        debug_assert!(!matches!(outcome, Outcome::Expired));
        // SAFETY: only the answerer writes `outcome`, and only here, once
        // (the caller's contract); the receiver reads it only after seeing
        // COMPLETE, set below.
        self.outcome
            .with_mut(|cell| unsafe { *cell = Some(outcome) });
        let previous = self.state.fetch_or(COMPLETE, Ordering::AcqRel);
        if previous & EXPIRED != 0 {
            return false;
        }
        if previous & RX_WAKER != 0 {
            self.wake_receiver();
        }
        true
    }

    /// The sweeper's expiry: unless answered already, the receiver gets
    /// `Expired` and is woken.
    pub(crate) fn expire(&self) {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state & DONE != 0 {
                return;
            }
            match self.state.compare_exchange_weak(
                state,
                state | EXPIRED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER != 0 {
            self.wake_receiver();
        }
    }

    /// Wakes the receiver, taking its waker: waking by value spares the
    /// reference count a clone and a drop (for a Tokio task, two atomic
    /// operations on every answered ask).
    fn wake_receiver(&self) {
        // SAFETY: RX_WAKER was set when our RMW set the first terminal bit,
        // so the receiver's write of `waker` happened before (its RMW setting
        // RX_WAKER is Release, ours Acquire), and from now on the receiver
        // sees a terminal bit and never touches `waker` again. Only the
        // party whose RMW set the *first* terminal bit gets here (the other
        // sees a terminal bit already set and returns without waking), so
        // this access is exclusive and may take the waker.
        let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether the slot is answered or expired.
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & DONE != 0
    }

    /// The receiver's poll.
    ///
    /// # Safety
    ///
    /// Called only by the slot's one receiver, never twice at once: the
    /// receiver writes `waker` and takes `outcome` without a claim step,
    /// which a second receiver would race.
    unsafe fn poll_take(&self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let state = self.state.load(Ordering::Acquire);
        if state & DONE != 0 {
            return Poll::Ready(self.take(state));
        }
        if state & RX_WAKER != 0 {
            // Polled again while waiting (rare: a select or join). The
            // waker is lent to whichever terminal party comes first, which
            // takes it, so take it back before looking at it: clearing
            // RX_WAKER with no terminal bit set means nobody else will touch
            // `waker` until we set RX_WAKER again.
            let previous = self.state.fetch_and(!RX_WAKER, Ordering::AcqRel);
            if previous & DONE != 0 {
                return Poll::Ready(self.take(previous));
            }
            // SAFETY: exclusive, by the argument above.
            self.waker.with_mut(|cell| unsafe {
                match &mut *cell {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
            });
        } else {
            // RX_WAKER is clear and no terminal bit was set at our last
            // read: a party that sets one from here on sees RX_WAKER clear
            // and leaves `waker` alone, so we may write it.
            // SAFETY: exclusive by the argument above.
            self.waker
                .with_mut(|cell| unsafe { *cell = Some(cx.waker().clone()) });
        }
        let previous = self.state.fetch_or(RX_WAKER, Ordering::AcqRel);
        if previous & DONE != 0 {
            return Poll::Ready(self.take(previous));
        }
        Poll::Pending
    }

    /// The outcome, given a `state` (read with Acquire) with a terminal bit.
    /// Only for [`poll_take`](Self::poll_take), whose caller is the one
    /// receiver.
    fn take(&self, state: u8) -> Outcome<T> {
        if state & EXPIRED != 0 {
            return Outcome::Expired;
        }
        // SAFETY: COMPLETE was observed with Acquire, so the answerer's write
        // happened before; it never touches `outcome` again, and only the
        // single receiver takes it.
        let outcome = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
        // Taken twice only if polled after completion: report it as dropped.
        outcome.unwrap_or(Outcome::Dropped)
    }
}

#[cfg(all(test, not(actium_loom)))]
mod tests {
    use super::*;
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
        let (answerer, mut receiver) = channel();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(receiver.poll_take(&mut cx).is_pending());
        assert!(answerer.complete(Outcome::Value(7)));
        receiver.expiry().expire();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(receiver.expiry().is_complete());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Value(7)));
    }

    #[test]
    fn a_completion_before_the_first_poll_is_ready_at_once() {
        let (answerer, mut receiver) = channel();
        assert!(answerer.complete(Outcome::<u8>::Dropped));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Dropped));
    }

    #[test]
    fn a_receiver_polled_again_after_its_outcome_gets_dropped() {
        let (answerer, mut receiver) = channel();
        assert!(answerer.complete(Outcome::Value(1_u8)));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Value(1)));
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Dropped));
    }

    #[test]
    fn a_new_waker_replaces_the_old_one() {
        let (answerer, mut receiver) = channel();
        let first = Arc::new(Count(AtomicUsize::new(0)));
        let second = Arc::new(Count(AtomicUsize::new(0)));
        let (w1, w2) = (Waker::from(first.clone()), Waker::from(second.clone()));
        assert!(
            receiver
                .poll_take(&mut Context::from_waker(&w1))
                .is_pending()
        );
        assert!(
            receiver
                .poll_take(&mut Context::from_waker(&w2))
                .is_pending()
        );
        assert!(answerer.complete(Outcome::Value(1_u8)));
        assert_eq!(first.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(second.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn an_expiry_before_the_answer_wins_and_the_answer_is_discarded() {
        let (answerer, mut receiver) = channel();
        receiver.expiry().expire();
        assert!(!answerer.complete(Outcome::Value(3_u8)));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
    }

    #[test]
    fn answer_expiry_and_receiver_racing_on_threads_agree() {
        for _ in 0..2_000 {
            let (answerer, mut receiver) = channel();
            let answerer = std::thread::spawn(move || answerer.complete(Outcome::Value(1_u32)));
            let sweeper = {
                let slot = receiver.expiry();
                std::thread::spawn(move || slot.expire())
            };
            let count = Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            let outcome = loop {
                if let Poll::Ready(outcome) = receiver.poll_take(&mut cx) {
                    break outcome;
                }
                std::thread::yield_now();
            };
            let answered = answerer.join().expect("answerer");
            sweeper.join().expect("sweeper");
            // The receiver sees exactly what won.
            if answered {
                assert_eq!(outcome, Outcome::Value(1));
            } else {
                assert_eq!(outcome, Outcome::Expired);
            }
        }
    }
}

#[cfg(all(test, actium_loom))]
mod loom_tests {
    use super::*;
    use std::task::Wake;

    /// A waker that records wake-ups in a loom atomic.
    struct Flag(loom::sync::atomic::AtomicUsize);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The receiver polls while the answer and the expiry race: it sees
    /// exactly the winner, is woken once if it was pending, and no cell is
    /// accessed concurrently (loom checks that). With `repoll`, it has
    /// polled once before the race, so it polls again with its waker lent
    /// out: it takes the waker back to look at it, which is where it and
    /// the terminal party that takes the waker to wake it could collide.
    fn answer_and_expiry_race(repoll: bool) {
        loom::model(move || {
            let (answerer, mut receiver) = channel();
            let flag = Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let waker = Waker::from(flag.clone());
            let mut cx = Context::from_waker(&waker);
            if repoll {
                assert!(receiver.poll_take(&mut cx).is_pending());
            }
            let answerer = loom::thread::spawn(move || answerer.complete(Outcome::Value(1_u8)));
            let sweeper = {
                let slot = receiver.expiry();
                loom::thread::spawn(move || slot.expire())
            };
            let polled = receiver.poll_take(&mut cx);
            let answered = answerer.join().expect("answerer");
            sweeper.join().expect("sweeper");
            let outcome = match polled {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => {
                    // Pending means the winner came later and woke us, once.
                    assert_eq!(flag.0.load(Ordering::SeqCst), 1);
                    match receiver.poll_take(&mut cx) {
                        Poll::Ready(outcome) => outcome,
                        Poll::Pending => panic!("woken but not ready"),
                    }
                }
            };
            assert!(flag.0.load(Ordering::SeqCst) <= 1, "woken twice");
            if answered {
                assert_eq!(outcome, Outcome::Value(1));
            } else {
                assert_eq!(outcome, Outcome::Expired);
            }
        });
    }

    #[test]
    fn receiver_answer_and_expiry() {
        answer_and_expiry_race(false);
    }

    #[test]
    fn repoll_with_the_same_waker_races_answer_and_expiry() {
        answer_and_expiry_race(true);
    }

    /// Re-polling with a different waker while a completer runs.
    #[test]
    fn waker_replacement_races_completion() {
        loom::model(|| {
            let (answerer, mut receiver) = channel();
            let flag1 = Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let flag2 = Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
            let (w1, w2) = (Waker::from(flag1.clone()), Waker::from(flag2.clone()));
            assert!(
                receiver
                    .poll_take(&mut Context::from_waker(&w1))
                    .is_pending()
            );
            let completer = loom::thread::spawn(move || {
                assert!(answerer.complete(Outcome::Value(2_u8)));
            });
            let second = receiver.poll_take(&mut Context::from_waker(&w2));
            completer.join().expect("completer");
            if second.is_pending() {
                assert_eq!(flag2.0.load(Ordering::SeqCst), 1);
                assert_eq!(
                    receiver.poll_take(&mut Context::from_waker(&w2)),
                    Poll::Ready(Outcome::Value(2))
                );
            }
        });
    }
}
