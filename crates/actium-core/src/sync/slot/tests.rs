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

/// Counts its drops: an outcome dropped twice, or never, shows a slot
/// given back twice, or leaked.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn whichever_end_goes_last_gives_the_slot_back_once() {
    let drops = |f: &dyn Fn(Counted)| {
        let count = Arc::new(AtomicUsize::new(0));
        f(Counted(count.clone()));
        count.load(std::sync::atomic::Ordering::SeqCst)
    };
    let cx = || Context::from_waker(Waker::noop());
    // Answered, taken: the caller drops the value it took.
    assert_eq!(
        drops(&|value| {
            let (answerer, mut receiver) = channel();
            assert!(answerer.complete(Outcome::Value(value)));
            assert!(matches!(
                receiver.poll_take(&mut cx()),
                Poll::Ready(Outcome::Value(_))
            ));
        }),
        1
    );
    // Answered, never taken: dropped with the slot, by the receiver.
    assert_eq!(
        drops(&|value| {
            let (answerer, receiver) = channel();
            assert!(answerer.complete(Outcome::Value(value)));
            drop(receiver);
        }),
        1
    );
    // The receiver gone first: dropped with the slot, by the answerer;
    // also while a waker is lent.
    for lend in [false, true] {
        assert_eq!(
            drops(&|value| {
                let (answerer, mut receiver) = channel();
                if lend {
                    assert!(receiver.poll_take(&mut cx()).is_pending());
                }
                drop(receiver);
                assert!(answerer.complete(Outcome::Value(value)));
            }),
            1
        );
    }
    // The sweeper's count outlives both ends: the slot (and the answer
    // in it) goes with the sweeper's.
    assert_eq!(
        drops(&|value| {
            let (answerer, receiver) = channel();
            let expiry = receiver.expiry();
            assert!(answerer.complete(Outcome::Value(value)));
            drop(receiver);
            assert_eq!(Arc::strong_count(&expiry), 1);
            assert!(expiry.is_complete());
        }),
        1
    );
    // Dropped unanswered, either end first: nothing written, nothing
    // leaked (the sweeper's count is the last).
    for answerer_first in [false, true] {
        let (answerer, receiver) = channel::<Counted>();
        let expiry = receiver.expiry();
        if answerer_first {
            drop(answerer);
            drop(receiver);
        } else {
            drop(receiver);
            drop(answerer);
        }
        assert_eq!(Arc::strong_count(&expiry), 1);
        assert!(!expiry.is_complete());
    }
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
