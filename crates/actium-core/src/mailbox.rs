//! The mailbox: one actor's queue of incoming messages.
//!
//! A mailbox is a `VecDeque` behind a per-actor mutex. Why not a lock-free
//! queue or tokio's `mpsc`:
//!
//! - **Memory.** An idle actor must stay small (the target is under 600 bytes
//!   in all). `tokio::sync::mpsc` allocates a 32-slot block per channel up
//!   front; an empty `VecDeque` allocates nothing.
//! - **Speed.** Senders hold the lock for one `push_back`; the actor takes
//!   *every* queued message in one critical section by swapping the queue with
//!   its own empty batch, then runs the batch without touching the lock. The
//!   two buffers trade places, so a busy mailbox stops allocating.
//! - **Correctness.** The receiver's waker, the stop flag, the closed flag and
//!   the capacity check all live under the same lock, so there is no lost
//!   wake-up to reason about. The one read without the lock, the actor
//!   loop's look at whether it is still armed, is the [`Armed`] primitive,
//!   which loom checks together with this mailbox (`loom_tests` below).
//!
//! The lock is per actor, never global, and never held while user code runs.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::PoisonError;
use std::task::{Context, Poll, Waker};

use crate::chain::Chain;
// loom's lock and atomics under `--cfg actium_loom`, so that loom can run
// this mailbox (`loom_tests` below).
use crate::primitives::armed::{Armed, ReceiverWaker};
use crate::primitives::{AtomicU8, Mutex, MutexGuard, Ordering};
use crate::signal::Signal;

/// What a mailbox holds: a message with the causal call chain of asks that
/// led to it (for deadlock detection), or a signal from a link or monitor.
/// Both travel in one queue, so signals and messages from the same sender
/// stay in order.
pub(crate) enum Envelope<M> {
    Message {
        msg: M,
        chain: Chain,
    },
    Signal(Box<Signal>),
    /// A message sent while recording, with its stamp. Boxed, so that
    /// envelopes do not grow for programs that do not record.
    Traced(Box<Traced<M>>),
}

/// The parts of a recorded message (see `observe`).
pub(crate) struct Traced<M> {
    pub(crate) msg: M,
    pub(crate) chain: Chain,
    pub(crate) stamp: crate::observe::Stamp,
}

/// Why a push was refused; the envelope is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The actor has stopped.
    Closed,
    /// The mailbox is bounded and full.
    Full,
}

/// What the actor's receive loop found.
pub(crate) enum Taken {
    /// Messages were moved into the batch.
    Messages,
    /// A stop was requested (or the mailbox closed) and the batch is empty.
    Stop,
}

/// Control flags, set by others and read by the actor loop.
pub(crate) mod control {
    /// Stop after the current message.
    pub(crate) const STOP: u8 = 1;
    /// Stop now, abandoning the current method at its next await.
    pub(crate) const KILL: u8 = 2;
}

pub(crate) struct Mailbox<M> {
    state: Mutex<State<M>>,
    /// Mirrors `State::control` so the loop can check it per message without
    /// taking the lock.
    control: AtomicU8,
    /// Set (under the lock) when the receiver's waker is registered and the
    /// queue is empty; cleared by whoever then queues mail or requests a
    /// stop, which takes that waker to wake it. So a receive loop that
    /// finds it set may wait without the lock (see
    /// [`Mailbox::poll_take_in_loop`]).
    armed: Armed,
    /// `usize::MAX` when unbounded.
    capacity: usize,
}

struct State<M> {
    queue: VecDeque<Envelope<M>>,
    /// The actor loop's waker, present only while it waits for mail.
    receiver: ReceiverWaker,
    /// The actor loop's waker while a method it runs awaits, so a kill can
    /// interrupt it.
    running: Option<Waker>,
    /// Senders waiting for room in a full bounded mailbox, oldest first.
    senders: VecDeque<Waker>,
    control: u8,
    closed: bool,
}

impl<M> Mailbox<M> {
    pub(crate) fn new(capacity: Option<NonZeroUsize>) -> Self {
        Mailbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                receiver: ReceiverWaker::default(),
                running: None,
                senders: VecDeque::new(),
                control: 0,
                closed: false,
            }),
            control: AtomicU8::new(0),
            armed: Armed::new(),
            capacity: capacity.map_or(usize::MAX, NonZeroUsize::get),
        }
    }

    /// Parks `waker` as the receiver before the actor runs: the first
    /// delivery wakes it, which starts the actor (see `runner::dormant`).
    pub(crate) fn park(&self, waker: Waker) {
        let mut state = self.lock();
        self.armed.arm_with(&mut state.receiver, waker);
    }

    /// Takes the receiver's waker, to wake it once the lock is released.
    fn disarm(&self, state: &mut State<M>) -> Option<Waker> {
        self.armed.disarm(&mut state.receiver)
    }

    /// Registers the receiver's waker (cloning it only if it changed).
    fn arm(&self, state: &mut State<M>, cx: &Context<'_>) {
        self.armed.arm(&mut state.receiver, cx.waker());
    }

    /// The capacity, or `None` when unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        (self.capacity != usize::MAX).then_some(self.capacity)
    }

    fn lock(&self) -> MutexGuard<'_, State<M>> {
        // No code panics while holding this lock (only queue operations run
        // under it), so a poisoned lock still guards consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends a message and wakes the actor if it was waiting.
    pub(crate) fn push(&self, envelope: Envelope<M>) -> Result<(), (Refusal, Envelope<M>)> {
        self.push_within(envelope, self.capacity)
    }

    /// Appends a message whatever the capacity; refused only once closed.
    /// For calls from other nodes, whose capacity was checked before they
    /// were decoded.
    pub(crate) fn push_unbounded(
        &self,
        envelope: Envelope<M>,
    ) -> Result<(), (Refusal, Envelope<M>)> {
        self.push_within(envelope, usize::MAX)
    }

    fn push_within(
        &self,
        envelope: Envelope<M>,
        capacity: usize,
    ) -> Result<(), (Refusal, Envelope<M>)> {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return Err((Refusal::Closed, envelope));
            }
            if state.queue.len() >= capacity {
                return Err((Refusal::Full, envelope));
            }
            state.queue.push_back(envelope);
            self.disarm(&mut state)
        };
        // Wake outside the lock: the woken actor takes the lock at once.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Appends a signal, whatever the capacity: exit and down notifications
    /// must not be lost to a full mailbox. Refused only once closed.
    pub(crate) fn push_signal(&self, signal: Signal) -> bool {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return false;
            }
            state.queue.push_back(Envelope::Signal(Box::new(signal)));
            self.disarm(&mut state)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }

    /// Moves queued messages into `batch`, or registers the actor's waker.
    ///
    /// An unbounded mailbox hands over everything at once; a bounded one
    /// hands over one message at a time so that its length keeps meaning
    /// "messages waiting".
    pub(crate) fn poll_take(
        &self,
        batch: &mut VecDeque<Envelope<M>>,
        cx: &mut Context<'_>,
    ) -> Poll<Taken> {
        debug_assert!(batch.is_empty());
        let mut state = self.lock();
        if state.control != 0 || state.closed {
            return Poll::Ready(Taken::Stop);
        }
        // Armed whenever this leaves the queue empty, with mail or without:
        // a loop that empties its batch and finds the mailbox still armed
        // knows, without the lock, that nothing came meanwhile.
        if !state.queue.is_empty() {
            if self.capacity == usize::MAX {
                std::mem::swap(&mut state.queue, batch);
                self.arm(&mut state, cx);
                return Poll::Ready(Taken::Messages);
            }
            batch.extend(state.queue.pop_front());
            if state.queue.is_empty() {
                self.arm(&mut state, cx);
            } else {
                // More is waiting: the loop must come back for it.
                self.armed.must_look(&mut state.receiver);
            }
            // Room for one more: let the longest-waiting sender try.
            let sender = state.senders.pop_front();
            drop(state);
            if let Some(sender) = sender {
                sender.wake();
            }
            return Poll::Ready(Taken::Messages);
        }
        self.arm(&mut state, cx);
        Poll::Pending
    }

    /// [`poll_take`](Self::poll_take) for an actor's receive loop, which is
    /// always polled by the same task (or thread), so the waker it armed
    /// last is still its own: if the mailbox is still armed, nothing was
    /// queued and no stop was requested since the loop last took mail
    /// (whoever does disarms it, under the lock, and then wakes that
    /// waker), so it waits without taking the lock. This saves one lock
    /// and unlock of the mailbox per request-reply round trip.
    pub(crate) fn poll_take_in_loop(
        &self,
        batch: &mut VecDeque<Envelope<M>>,
        cx: &mut Context<'_>,
    ) -> Poll<Taken> {
        if self.armed.is_armed() {
            return Poll::Pending;
        }
        self.poll_take(batch, cx)
    }

    /// The control flags; cheap enough to read per message.
    pub(crate) fn control(&self) -> u8 {
        self.control.load(Ordering::Acquire)
    }

    /// Sets control flags and wakes the actor loop, whether it waits for
    /// mail or (for a kill) inside a method.
    pub(crate) fn signal_control(&self, flags: u8) {
        self.control.fetch_or(flags, Ordering::AcqRel);
        let (receiver, running) = {
            let mut state = self.lock();
            state.control |= flags;
            (self.disarm(&mut state), state.running.take())
        };
        for waker in [receiver, running].into_iter().flatten() {
            waker.wake();
        }
    }

    /// Clears control flags (a restarted incarnation starts afresh).
    pub(crate) fn clear_control(&self, flags: u8) {
        self.control.fetch_and(!flags, Ordering::AcqRel);
        self.lock().control &= !flags;
    }

    /// Registers the loop's waker while a method awaits, so a kill reaches
    /// it; returns whether a kill is already pending.
    pub(crate) fn register_running(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if state.control & control::KILL != 0 {
            return true;
        }
        match &mut state.running {
            Some(running) if running.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    /// Like `push`, but waits for room in a full bounded mailbox instead of
    /// refusing.
    pub(crate) fn poll_push(
        &self,
        envelope: &mut Option<Envelope<M>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), (Refusal, Envelope<M>)>> {
        let Some(next) = envelope.take() else {
            return Poll::Ready(Ok(()));
        };
        match self.push(next) {
            Err((Refusal::Full, back)) => {
                let mut state = self.lock();
                // Room may have appeared since `push` looked.
                if state.queue.len() < self.capacity || state.closed {
                    drop(state);
                    *envelope = Some(back);
                    cx.waker().wake_by_ref();
                } else {
                    if !state.senders.iter().any(|w| w.will_wake(cx.waker())) {
                        state.senders.push_back(cx.waker().clone());
                    }
                    *envelope = Some(back);
                }
                Poll::Pending
            }
            other => Poll::Ready(other),
        }
    }

    /// A sender that waited for room gave up (its future was dropped):
    /// forgets its waker, and if there is room — perhaps meant for it —
    /// passes the turn to the next waiting sender, so none is left asleep
    /// beside a free slot.
    pub(crate) fn abandon_wait(&self, waker: &Waker) {
        let next = {
            let mut state = self.lock();
            state.senders.retain(|w| !w.will_wake(waker));
            if state.queue.len() < self.capacity && !state.closed {
                state.senders.pop_front()
            } else {
                None
            }
        };
        if let Some(next) = next {
            next.wake();
        }
    }

    /// Puts back messages the actor took but did not handle, ahead of the
    /// rest and in order: a restarted incarnation handles them next.
    pub(crate) fn requeue(&self, mut unhandled: VecDeque<Envelope<M>>) {
        if unhandled.is_empty() {
            return;
        }
        let mut state = self.lock();
        unhandled.append(&mut state.queue);
        state.queue = unhandled;
        // The queue is not empty any more: the next loop must look.
        self.armed.must_look(&mut state.receiver);
    }

    /// Refuses all further messages and returns those still queued, so the
    /// caller can drop them outside the lock (dropping an ask's reply slot
    /// answers its caller with `ActorStopped`).
    pub(crate) fn close(&self) -> VecDeque<Envelope<M>> {
        let (queue, senders, wakers) = {
            let mut state = self.lock();
            state.closed = true;
            (
                std::mem::take(&mut state.queue),
                std::mem::take(&mut state.senders),
                // Dropped outside the lock: a dormant actor's waker owns
                // the actor's state, whose drop is user code.
                (self.disarm(&mut state), state.running.take()),
            )
        };
        drop(wakers);
        // Waiting senders learn the actor stopped.
        for sender in senders {
            sender.wake();
        }
        queue
    }

    /// The number of messages waiting (not yet taken by the actor).
    pub(crate) fn len(&self) -> usize {
        self.lock().queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

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
            Get { reply: crate::ask::Reply<u64> },
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
            Get { reply: crate::ask::Reply<u64> },
        }
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<crate::ask::Reply<u64>>(), 2 * word);
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
}

#[cfg(all(test, actium_loom))]
mod loom_tests {
    //! The real mailbox on loom's lock and atomics, with an actor loop that
    //! takes mail as the runner does (the lock-free look at `armed` first)
    //! and parks while it gets `Pending`: if a wake-up were lost, the loop
    //! would park for good and loom would report the deadlock.

    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

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
}
