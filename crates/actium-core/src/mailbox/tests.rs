//! Unit tests of the mailbox: order, batches, bounds and control flags.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::task::{Context, Poll, Wake, Waker};

use super::Mailbox;
use super::envelope::{Envelope, Refusal, Taken, control};
use crate::call::Chain;
use crate::sync::Ordering;

struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn envelope(n: u32) -> Envelope<u32> {
    Envelope::Message {
        msg: n,
        chain: None,
    }
}

fn msg(envelope: Envelope<u32>) -> u32 {
    match envelope {
        Envelope::Message { msg, .. } => msg,
        Envelope::Traced(traced) => traced.msg,
        Envelope::Signal(_) => panic!("a signal"),
    }
}

/// A recorded message travels boxed (`Envelope::Traced`), so that
/// programs that do not record keep envelopes of the size they had:
/// the message and its chain, the variant in the message's own niche.
#[test]
fn recording_does_not_grow_envelopes() {
    #[allow(dead_code, reason = "only its size matters")]
    enum Msg {
        Incr { by: u64 },
        Get { reply: crate::call::Reply<u64> },
    }
    assert_eq!(
        std::mem::size_of::<Envelope<Msg>>(),
        std::mem::size_of::<Msg>() + std::mem::size_of::<Chain>()
    );
}

/// Every message of an actor with a request-reply method has a
/// `Reply`'s room, and a busy mailbox holds many: a reply is two words
/// (a thin pointer and its variant), so a `Counter`'s envelope is three.
#[test]
fn replies_and_envelopes_stay_small() {
    #[allow(dead_code, reason = "only its size matters")]
    enum Msg {
        Incr {},
        Get { reply: crate::call::Reply<u64> },
    }
    let word = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<crate::call::Reply<u64>>(), 2 * word);
    assert_eq!(std::mem::size_of::<Envelope<Msg>>(), 3 * word);
}

#[test]
fn takes_everything_in_fifo_order_and_wakes_a_waiting_receiver() {
    let mailbox = Mailbox::new(None);
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut batch = VecDeque::new();

    assert!(mailbox.poll_take(&mut batch, &mut cx).is_pending());
    for n in 0..3 {
        assert!(mailbox.push(envelope(n)).is_ok());
    }
    // Only the first push finds the waker; later pushes need not wake.
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert!(matches!(
        mailbox.poll_take(&mut batch, &mut cx),
        Poll::Ready(Taken::Messages)
    ));
    let got: Vec<u32> = batch.drain(..).map(msg).collect();
    assert_eq!(got, [0, 1, 2]);
}

/// The receive loop's lock-free wait: armed only while the queue is
/// empty and nobody queued since, so it never sleeps beside mail.
#[test]
fn a_loop_waits_without_the_lock_only_when_nothing_came() {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut batch = VecDeque::new();

    let mailbox = Mailbox::new(None);
    assert!(mailbox.push(envelope(1)).is_ok());
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    batch.clear();
    // Armed when it took the mail: nothing since, so it waits...
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_pending());
    // ...and the next message wakes it and is taken.
    assert!(mailbox.push(envelope(2)).is_ok());
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    assert_eq!(batch.drain(..).map(msg).collect::<Vec<_>>(), [2]);

    // Mail put back for a next incarnation is not slept beside.
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_pending());
    mailbox.requeue(VecDeque::from([envelope(3)]));
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    batch.clear();

    // A bounded mailbox hands out one at a time: not armed while more
    // is queued.
    let bounded = Mailbox::new(NonZeroUsize::new(4));
    for n in 0..2 {
        assert!(bounded.push(envelope(n)).is_ok());
    }
    assert!(bounded.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    batch.clear();
    assert!(bounded.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    batch.clear();
    assert!(bounded.poll_take_in_loop(&mut batch, &mut cx).is_pending());

    // A stop request disarms it too.
    bounded.signal_control(control::STOP);
    assert!(matches!(
        bounded.poll_take_in_loop(&mut batch, &mut cx),
        Poll::Ready(Taken::Stop)
    ));
}

#[test]
fn bounded_mailbox_refuses_when_full_and_hands_out_one_at_a_time() {
    let mailbox = Mailbox::new(NonZeroUsize::new(2));
    assert!(mailbox.push(envelope(1)).is_ok());
    assert!(mailbox.push(envelope(2)).is_ok());
    let (refusal, back) = mailbox.push(envelope(3)).expect_err("full");
    assert_eq!((refusal, msg(back)), (Refusal::Full, 3));

    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut batch = VecDeque::new();
    assert!(mailbox.poll_take(&mut batch, &mut cx).is_ready());
    assert_eq!(batch.len(), 1);
    assert_eq!(mailbox.len(), 1);
}

#[test]
fn stop_request_wakes_the_receiver_and_ends_taking() {
    let mailbox: Mailbox<u32> = Mailbox::new(None);
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut batch = VecDeque::new();
    assert!(mailbox.poll_take(&mut batch, &mut cx).is_pending());
    mailbox.signal_control(control::STOP);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert_eq!(mailbox.control(), control::STOP);
    assert!(matches!(
        mailbox.poll_take(&mut batch, &mut cx),
        Poll::Ready(Taken::Stop)
    ));
}

#[test]
fn a_sender_that_gives_up_passes_the_room_on() {
    let mailbox = Mailbox::new(NonZeroUsize::new(1));
    assert!(mailbox.push(envelope(1)).is_ok());
    let (first, second) = (
        Arc::new(CountingWaker(AtomicUsize::new(0))),
        Arc::new(CountingWaker(AtomicUsize::new(0))),
    );
    let (first_waker, second_waker) = (Waker::from(first.clone()), Waker::from(second.clone()));
    for waker in [&first_waker, &second_waker] {
        let mut pending = Some(envelope(2));
        let mut cx = Context::from_waker(waker);
        assert!(mailbox.poll_push(&mut pending, &mut cx).is_pending());
    }
    // Room for one: the first waiting sender is woken...
    let mut batch = VecDeque::new();
    assert!(
        mailbox
            .poll_take(&mut batch, &mut Context::from_waker(Waker::noop()))
            .is_ready()
    );
    assert_eq!(first.0.load(Ordering::SeqCst), 1);
    assert_eq!(second.0.load(Ordering::SeqCst), 0);
    // ...but gives up before it sends: the second gets its turn.
    mailbox.abandon_wait(&first_waker);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
}

/// A run of calls from another node: queued in order behind what was
/// there (or, into an empty queue, as the queue) and woken for as any
/// push is (an empty run wakes nothing); refused whole once closed.
#[test]
fn a_run_is_queued_in_order_behind_what_was_there() {
    let mailbox = Mailbox::new(None);
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut batch = VecDeque::new();

    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_pending());
    assert!(mailbox.push(envelope(0)).is_ok());
    let mut run: Vec<_> = (1..4).map(envelope).collect();
    assert_eq!(mailbox.push_run_unbounded(&mut run), Ok(()));
    assert!(run.is_empty(), "the run moved into the queue");
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the loop was woken");
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    assert_eq!(batch.drain(..).map(msg).collect::<Vec<_>>(), [0, 1, 2, 3]);

    // Armed again: an empty run leaves it waiting, the next run wakes it.
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_pending());
    assert_eq!(mailbox.push_run_unbounded(&mut Vec::new()), Ok(()));
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "nothing to wake for");
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_pending());
    // Into an empty queue: the run's buffer becomes the queue's.
    let mut run: Vec<_> = (4..6).map(envelope).collect();
    assert_eq!(mailbox.push_run_unbounded(&mut run), Ok(()));
    assert!(run.is_empty(), "the run moved into the queue");
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    run.push(envelope(6));
    assert_eq!(mailbox.push_run_unbounded(&mut run), Ok(()));
    assert!(mailbox.poll_take_in_loop(&mut batch, &mut cx).is_ready());
    assert_eq!(batch.drain(..).map(msg).collect::<Vec<_>>(), [4, 5, 6]);

    let _queued = mailbox.close();
    let mut run: Vec<_> = (7..9).map(envelope).collect();
    assert_eq!(mailbox.push_run_unbounded(&mut run), Err(Refusal::Closed));
    assert_eq!(run.len(), 2, "left for the caller to drop");
}

#[test]
fn closed_mailbox_refuses_and_returns_what_was_queued() {
    let mailbox = Mailbox::new(None);
    assert!(mailbox.push(envelope(1)).is_ok());
    let rest = mailbox.close();
    assert_eq!(rest.len(), 1);
    let (refusal, _) = mailbox.push(envelope(2)).expect_err("closed");
    assert_eq!(refusal, Refusal::Closed);
}

#[test]
fn concurrent_senders_lose_nothing_and_keep_per_sender_order() {
    let mailbox = Arc::new(Mailbox::new(None));
    let senders: Vec<_> = (0..4_u32)
        .map(|s| {
            let mailbox = mailbox.clone();
            std::thread::spawn(move || {
                for i in 0..10_000_u32 {
                    assert!(mailbox.push(envelope(s * 1_000_000 + i)).is_ok());
                }
            })
        })
        .collect();
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut batch = VecDeque::new();
    let mut last = [None::<u32>; 4];
    let mut seen = 0;
    while seen < 40_000 {
        if mailbox.poll_take(&mut batch, &mut cx).is_ready() {
            for e in batch.drain(..) {
                let n = msg(e);
                let sender = (n / 1_000_000) as usize;
                let i = n % 1_000_000;
                assert!(last[sender].is_none_or(|prev| prev + 1 == i));
                last[sender] = Some(i);
                seen += 1;
            }
        } else {
            std::thread::yield_now();
        }
    }
    for s in senders {
        s.join().expect("sender thread");
    }
}

/// A caller running its own request to an idle actor takes it only if it
/// is the one queued envelope and a plain message: a second message (some
/// other sender's), a signal, a stop request or a closed mailbox leave
/// everything to the loop.
#[test]
fn a_caller_takes_only_a_lone_plain_message() {
    let two = Mailbox::new(None);
    for n in 1..=2 {
        assert!(two.push(envelope(n)).is_ok());
    }
    assert!(
        two.take_only_message(|_| true).is_none(),
        "two queued: the loop's"
    );
    assert_eq!(two.len(), 2);

    let one = Mailbox::new(None);
    assert!(one.push(envelope(1)).is_ok());
    assert!(one.take_only_message(|_| false).is_none(), "turned down");
    one.signal_control(control::STOP);
    assert!(
        one.take_only_message(|_| true).is_none(),
        "a stop is the loop's"
    );
    one.clear_control(control::STOP);
    assert_eq!(one.take_only_message(|_| true).map(|(msg, _)| msg), Some(1));
    assert_eq!(one.len(), 0);

    let signal = Mailbox::<u32>::new(None);
    let label = crate::base::ActorLabel::new(
        crate::base::ActorId::new(crate::base::NodeId::from_u64(1), 1),
        "T",
    );
    assert!(
        signal.push_signal(crate::base::Signal::Exit(crate::base::Exit {
            actor: label,
            reason: crate::base::ExitReason::Normal,
        }))
    );
    assert!(
        signal.take_only_message(|_| true).is_none(),
        "a signal is the loop's"
    );

    let closed = Mailbox::new(None);
    assert!(closed.push(envelope(1)).is_ok());
    let _unhandled = closed.close();
    assert!(closed.take_only_message(|_| true).is_none(), "closed");
}

/// A loop waiting for a caller to give its state back parks its waker even
/// with a kill pending, so that the caller giving it back wakes it (the
/// review's finding: a kill then left the loop with no waker, for ever).
#[test]
fn a_loop_waiting_for_its_state_is_woken_even_with_a_kill_pending() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mailbox = Mailbox::<u32>::new(None);
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let waker = Waker::from(count.clone());
    mailbox.signal_control(control::KILL);
    assert!(mailbox.register_running(&waker), "a method sees the kill");
    mailbox.park_running(&waker);
    mailbox.wake_running();
    assert_eq!(count.0.load(Ordering::SeqCst), 1, "the giver woke the loop");
}
