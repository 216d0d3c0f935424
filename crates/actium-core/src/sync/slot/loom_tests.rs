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

/// The answer comes while the receiver, which lent its waker, is
/// dropped: the answerer takes the waker before it says it is gone, so
/// the receiver never gives the slot back under it; the answer is
/// dropped once, by whichever end goes last.
#[test]
fn answer_races_the_receivers_drop() {
    struct Counted(Arc<loom::sync::atomic::AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    loom::model(|| {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let (answerer, mut receiver) = channel();
        let flag = Arc::new(Flag(loom::sync::atomic::AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        assert!(
            receiver
                .poll_take(&mut Context::from_waker(&waker))
                .is_pending()
        );
        let value = Counted(drops.clone());
        let answerer = loom::thread::spawn(move || answerer.complete(Outcome::Value(value)));
        drop(receiver);
        assert!(answerer.join().expect("answerer"));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert!(flag.0.load(Ordering::SeqCst) <= 1);
    });
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
