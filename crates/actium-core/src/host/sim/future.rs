//! A simulated task's future, out of its slot while it is polled.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Task;

/// A task's future, taken out of the slot to be polled and put back
/// after: one atomic swap to take it and a plain store to put it back,
/// where a lock cost four atomic instructions a poll.
///
/// The future's pointer (two words) lies in the slot itself, in the
/// task's own allocation: a poll reaches the future through one pointer,
/// not through a box holding the pointer, which at 100,000 simulated
/// nodes was one more cache miss in every poll (and one more allocation
/// in every task).
pub(super) struct FutureSlot {
    /// Whether the future is in `future`. Only whoever swaps it from
    /// `true` to `false` reads `future`, and only that taker writes it,
    /// before it sets this back to `true`.
    filled: AtomicBool,
    future: UnsafeCell<Option<Task>>,
}

// SAFETY: as a `Mutex<Option<Task>>`, and only while `Task` is `Send`
// (the bound): `future` is read and written only by the one caller that
// took the slot's turn by swapping `filled` from `true` to `false`
// (acquiring what the last `put` released), and that caller's `put` gives
// the turn back, so no two threads ever touch it at once.
unsafe impl Sync for FutureSlot where Task: Send {}

impl FutureSlot {
    pub(super) fn new(future: Task) -> Self {
        FutureSlot {
            filled: AtomicBool::new(true),
            future: UnsafeCell::new(Some(future)),
        }
    }

    /// Takes the future out, if it is in.
    #[inline]
    pub(super) fn take(&self) -> Option<Task> {
        if !self.filled.swap(false, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the swap gave this caller alone the slot's turn (see the
        // `Sync` impl); nobody else touches `future` until `put`.
        unsafe { (*self.future.get()).take() }
    }

    /// Puts back the future taken out to be polled.
    ///
    /// # Safety
    ///
    /// The caller took the future with [`take`](Self::take) and has not
    /// put it back yet: the slot's turn is its own until this returns, so
    /// no other thread touches the cell meanwhile.
    #[inline]
    pub(super) unsafe fn put(&self, future: Task) {
        debug_assert!(
            !self.filled.load(Ordering::Relaxed),
            "the slot was filled while its future was out"
        );
        // SAFETY: the caller took the future (`take`, this function's
        // contract), so the slot's turn is its own until the store below
        // gives it up. Written over, not assigned: what is there is the
        // `None` `take` left, with nothing to drop.
        unsafe { self.future.get().write(Some(future)) };
        self.filled.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::FutureSlot;

    /// A future that counts its drops.
    fn counted(drops: &Arc<AtomicUsize>) -> super::Task {
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let counted = Counted(drops.clone());
        Box::pin(async move {
            let _counted = counted;
        })
    }

    #[test]
    fn a_future_is_taken_once_put_back_and_dropped_with_the_slot_only_if_in_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = FutureSlot::new(counted(&drops));
        let taken = slot.take().expect("the future is in");
        assert!(slot.take().is_none(), "taken twice");
        // SAFETY: taken just above, and not put back.
        unsafe { slot.put(taken) };
        let taken = slot.take().expect("put back");
        // The slot goes while its future is out: the taker still owns it.
        drop(slot);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(taken);
        assert_eq!(drops.load(Ordering::SeqCst), 1);

        let slot = FutureSlot::new(counted(&drops));
        drop(slot);
        assert_eq!(drops.load(Ordering::SeqCst), 2, "dropped with the slot");
    }
}
