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
//! It is parking_lot's (loom's under loom): see `docs/BENCHMARKS.md`, "The
//! mailbox's lock".

mod envelope;
#[cfg(all(test, actium_loom))]
mod loom_tests;
#[cfg(test)]
mod tests;

pub(crate) use envelope::Traced;

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::task::{Context, Poll, Waker};

// loom's lock and atomics under `--cfg actium_loom`, so that loom can run
// this mailbox (`loom_tests` below).
use crate::base::Signal;
use crate::sync::{Armed, ReceiverWaker};
use crate::sync::{AtomicU8, Mutex, MutexGuard, Ordering};
pub(crate) use envelope::Envelope;
pub(crate) use envelope::Refusal;
pub(crate) use envelope::Taken;
pub(crate) use envelope::control;

/// Laid out in this order (`repr(C)`, as is the cell that holds it): what
/// every sender reads and writes (the capacity, the lock, the queue) at
/// the front; the control flag the loop reads for every message at the
/// end, a cache line away. The receiver's waker and the armed flag are
/// written by a sender only when it wakes the loop: shared by design.
#[repr(C)]
pub(crate) struct Mailbox<M> {
    /// `usize::MAX` when unbounded.
    capacity: usize,
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
}

/// In this order (`repr(C)`): what a sender reads and writes for every
/// message (the queue, the closed flag) first, beside the lock.
#[repr(C)]
struct State<M> {
    queue: VecDeque<Envelope<M>>,
    closed: bool,
    control: u8,
    /// Envelopes the loop has taken out since the actor started, less
    /// those put back, modulo 2³²: with the loop's count of those it
    /// handled, the depth of a batch taken but not yet handled. A `u32`
    /// fits beside the flags, where the state had padding anyway.
    taken: u32,
    /// The actor loop's waker, present only while it waits for mail.
    receiver: ReceiverWaker,
    /// The actor loop's waker while a method it runs awaits, so a kill can
    /// interrupt it.
    running: Option<Waker>,
    /// Senders waiting for room in a full bounded mailbox, oldest first.
    senders: VecDeque<Waker>,
}

impl<M> Mailbox<M> {
    pub(crate) fn new(capacity: Option<NonZeroUsize>) -> Self {
        Mailbox {
            capacity: capacity.map_or(usize::MAX, NonZeroUsize::get),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: false,
                control: 0,
                taken: 0,
                receiver: ReceiverWaker::default(),
                running: None,
                senders: VecDeque::new(),
            }),
            control: AtomicU8::new(0),
            armed: Armed::new(),
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
        // No poisoning: nothing panics under this lock anyway (only queue
        // operations run under it).
        self.state.lock()
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

    /// Appends every message of `run`, in order, whatever the capacity,
    /// with one lock and at most one wake-up (none for an empty run), and
    /// leaves `run` empty: a run of calls that arrived together from
    /// another node. Refused only once closed; `run` is then left as it
    /// was, for the caller to drop (dropping an ask's envelope tells its
    /// caller the actor stopped).
    pub(crate) fn push_run_unbounded(&self, run: &mut Vec<Envelope<M>>) -> Result<(), Refusal> {
        if run.is_empty() {
            return Ok(());
        }
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return Err(Refusal::Closed);
            }
            if state.queue.is_empty() {
                // Nothing waits: the run's buffer becomes the queue and the
                // queue's empty buffer the next run's, as the loop's batch
                // and the queue trade theirs. No message is moved (a `Vec`
                // becomes a `VecDeque` in place, and an empty one a `Vec`).
                let queue = std::mem::replace(&mut state.queue, std::mem::take(run).into());
                *run = queue.into();
            } else {
                state.queue.extend(run.drain(..));
            }
            self.disarm(&mut state)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    // Inlined into `push` and `push_unbounded`: every message comes
    // through here, and left to the compiler the call came and went with
    // unrelated changes (17 instructions a push and take in the guard's
    // `mailbox_push_take`).
    #[inline]
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
                state.taken = state.taken.wrapping_add(batch.len() as u32);
                self.arm(&mut state, cx);
                return Poll::Ready(Taken::Messages);
            }
            batch.extend(state.queue.pop_front());
            state.taken = state.taken.wrapping_add(1);
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

    /// Takes the queued envelope if it is the only one, a plain message
    /// (not a signal, nor a recorded message) that `may_run` accepts, and
    /// no stop is requested: for a caller running its own request to an
    /// idle loop (see `actor::standby`), which leaves everything else to
    /// the loop (`may_run` turns down all but plain synchronous methods).
    /// The only one: a caller whose request is unanswered and whose callee
    /// has not run since knows it is its own, and runs no one else's. The
    /// loop need not come back for it, so the armed flag is left alone: a
    /// sender that queued mail has woken the loop already.
    pub(crate) fn take_only_message(
        &self,
        may_run: impl FnOnce(&M) -> bool,
    ) -> Option<(M, crate::call::Chain)> {
        let (taken, sender) = {
            let mut state = self.lock();
            if state.control != 0 || state.closed || state.queue.len() != 1 {
                return None;
            }
            if !matches!(state.queue.front(), Some(Envelope::Message { msg, .. }) if may_run(msg)) {
                return None;
            }
            let taken = state.queue.pop_front();
            state.taken = state.taken.wrapping_add(1);
            // Room for one more in a bounded mailbox.
            (taken, state.senders.pop_front())
        };
        if let Some(sender) = sender {
            sender.wake();
        }
        match taken {
            Some(Envelope::Message { msg, chain }) => Some((msg, chain)),
            _ => None,
        }
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

    /// Whether a kill is pending: the actor's method must stop at its next
    /// poll and its loop end with the kill's reason.
    pub(crate) fn is_killed(&self) -> bool {
        self.control() & control::KILL != 0
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

    /// Stores the loop's waker where [`wake_running`](Self::wake_running)
    /// and a kill find it, kill pending or not: for a loop that waits for a
    /// caller to give its state back (see `actor::standby`), which must be
    /// woken then even if a kill came first (it sees the kill once its
    /// state is back).
    pub(crate) fn park_running(&self, waker: &Waker) {
        let mut state = self.lock();
        match &mut state.running {
            Some(running) if running.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    /// Wakes the loop's waker registered with
    /// [`register_running`](Self::register_running) or
    /// [`park_running`](Self::park_running), if any.
    pub(crate) fn wake_running(&self) {
        let running = self.lock().running.take();
        if let Some(waker) = running {
            waker.wake();
        }
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
        state.taken = state.taken.wrapping_sub(unhandled.len() as u32);
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

    /// Where the bytes every sender reads or writes for every message
    /// (the capacity, the lock, the queue, the closed flag) end, from the
    /// mailbox's start, and that the lock comes before its state: for the
    /// cell's layout test.
    #[cfg(all(test, not(actium_loom)))]
    pub(crate) fn senders_end(&self) -> usize {
        let start = std::ptr::from_ref(self) as usize;
        let lock = std::ptr::from_ref(&self.state) as usize;
        let state = self.lock();
        let data = std::ptr::from_ref(&*state) as usize;
        assert!(lock < data, "the lock word comes before the state");
        let queue = std::ptr::addr_of!(state.queue) as usize + size_of::<VecDeque<Envelope<M>>>();
        let closed = std::ptr::addr_of!(state.closed) as usize + 1;
        let capacity = std::mem::offset_of!(Self, capacity) + size_of::<usize>();
        (queue.max(closed) - start).max(capacity)
    }

    /// Where the control flag the loop reads for every message is.
    #[cfg(all(test, not(actium_loom)))]
    pub(crate) fn control_offset() -> usize {
        std::mem::offset_of!(Self, control)
    }

    /// Messages and signals waiting, queued or taken in a batch, given how
    /// many the loop has handled: for snapshots, not for flow control.
    pub(crate) fn depth(&self, handled: u64) -> u64 {
        let state = self.lock();
        // Counted modulo 2³² on both sides: a batch is never that long.
        let in_batch = state.taken.wrapping_sub(handled as u32);
        state.queue.len() as u64 + u64::from(in_batch)
    }
}
