//! Unit tests of the simulated host's scheduling.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Counts its drops: held by a task's future, it tells when (and how
/// often) that future was dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_task_that_kills_its_own_group_is_dropped_after_that_poll_and_not_queued_again() {
    let simulation = Simulation::new(1, Exploration::Random, Duration::ZERO);
    let group = simulation.next_group();
    let drops = Arc::new(AtomicUsize::new(0));
    let (polls, ran) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let task = {
        let counted = Counted(drops.clone());
        let (polls, ran, killer) = (polls.clone(), ran.clone(), simulation.clone());
        simulation.spawn(
            std::future::poll_fn(move |cx| {
                let _held = &counted;
                polls.fetch_add(1, Ordering::SeqCst);
                // A crash of its own node, from inside its own poll: the
                // turn is this poll's, so the future outlives the kill.
                killer.abort_group(group);
                // Woken after it was killed: must not be queued again.
                cx.waker().wake_by_ref();
                ran.store(true, Ordering::SeqCst);
                Poll::<()>::Pending
            }),
            group,
            None,
        )
    };
    // `main` is polled right after the step that set `ran`.
    assert_eq!(simulation.block_on(until(ran, 1_000)).ok(), Some(true));
    assert!(task.is_finished());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped when its poll returned"
    );
    assert!(
        super::lock(&simulation.shared.state).ready.is_empty(),
        "queued again by a wake-up after the kill"
    );
    let never = Arc::new(AtomicBool::new(false));
    assert_eq!(simulation.block_on(until(never, 50)).ok(), Some(false));
    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "run again after it was killed"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    simulation.close();
}

#[test]
fn an_aborted_task_is_dropped_at_its_next_turn_without_a_poll() {
    let simulation = Simulation::new(1, Exploration::Random, Duration::ZERO);
    let (kept, finished) = parked_once(&simulation);
    let drops = Arc::new(AtomicUsize::new(0));
    let (task, polled) = {
        let (counted, polled) = (Counted(drops.clone()), Arc::new(AtomicBool::new(false)));
        let flag = polled.clone();
        let task = simulation.spawn(
            std::future::poll_fn(move |_| {
                let _held = &counted;
                flag.store(true, Ordering::SeqCst);
                Poll::<()>::Pending
            }),
            0,
            None,
        );
        (task, polled)
    };
    task.abort();
    assert!(task.is_finished(), "aborted counts as finished");
    // The loop runs until the parked task finishes: the aborted one had
    // its turn meanwhile, and was dropped rather than polled.
    kept.wake();
    assert_eq!(simulation.block_on(until(finished, 1_000)).ok(), Some(true));
    let never = Arc::new(AtomicBool::new(false));
    assert_eq!(simulation.block_on(until(never, 50)).ok(), Some(false));
    assert!(
        !polled.load(Ordering::SeqCst),
        "polled after it was aborted"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    simulation.close();
}
