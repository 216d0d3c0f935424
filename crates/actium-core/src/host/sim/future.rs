//! A simulated task's future, out of its slot while it is polled.

use std::marker::PhantomData;
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::Task;

/// A task's future, taken out of the slot to be polled and put back
/// after: one atomic swap to take it and a plain store to put it back,
/// where a lock cost four atomic instructions a poll. Boxed once more, so
/// that one pointer holds it.
///
/// `Send` and `Sync` as the lock was, no more: only if `Task` is `Send`
/// (the marker), though an `AtomicPtr` alone would be either way.
pub(super) struct FutureSlot(AtomicPtr<Task>, PhantomData<Mutex<Task>>);

impl FutureSlot {
    pub(super) fn new(future: Task) -> Self {
        FutureSlot(AtomicPtr::new(Box::into_raw(Box::new(future))), PhantomData)
    }

    /// Takes the future out, if it is in.
    pub(super) fn take(&self) -> Option<Box<Task>> {
        let raw = self.0.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null pointer in the slot came from `Box::into_raw`
        // (`new`, `put`), and the swap gave it to this caller alone.
        (!raw.is_null()).then(|| unsafe { Box::from_raw(raw) })
    }

    /// Puts back the future taken out to be polled. The slot is empty:
    /// only the one who took the future puts one back, and nothing else
    /// fills the slot.
    pub(super) fn put(&self, future: Box<Task>) {
        debug_assert!(
            self.0.load(Ordering::Relaxed).is_null(),
            "the slot was filled while its future was out"
        );
        self.0.store(Box::into_raw(future), Ordering::Release);
    }
}

impl Drop for FutureSlot {
    fn drop(&mut self) {
        let raw = *self.0.get_mut();
        if !raw.is_null() {
            // SAFETY: as in `take`; `&mut self` leaves no one else to take it.
            drop(unsafe { Box::from_raw(raw) });
        }
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
        slot.put(taken);
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
