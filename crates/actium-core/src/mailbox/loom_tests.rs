//! The real mailbox on loom's lock and atomics, with an actor loop that
//! takes mail as the runner does (the lock-free look at `armed` first)
//! and parks while it gets `Pending`: if a wake-up were lost, the loop
//! would park for good and loom would report the deadlock.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::Mailbox;
use super::envelope::{Envelope, Taken, control};

/// Wakes the loop's thread.
struct Unpark(loom::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

fn envelope(n: u32) -> Envelope<u32> {
    Envelope::Message {
        msg: n,
        chain: None,
    }
}

/// The actor loop, as `runner` runs it: the control flags, then mail,
/// lock-free while armed. Returns the messages it took, once it has
/// `want` of them or is asked to stop, and whether it was.
fn actor_loop(mailbox: &Mailbox<u32>, want: usize) -> (Vec<u32>, bool) {
    let waker = Waker::from(Arc::new(Unpark(loom::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut batch = VecDeque::new();
    let mut taken = Vec::new();
    loop {
        if mailbox.control() != 0 {
            return (taken, true);
        }
        match mailbox.poll_take_in_loop(&mut batch, &mut cx) {
            Poll::Ready(Taken::Messages) => {
                taken.extend(batch.drain(..).filter_map(|envelope| match envelope {
                    Envelope::Message { msg, .. } => Some(msg),
                    _ => None,
                }));
                if taken.len() == want {
                    return (taken, false);
                }
            }
            Poll::Ready(Taken::Stop) => return (taken, true),
            Poll::Pending => loom::thread::park(),
        }
    }
}

/// The round-trip path: the loop takes one message (arming as it
/// leaves the queue empty), then finds itself armed and waits without
/// the lock, while the next message is sent.
#[test]
fn a_loop_that_waits_without_the_lock_never_misses_the_next_message() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new(None));
        assert!(mailbox.push(envelope(1)).is_ok());
        let sender = {
            let mailbox = mailbox.clone();
            loom::thread::spawn(move || assert!(mailbox.push(envelope(2)).is_ok()))
        };
        assert_eq!(actor_loop(&mailbox, 2), (vec![1, 2], false));
        sender.join().expect("sender");
    });
}

/// A stop request, whenever it comes, ends a waiting loop.
#[test]
fn a_stop_request_always_reaches_a_waiting_loop() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::<u32>::new(None));
        let stopper = {
            let mailbox = mailbox.clone();
            loom::thread::spawn(move || mailbox.signal_control(control::STOP))
        };
        assert_eq!(actor_loop(&mailbox, usize::MAX), (vec![], true));
        stopper.join().expect("stopper");
    });
}

/// A bounded mailbox hands out one message at a time and does not arm
/// while more is queued: the loop comes back for the rest.
#[test]
fn a_bounded_loop_comes_back_for_mail_left_queued() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new(NonZeroUsize::new(2)));
        let sender = {
            let mailbox = mailbox.clone();
            loom::thread::spawn(move || {
                assert!(mailbox.push(envelope(1)).is_ok());
                assert!(mailbox.push(envelope(2)).is_ok());
            })
        };
        assert_eq!(actor_loop(&mailbox, 2), (vec![1, 2], false));
        sender.join().expect("sender");
    });
}
