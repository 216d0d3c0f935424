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
//! The answerer and the receiver share *one* reference count of the slot's
//! `Arc`, not one each: each says in `state` that it is gone
//! (`ANSWERER_GONE`, `RECEIVER_GONE`), and whichever goes second drops the
//! shared reference. An answer given before the receiver waits (a caller
//! that ran its callee's request itself, `call::Help`) then costs three
//! atomic read-modify-writes where it cost five: the answer's, and the
//! shared count's release (its strong and weak counts), against a count
//! taken for the answerer, the answer's, and three given back. On the
//! machines measured each such instruction costs about ten plain ones
//! (`docs/BENCHMARKS.md`).
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
//! Two more bits say who has let go: `ANSWERER_GONE` (set with `COMPLETE`
//! by one compare-and-swap when no waker is lent and nothing expired, else
//! by a second read-modify-write once the answerer is done with `waker`)
//! and `RECEIVER_GONE`. Whoever sets the second drops the shared count; a
//! receiver that *sees* `ANSWERER_GONE` drops it without writing.
//!
//! Only the answerer writes `outcome`, once, before its `COMPLETE`; the
//! receiver reads it only after seeing `COMPLETE` without `EXPIRED`. So the
//! answerer needs no claim step: one read-modify-write when no waker is
//! lent (this is on every ask's path), two when one is.
//!
//! The receiver touches `waker` only while `RX_WAKER` is clear and neither
//! terminal bit was set at its last read-modify-write (to look at the
//! waker it lent, it clears `RX_WAKER` first). The one party whose RMW sets the first
//! terminal bit and sees `RX_WAKER` in the value it replaced takes the
//! waker to wake it; the other terminal party sees a terminal bit already
//! set and leaves `waker` alone. So no write of `waker` overlaps another
//! access.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::sync::{AtomicU8, Ordering, UnsafeCell};

const COMPLETE: u8 = 1;
const EXPIRED: u8 = 2;
const RX_WAKER: u8 = 4;
const DONE: u8 = COMPLETE | EXPIRED;
const ANSWERER_GONE: u8 = 8;
const RECEIVER_GONE: u8 = 16;

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

/// A new slot's two ends: the one answerer and the one receiver, sharing
/// one reference count (see the module docs).
pub(crate) fn channel<T>() -> (Answerer<T>, Receiver<T>) {
    let slot = Arc::new(Slot {
        state: AtomicU8::new(0),
        outcome: UnsafeCell::new(None),
        waker: UnsafeCell::new(None),
    });
    // SAFETY: `Arc::into_raw` never returns null.
    let shared = Shared(unsafe { NonNull::new_unchecked(Arc::into_raw(slot).cast_mut()) });
    (Answerer(shared), Receiver(shared))
}

/// The count the answerer and the receiver share: a pointer from
/// `Arc::into_raw`, given back by whichever of them goes second.
struct Shared<T>(NonNull<Slot<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shared<T> {}

impl<T> Shared<T> {
    #[inline]
    fn slot(&self) -> &Slot<T> {
        // SAFETY: the shared count keeps the slot alive while either end
        // holds this, and the end that drops it holds it no longer.
        unsafe { self.0.as_ref() }
    }

    /// Says the answerer is gone, and drops the shared count if the
    /// receiver went first.
    ///
    /// # Safety
    ///
    /// Called once, by the answerer, which touches the slot no more.
    #[inline]
    unsafe fn answerer_goes(self) {
        if self.slot().state.fetch_or(ANSWERER_GONE, Ordering::AcqRel) & RECEIVER_GONE != 0 {
            // SAFETY: the receiver went first; this end goes now.
            unsafe { self.release() };
        }
    }

    /// Drops the shared count. Out of line, as `Arc`'s own `drop_slow`:
    /// every type that holds an end drops it, and its drop glue stays as
    /// small as an `Arc`'s was.
    ///
    /// # Safety
    ///
    /// Called once, by the end that went second (it saw the other's bit),
    /// which touches the slot no more.
    #[inline(never)]
    unsafe fn release(self) {
        // SAFETY: the pointer came from `Arc::into_raw` in `channel`, and
        // its one count is given back once (the caller's contract).
        drop(unsafe { Arc::from_raw(self.0.as_ptr().cast_const()) });
    }
}

/// The one party that may answer: completing consumes it, so a slot is
/// written at most once.
pub(crate) struct Answerer<T>(Shared<T>);

// SAFETY: an `Answerer` is an `Arc<Slot<T>>`'s share, and `Slot<T>` is
// `Send + Sync` when `T: Send` (see `Slot`); through `&Answerer` only the
// state is read.
unsafe impl<T: Send> Send for Answerer<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Answerer<T> {}

impl<T> Answerer<T> {
    /// Completes the slot with `outcome` (never `Expired`: that is the
    /// sweeper's) and wakes the receiver. Returns false if the slot had
    /// expired: the answer is then never read, and is dropped with the
    /// slot. Does not block.
    #[inline]
    pub(crate) fn complete(self, outcome: Outcome<T>) -> bool {
        // Before the answerer is taken apart: a failed assertion unwinds
        // through its drop, which lets go of its share.
        debug_assert!(!matches!(outcome, Outcome::Expired));
        let shared = ManuallyDrop::new(self).0;
        // SAFETY: `self` is the slot's one answerer (`channel` makes one,
        // and it is not `Clone`), and this consumes it: one call per slot,
        // after which it touches the slot no more (`Slot::complete` gives
        // back the share if the receiver has gone).
        unsafe { Slot::complete(shared, outcome) }
    }

    /// Whether the slot is answered or expired: nobody waits for an answer.
    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.0.slot().is_complete()
    }
}

impl<T> Drop for Answerer<T> {
    /// Dropped unanswered: the receiver is told nothing (a `Reply` answers
    /// `Dropped` before it lets go), but the share is let go of.
    fn drop(&mut self) {
        // SAFETY: dropped, this answerer touches the slot no more.
        unsafe { self.0.answerer_goes() };
    }
}

/// The one party that may take the outcome: not `Clone`, and it polls
/// through `&mut self`, so no two polls of a slot overlap.
pub(crate) struct Receiver<T>(Shared<T>);

// SAFETY: as for `Answerer`; the receiver's accesses to the cells follow
// the protocol, through `&mut self`.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: through `&Receiver` only the state is read.
unsafe impl<T: Send> Sync for Receiver<T> {}

impl<T> Receiver<T> {
    /// The outcome if there is one, else registers `cx`'s waker (cloning
    /// it only if it changed) to be woken by the answer or the expiry.
    /// Polled again after it was ready, it gives `Dropped`. Does not block.
    #[inline]
    pub(crate) fn poll_take(&mut self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        // SAFETY: `self` is the slot's one receiver (`channel` makes one, it
        // is not `Clone`), borrowed mutably: no other poll runs meanwhile.
        unsafe { self.0.slot().poll_take(cx) }
    }

    /// Whether the slot is answered or expired: a poll would be ready.
    #[inline]
    pub(crate) fn is_complete(&self) -> bool {
        self.0.slot().is_complete()
    }

    /// A number naming this slot while it lives (its address): for a
    /// caller to know whether the last ask sent on this thread is this one.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        self.0.0.as_ptr().addr()
    }

    /// The slot, for the deadline sweeper: through it, the slot can only be
    /// expired or asked whether it is complete. One reference count of its
    /// own.
    #[inline]
    pub(crate) fn expiry(&self) -> Arc<Slot<T>> {
        let raw = self.0.0.as_ptr().cast_const();
        // SAFETY: `raw` came from `Arc::into_raw`, and the shared count
        // keeps it alive while this receiver lives: the count taken here is
        // the sweeper's own.
        unsafe {
            Arc::increment_strong_count(raw);
            Arc::from_raw(raw)
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let slot = self.0.slot();
        // Seen gone, the answerer touches the slot no more: nothing to
        // write, the share is this end's alone.
        if slot.state.load(Ordering::Acquire) & ANSWERER_GONE == 0
            && slot.state.fetch_or(RECEIVER_GONE, Ordering::AcqRel) & ANSWERER_GONE == 0
        {
            // The answerer goes second, and gives the share back.
            return;
        }
        // SAFETY: the answerer went first; this end goes now.
        unsafe { self.0.release() };
    }
}

impl<T> Slot<T> {
    /// The answerer's one write: completes the slot with `outcome`, wakes
    /// the receiver, and lets go of the answerer's share. Returns false if
    /// the slot had expired (the answer is then never read).
    ///
    /// # Safety
    ///
    /// Called at most once per slot, and only by its one answerer (through
    /// `shared`), which touches the slot no more afterwards: a second write
    /// of `outcome` could overlap the receiver's read of the first, and
    /// the share may be gone. `outcome` is never `Expired` (not a safety
    /// matter: the receiver would report it as expiry).
    #[inline]
    unsafe fn complete(shared: Shared<T>, outcome: Outcome<T>) -> bool {
        let slot = shared.slot();
        // SAFETY: only the answerer writes `outcome`, and only here, once
        // (the caller's contract); the receiver reads it only after seeing
        // COMPLETE, set below.
        slot.outcome
            .with_mut(|cell| unsafe { *cell = Some(outcome) });
        let state = slot.state.load(Ordering::Acquire);
        // No waker lent and nothing expired: answered and gone in one
        // write (an answer before the receiver waits, as when the caller
        // ran the request itself).
        if state & (RX_WAKER | DONE) == 0
            && slot
                .state
                .compare_exchange(
                    state,
                    state | COMPLETE | ANSWERER_GONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
        {
            if state & RECEIVER_GONE != 0 {
                // SAFETY: the receiver went first; this end goes now.
                unsafe { shared.release() };
            }
            return true;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { Slot::complete_waking(shared) }
    }

    /// [`complete`](Self::complete) once `outcome` is written, when a waker
    /// may be lent or the slot expired: the answer published, the waker
    /// taken if this set the first terminal bit, and only then the
    /// answerer gone.
    ///
    /// # Safety
    ///
    /// As for `complete`.
    #[inline(never)]
    unsafe fn complete_waking(shared: Shared<T>) -> bool {
        let slot = shared.slot();
        let previous = slot.state.fetch_or(COMPLETE, Ordering::AcqRel);
        // The waker is taken before this end says it is gone: the receiver
        // may drop the slot once it sees that.
        let waker = if previous & DONE == 0 && previous & RX_WAKER != 0 {
            slot.take_receivers_waker()
        } else {
            None
        };
        // SAFETY: the caller's contract: the answerer touches the slot no
        // more (the waker, taken, is its own).
        unsafe { shared.answerer_goes() };
        if let Some(waker) = waker {
            waker.wake();
        }
        previous & EXPIRED == 0
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
        if let Some(waker) = self.take_receivers_waker() {
            waker.wake();
        }
    }

    /// The receiver's waker, taken by the party whose read-modify-write
    /// set the first terminal bit and saw `RX_WAKER`.
    fn take_receivers_waker(&self) -> Option<Waker> {
        // SAFETY: RX_WAKER was set when our RMW set the first terminal bit,
        // so the receiver's write of `waker` happened before (its RMW setting
        // RX_WAKER is Release, ours Acquire), and from now on the receiver
        // sees a terminal bit and never touches `waker` again. Only the
        // party whose RMW set the *first* terminal bit gets here (the other
        // sees a terminal bit already set and returns without waking), so
        // this access is exclusive and may take the waker.
        self.waker.with_mut(|cell| unsafe { (*cell).take() })
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
mod tests;

#[cfg(all(test, actium_loom))]
mod loom_tests;
