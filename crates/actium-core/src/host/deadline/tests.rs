//! Unit tests of the deadline sweeper.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{Expire, SHORT, register};
use crate::sync::{Outcome, Receiver, channel};

#[test]
fn an_unanswered_registration_expires_after_its_timeout() {
    let (_answerer, mut receiver) = channel::<u8>();
    let start = Instant::now();
    register(receiver.expiry(), Duration::from_millis(20));
    while !receiver.expiry().is_complete() {
        std::thread::park_timeout(Duration::from_millis(1));
    }
    assert!(start.elapsed() >= Duration::from_millis(20));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
}

#[test]
fn a_long_timeout_expires_too_never_early() {
    let (_answerer, mut receiver) = channel::<u8>();
    let timeout = SHORT + Duration::from_millis(50);
    let start = Instant::now();
    register(receiver.expiry(), timeout);
    while !receiver.expiry().is_complete() {
        std::thread::park_timeout(Duration::from_millis(5));
    }
    assert!(start.elapsed() >= timeout);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
}

#[test]
fn an_answered_registration_keeps_its_answer() {
    let (answerer, mut receiver) = channel();
    register(receiver.expiry(), Duration::from_millis(1));
    assert!(answerer.complete(Outcome::Value(5_u8)));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Value(5)));
}

/// Wakes the test's thread.
struct Unpark(std::thread::Thread);
impl std::task::Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// The outcome `receiver` gets within `within` (woken by the slot), if
/// any.
fn outcome_within<T>(receiver: &mut Receiver<T>, within: Duration) -> Option<Outcome<T>> {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let end = Instant::now() + within;
    loop {
        if let Poll::Ready(outcome) = receiver.poll_take(&mut cx) {
            return Some(outcome);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::park_timeout(left);
    }
}

/// Whether `done` holds within `within`, looking every millisecond (for
/// events nobody can be woken by).
fn within(within: Duration, done: impl Fn() -> bool) -> bool {
    let end = Instant::now() + within;
    while !done() {
        if Instant::now() >= end {
            return false;
        }
        std::thread::park_timeout(Duration::from_millis(1));
    }
    true
}

/// Answers `value` to a request whose caller gave up: the registration
/// ends up holding the last reference, so the answer is dropped where
/// the sweeper lets go of it. Registered from a thread of its own,
/// which exits, so that nothing but the sweeper finds it answered.
fn uncollected_answer<T: Send + 'static>(value: T) {
    let registering = std::thread::spawn(move || {
        let (answerer, receiver) = channel();
        // Short, so published at once; long enough to be answered
        // before it is due.
        register(receiver.expiry(), Duration::from_millis(100));
        assert!(answerer.complete(Outcome::Value(value)));
    });
    assert!(registering.join().is_ok());
}

#[test]
fn a_panicking_waker_does_not_stop_other_deadlines() {
    struct PanicsWhenWoken;
    impl std::task::Wake for PanicsWhenWoken {
        fn wake(self: Arc<Self>) {
            panic!("this waker panics when woken");
        }
    }
    let (_answerer, mut panicky) = channel::<u8>();
    let waker = Waker::from(Arc::new(PanicsWhenWoken));
    assert!(
        panicky
            .poll_take(&mut Context::from_waker(&waker))
            .is_pending()
    );
    register(panicky.expiry(), Duration::from_millis(1));
    // The expiry completes the slot, then wakes (and panics).
    assert!(within(Duration::from_secs(5), || panicky
        .expiry()
        .is_complete()));
    let (_answerer, mut other) = channel::<u8>();
    register(other.expiry(), Duration::from_millis(20));
    assert!(matches!(
        outcome_within(&mut other, Duration::from_secs(5)),
        Some(Outcome::Expired)
    ));
}

#[test]
fn a_panicking_drop_of_an_uncollected_answer_does_not_stop_other_deadlines() {
    static DROPPED: AtomicBool = AtomicBool::new(false);
    struct PanicsWhenDropped;
    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            DROPPED.store(true, Ordering::SeqCst);
            panic!("this answer panics when dropped");
        }
    }
    uncollected_answer(PanicsWhenDropped);
    assert!(within(Duration::from_secs(5), || DROPPED.load(Ordering::SeqCst)));
    let (_answerer, mut other) = channel::<u8>();
    register(other.expiry(), Duration::from_millis(20));
    assert!(matches!(
        outcome_within(&mut other, Duration::from_secs(5)),
        Some(Outcome::Expired)
    ));
}

#[test]
fn a_slow_drop_of_an_uncollected_answer_does_not_delay_other_deadlines() {
    /// Says when its drop starts, and ends it when released or after
    /// five seconds, saying which.
    struct SlowToDrop {
        started: std::sync::mpsc::Sender<()>,
        release: std::sync::mpsc::Receiver<()>,
        released: std::sync::mpsc::Sender<bool>,
    }
    impl Drop for SlowToDrop {
        fn drop(&mut self) {
            let _ = self.started.send(());
            let released = self.release.recv_timeout(Duration::from_secs(5)).is_ok();
            let _ = self.released.send(released);
        }
    }
    let (started_tx, started) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let (released_tx, released) = std::sync::mpsc::channel();
    uncollected_answer(SlowToDrop {
        started: started_tx,
        release: release_rx,
        released: released_tx,
    });
    assert!(started.recv_timeout(Duration::from_secs(5)).is_ok());
    // The drop is under way until released: another deadline must be
    // registered and fire meanwhile.
    let (_answerer, mut other) = channel::<u8>();
    register(other.expiry(), Duration::from_millis(50));
    let outcome = outcome_within(&mut other, Duration::from_secs(3));
    let _ = release.send(());
    assert!(matches!(outcome, Some(Outcome::Expired)));
    assert_eq!(
        released.recv_timeout(Duration::from_secs(5)),
        Ok(true),
        "the other deadline waited for the slow drop to give up"
    );
}

#[test]
fn a_sweeper_that_panics_is_restarted_with_the_deadlines_it_held() {
    /// Stands for a bug in the sweeper: panics the first time the
    /// sweeper looks at it.
    struct PanicsOnTheSweeper(AtomicBool);
    impl Expire for PanicsOnTheSweeper {
        fn is_done(&self) -> bool {
            let on_sweeper = std::thread::current().name() == Some("actium-deadlines");
            if on_sweeper && !self.0.swap(true, Ordering::SeqCst) {
                panic!("a bug in the deadline sweeper");
            }
            self.0.load(Ordering::SeqCst)
        }
        fn expire(&self) {}
    }
    let (_answerer, mut held) = channel::<u8>();
    let start = Instant::now();
    let timeout = Duration::from_millis(150);
    register(held.expiry(), timeout);
    register(
        Arc::new(PanicsOnTheSweeper(AtomicBool::new(false))),
        Duration::from_millis(1),
    );
    assert!(matches!(
        outcome_within(&mut held, Duration::from_secs(5)),
        Some(Outcome::Expired)
    ));
    assert!(start.elapsed() >= timeout);
}
