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

/// The answerer goes (answering, or dropped unanswered) while the
/// receiver, with its waker lent or not, is dropped: whichever goes
/// second gives the shared count back, exactly once (a sweeper's count,
/// held here, is then the only one left), the answer is dropped exactly
/// once (with the slot, when the last count goes), and an answerer that takes a lent waker does so before it says
/// it is gone, so the receiver never gives the slot back under it.
fn ends_go_together(lend: bool, answer: bool) {
    struct Counted(Arc<loom::sync::atomic::AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    loom::model(move || {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let (answerer, mut receiver) = channel();
        let sweepers = receiver.expiry();
        let flag = Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        if lend {
            assert!(
                receiver
                    .poll_take(&mut Context::from_waker(&waker))
                    .is_pending()
            );
        }
        let value = Counted(drops.clone());
        let answerer = loom::thread::spawn(move || {
            if answer {
                assert!(answerer.complete(Outcome::Value(value)));
            } else {
                drop((answerer, value));
            }
        });
        drop(receiver);
        answerer.join().expect("answerer");
        assert!(flag.0.load(Ordering::SeqCst) <= 1);
        assert_eq!(
            Arc::strong_count(&sweepers),
            1,
            "the shared count given back once"
        );
        assert_eq!(sweepers.is_complete(), answer);
        // An answer nobody took goes with the slot, with the last count.
        drop(sweepers);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn answer_races_the_receivers_drop() {
    ends_go_together(false, true);
}

#[test]
fn answer_races_the_drop_of_a_receiver_that_lent_its_waker() {
    ends_go_together(true, true);
}

#[test]
fn an_unanswered_drop_races_the_receivers_drop() {
    ends_go_together(true, false);
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
