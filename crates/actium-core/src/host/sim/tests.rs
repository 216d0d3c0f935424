//! Unit tests of the simulated host's scheduling.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::{Exploration, Simulation};

/// Pending until `done` is set, waking itself at every poll so that the
/// loop keeps polling it; gives up (false) after `polls` polls.
fn until(done: Arc<AtomicBool>, polls: u32) -> impl Future<Output = bool> {
    let mut left = polls;
    std::future::poll_fn(move |cx| {
        if done.load(Ordering::SeqCst) {
            return Poll::Ready(true);
        }
        if left == 0 {
            return Poll::Ready(false);
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// A task that keeps its waker at its first poll, and ends at its second.
struct Parked {
    waker: Arc<Mutex<Option<Waker>>>,
    polled: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
}

impl Future for Parked {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled.swap(true, Ordering::SeqCst) {
            self.finished.store(true, Ordering::SeqCst);
            return Poll::Ready(());
        }
        *self.waker.lock().expect("not poisoned") = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Spawns a [`Parked`] task in `simulation` and runs it to its first
/// poll: its kept waker, and whether it finished since.
fn parked_once(simulation: &Simulation) -> (Waker, Arc<AtomicBool>) {
    let waker = Arc::new(Mutex::new(None::<Waker>));
    let (polled, finished) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let task = Parked {
        waker: waker.clone(),
        polled: polled.clone(),
        finished: finished.clone(),
    };
    simulation.spawn(task, 0, None);
    assert_eq!(simulation.block_on(until(polled, 100)).ok(), Some(true));
    let kept = waker
        .lock()
        .expect("not poisoned")
        .take()
        .expect("kept at the first poll");
    (kept, finished)
}

#[test]
fn a_task_woken_from_a_thread_that_drives_no_simulation_runs_again() {
    let simulation = Simulation::new(1, Exploration::Random, Duration::ZERO);
    let (kept, finished) = parked_once(&simulation);
    // Woken off the driving thread: the task finds its simulation through
    // its weak reference, not the thread's.
    std::thread::spawn(move || kept.wake())
        .join()
        .expect("the waking thread");
    assert_eq!(
        simulation.block_on(until(finished, 100)).ok(),
        Some(true),
        "the task ran again"
    );
    simulation.close();
}

#[test]
fn a_task_woken_on_a_thread_driving_another_simulation_runs_in_its_own() {
    let (ours, other) = (
        Simulation::new(1, Exploration::Random, Duration::ZERO),
        Simulation::new(2, Exploration::Random, Duration::ZERO),
    );
    let (kept, finished) = parked_once(&ours);
    // Woken while `other` drives this thread: it must not run there.
    let woken = Arc::new(AtomicBool::new(false));
    let wake = {
        let woken = woken.clone();
        std::future::poll_fn(move |_| {
            kept.wake_by_ref();
            woken.store(true, Ordering::SeqCst);
            Poll::Ready(())
        })
    };
    assert!(other.block_on(wake).is_ok());
    assert!(woken.load(Ordering::SeqCst));
    assert_eq!(
        other.block_on(until(finished.clone(), 10)).ok(),
        Some(false),
        "run by the other simulation"
    );
    assert_eq!(
        ours.block_on(until(finished, 100)).ok(),
        Some(true),
        "the task ran again in its own"
    );
    ours.close();
    other.close();
}
