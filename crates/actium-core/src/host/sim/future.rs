//! A simulated task's future, inline in the task, polled in place.

use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

/// The future is in the cell, and nobody is polling it.
const IN: u8 = 0;
/// Someone holds the cell's [`Turn`].
const OUT: u8 = 1;
/// The future was dropped.
const GONE: u8 = 2;

/// A task's future, in the task's own allocation: a poll reaches it
/// through the one pointer to the task, where a boxed future was one more
/// dependent load a poll and one more allocation a task (what that
/// measured is in `docs/BENCHMARKS.md`).
///
/// Whoever swaps the state from `IN` to `OUT` holds the cell's
/// [`Turn`], and only the turn's holder touches the future: it polls it
/// in place, then gives the turn back or drops the future for good.
pub(super) struct FutureCell<F> {
    state: AtomicU8,
    future: UnsafeCell<ManuallyDrop<F>>,
}

// SAFETY: as a `Mutex<F>`: `future` is touched only by the holder of the
// one turn (taken by a compare-and-swap from `IN` to `OUT`, acquiring what
// the last holder released), or through `&mut self` in `drop`.
unsafe impl<F: Send> Sync for FutureCell<F> {}

impl<F: Future<Output = ()>> FutureCell<F> {
    pub(super) fn new(future: F) -> Self {
        FutureCell {
            state: AtomicU8::new(IN),
            future: UnsafeCell::new(ManuallyDrop::new(future)),
        }
    }

    /// The turn to poll or drop the future: `None` while someone else
    /// holds it, and once the future is gone.
    ///
    /// # Safety
    ///
    /// The cell is pinned from now on: never moved again, and its memory
    /// not reused before it is dropped, since its future is polled where
    /// it lies (the task's `Arc` keeps it there).
    #[inline]
    pub(super) unsafe fn turn(&self) -> Option<Turn<'_, F>> {
        self.state
            .compare_exchange(IN, OUT, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| Turn { cell: self })
    }
}

impl<F> Drop for FutureCell<F> {
    fn drop(&mut self) {
        if *self.state.get_mut() != GONE {
            // SAFETY: not dropped yet (the state), and `&mut self` says no
            // turn is held: nobody else can reach the future.
            unsafe { ManuallyDrop::drop(self.future.get_mut()) };
        }
    }
}

/// The right to poll a [`FutureCell`]'s future, or to drop it. Dropping
/// the turn gives it back, with the future in the cell.
pub(super) struct Turn<'a, F> {
    cell: &'a FutureCell<F>,
}

impl<F: Future<Output = ()>> Turn<'_, F> {
    /// Polls the future where it lies.
    #[inline]
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: the turn is this caller's alone (see `FutureCell`), so
        // the borrow is unique; the future is never moved (`turn`'s
        // contract) and is dropped in place (`finish`, or the cell's
        // drop), so it may be pinned.
        let future = unsafe { Pin::new_unchecked(&mut **self.cell.future.get()) };
        future.poll(cx)
    }

    /// Drops the future now, in place; the cell stays empty, and gives
    /// no turn again.
    pub(super) fn finish(self) {
        let cell = self.cell;
        // Not given back by `Drop`: the state goes from `OUT` to `GONE`,
        // before the drop, so that a destructor that panics leaves a
        // future nobody drops again (the cell's own drop included).
        std::mem::forget(self);
        cell.state.store(GONE, Ordering::Relaxed);
        // SAFETY: the turn was this caller's, and the future was not
        // dropped yet; `GONE` lets nobody else reach it from now on.
        unsafe { ManuallyDrop::drop(&mut *cell.future.get()) };
    }
}

impl<F> Drop for Turn<'_, F> {
    #[inline]
    fn drop(&mut self) {
        self.cell.state.store(IN, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    use super::{FutureCell, Turn};

    /// The cell's turn; every cell of these tests lies in a box it never
    /// leaves.
    fn turn<F: Future<Output = ()>>(cell: &FutureCell<F>) -> Option<Turn<'_, F>> {
        // SAFETY: the cell is boxed, and the box is not moved out of.
        unsafe { cell.turn() }
    }

    /// A future that is ready at its second poll, and counts its drops.
    fn counted(drops: &Arc<AtomicUsize>) -> impl Future<Output = ()> + use<> {
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let counted = Counted(drops.clone());
        let mut polled = false;
        std::future::poll_fn(move |_| {
            let _kept = &counted;
            if std::mem::replace(&mut polled, true) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }

    #[test]
    fn one_turn_at_a_time_and_the_future_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut cx = Context::from_waker(Waker::noop());
        let cell = Box::new(FutureCell::new(counted(&drops)));
        let mut held = turn(&cell).expect("the future is in");
        assert!(turn(&cell).is_none(), "two turns at once");
        assert_eq!(held.poll(&mut cx), Poll::Pending);
        drop(held);
        let mut held = turn(&cell).expect("given back");
        assert_eq!(held.poll(&mut cx), Poll::Ready(()));
        held.finish();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped by `finish`");
        assert!(turn(&cell).is_none(), "a turn after the end");
        drop(cell);
        assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped twice");

        // A cell dropped with its future in it drops the future.
        let cell = Box::new(FutureCell::new(counted(&drops)));
        drop(turn(&cell));
        drop(cell);
        assert_eq!(drops.load(Ordering::SeqCst), 2, "not dropped with the cell");
    }

    #[test]
    fn a_future_whose_drop_panics_is_not_dropped_again() {
        struct Bomb(Arc<AtomicUsize>);
        impl Drop for Bomb {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
                panic!("a destructor that panics");
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let bomb = Bomb(drops.clone());
        let cell = Box::new(FutureCell::new(async move {
            let _bomb = bomb;
        }));
        let taken = turn(&cell).expect("the future is in");
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| taken.finish()));
        assert!(finished.is_err(), "the panic is the caller's");
        assert!(turn(&cell).is_none(), "a turn after the end");
        drop(cell);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    /// A future that borrows from itself across a pending poll, polled in
    /// place over two turns: a move between them would leave the borrow
    /// pointing at the old place, which Miri reports (AddressSanitizer,
    /// which CI runs, only once that place is freed).
    #[test]
    fn a_self_borrowing_future_is_polled_where_it_lies() {
        let mut cx = Context::from_waker(Waker::noop());
        let got = Arc::new(AtomicUsize::new(0));
        let seen = got.clone();
        let cell = Box::new(FutureCell::new(async move {
            let own = [7_usize; 4];
            let borrowed = &own;
            let mut pending = true;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut pending, false) {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            seen.store(borrowed.iter().sum(), Ordering::SeqCst);
        }));
        let mut first = turn(&cell).expect("the future is in");
        assert_eq!(first.poll(&mut cx), Poll::Pending);
        drop(first);
        let mut second = turn(&cell).expect("given back");
        assert_eq!(second.poll(&mut cx), Poll::Ready(()));
        second.finish();
        assert_eq!(got.load(Ordering::SeqCst), 28);
    }
}
