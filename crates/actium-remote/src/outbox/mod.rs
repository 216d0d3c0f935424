//! The bytes waiting to go to one peer, and who writes them.
//!
//! Senders encode their frame straight into a shared buffer under a short
//! lock; the connection's writer task swaps the whole buffer out and writes
//! it with one system call. Under load many frames go out per write
//! (batching without a timer); when idle, each frame goes out at once.
//!
//! A request-reply's request, or a frame sent only while the connection is
//! up (a reply, an answer, the heartbeat's ping or pong, a goodbye), queued
//! in an idle outbox (empty, nothing being written, nothing taken for
//! [`IDLE_AFTER`]) is written by its sender, as below, and the writer task
//! is not woken: a round trip then costs no writer task's turn on either
//! node, and the frame goes out before the sender's own bookkeeping (the
//! caller's deadline, the actor loop's next message). Frames that follow
//! within [`IDLE_AFTER`] (a burst of asks) are the writer task's, which
//! batches them.
//!
//! A sender that never yields (a loop of one-way calls is ordinary code)
//! must not stop its own frames from going out. Tokio runs the writer task
//! it wakes in its worker's LIFO slot, which no other worker may steal, so
//! while the sender runs nothing would be written and the peer would drop
//! the connection for silence. So once [`INLINE_AT`] bytes, or enough
//! frames ([`INLINE_FRAMES`]), have piled up since the last take, the
//! sending thread writes the batch itself: it
//! takes the [`Socket`]'s lock only if it is free (never waiting for the
//! writer task), polls the stream once with a waker that wakes the writer
//! task, and
//! leaves whatever the stream does not accept at once to the writer task.
//! That works for any stream, TLS included: a stream that cannot write now
//! answers `Pending` and the bytes wait, in order, for the writer.
//!
//! Order: bytes leave the buffer only by a swap under its lock, made by
//! whoever holds the socket's lock, and the holder writes what it took
//! (or leaves it in the socket for the next holder to write first) before
//! anyone takes more. So frames go out exactly in the order they were
//! queued, whichever thread writes them.

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use actium_core::ActorId;
use bytes::BytesMut;
use tokio::io::AsyncWrite;
use tokio::sync::Notify;

use crate::wire::{self, Frame, WriteError};

mod socket;

use socket::Side;
pub(crate) use socket::Socket;
#[cfg(test)]
pub(crate) use socket::memory_socket;

/// How many bytes may wait for a peer before sends are refused: a peer
/// that does not read must not exhaust this node's memory.
pub(crate) const MAX_QUEUED: usize = 256 * 1024 * 1024;

/// How many bytes may pile up before the sending thread writes them
/// itself. Reached only when the writer task has not run for a while
/// (thousands of small frames): an idle connection's frames go out one
/// by one, through the writer task or (see [`IDLE_AFTER`]) their sender.
pub(crate) const INLINE_AT: usize = 64 * 1024;

/// As [`INLINE_AT`], in frames: a sender that computes a while between
/// small frames must not keep them (and the heartbeat's pings) back until
/// they fill [`INLINE_AT`] bytes. Every [`INLINE_FRAMES`] frames since the
/// bytes were last taken, the sender writes them itself if they have
/// waited [`INLINE_AFTER`] since, or if [`INLINE_FRAMES_MOST`] have piled
/// up.
pub(crate) const INLINE_FRAMES: usize = 64;

/// How long frames may wait before a sender that queued another
/// [`INLINE_FRAMES`] writes them itself. A fast sender (a tell a hundred
/// nanoseconds or so) writes batches of hundreds of frames: 64 at a time,
/// it spent a system call per 64 tells, and so did the reader it woke for
/// each (`docs/BENCHMARKS.md`). A slow one writes every 64 frames, as
/// before. The price: a fast burst of up to [`INLINE_FRAMES_MOST`] - 1
/// frames followed by a long computation that never yields waits for the
/// heartbeat's next tick (or the sender's next yield), where up to 63
/// did before.
pub(crate) const INLINE_AFTER: Duration = Duration::from_micros(100);

/// The most frames a sender lets pile up however fast it sends them.
pub(crate) const INLINE_FRAMES_MOST: usize = 1024;

/// How long nothing must have been taken from an empty outbox for a
/// request-reply's request, or a frame sent only while the connection is
/// up, to be written by its sender rather than by the writer task (see
/// [`Outbox::push_call`] and [`Outbox::push_reply`]): longer than a
/// burst's frames are apart, shorter than a round trip on loopback (tens
/// of microseconds).
pub(crate) const IDLE_AFTER: Duration = Duration::from_micros(5);

pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    ready: Arc<Notify>,
    /// Notifies `ready`: the waker a sender writing the outbox leaves with
    /// the stream when it cannot take more, so that the stream's readiness
    /// wakes the writer task (the stream keeps one waker per direction: a
    /// waker that does nothing would replace the writer's).
    ready_waker: Waker,
    /// Set while bytes taken from the buffer have not all been written.
    writing: AtomicBool,
    /// Notified when everything taken has been written.
    written: Notify,
    max_frame: usize,
}

struct Queue {
    bytes: BytesMut,
    /// Frames queued since the bytes were last taken.
    frames: usize,
    /// How many [`Outbox::drained`] calls wait.
    draining: usize,
    /// When the bytes were last taken. The real clock, not the system's
    /// (read at each take and at every [`INLINE_FRAMES`]th frame queued):
    /// it only shapes how frames are batched into writes on a real socket,
    /// which no simulation runs.
    taken_at: Instant,
    /// The running connection's socket; `None` between connections.
    socket: Option<Arc<Socket>>,
    /// Whether the peer's connection is installed (its phase is up), from
    /// [`installed`](Outbox::installed) to [`clear`](Outbox::clear):
    /// [`push_tell`](Outbox::push_tell) queues only then, without the
    /// peer's lock.
    up: bool,
}

impl Queue {
    /// Whether `socket` is the running connection's: a stale one (an
    /// aborted writer's, or a replaced connection's) must neither take
    /// queued bytes nor speak for the current one's.
    fn holds(&self, socket: &Arc<Socket>) -> bool {
        self.socket
            .as_ref()
            .is_some_and(|mine| Arc::ptr_eq(mine, socket))
    }
}

/// Why a frame was not queued.
pub(crate) enum Refused {
    /// Boxed, so that `push`'s result is two words, returned in registers.
    Frame(Box<WriteError>),
    Overloaded,
    /// [`Outbox::push_tell`] found no connection installed: the frame must
    /// go the way that sets one up (or fails), under the peer's lock.
    NotUp,
}

/// A frame was queued: the caller should call [`Outbox::relieve`] with
/// this once it holds no lock of its own, which writes what waits if the
/// outbox is crowded, or was idle for a frame its sender writes.
#[must_use]
pub(crate) struct Crowded {
    /// The socket the sender writes to, if it does.
    socket: Option<Arc<Socket>>,
    /// Whether the outbox was idle and the push woke nobody: the sender
    /// wakes the writer task if it cannot write itself.
    idle: bool,
}

/// Wakes the writer task waiting on `ready`.
struct NotifyWriter(Arc<Notify>);

impl std::task::Wake for NotifyWriter {
    fn wake(self: Arc<Self>) {
        self.0.notify_one();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify_one();
    }
}

impl Outbox {
    pub(crate) fn new(max_frame: usize) -> Self {
        let ready = Arc::new(Notify::new());
        Outbox {
            ready_waker: Waker::from(Arc::new(NotifyWriter(ready.clone()))),
            queue: Mutex::new(Queue {
                bytes: BytesMut::new(),
                frames: 0,
                draining: 0,
                taken_at: Instant::now(),
                socket: None,
                up: false,
            }),
            ready,
            writing: AtomicBool::new(false),
            written: Notify::new(),
            max_frame,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Only buffer operations run under this lock.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one frame and wakes the writer if it was idle. Returns the
    /// socket to write to if the outbox has just crossed another
    /// [`INLINE_AT`] bytes since it was last taken, or another
    /// [`INLINE_FRAMES`] frames that waited long enough or piled up high
    /// enough (see there); [`push_reply`](Self::push_reply) and
    /// [`push_call`](Self::push_call) also if the outbox is idle.
    pub(crate) fn push(&self, frame: &Frame<'_>) -> Result<Crowded, Refused> {
        self.push_frame(frame, false)
    }

    /// [`push_call`](Self::push_call) for a one-way call, only while a
    /// connection is installed ([`Refused::NotUp`] otherwise). The caller
    /// need not hold the peer's lock: the connection's end
    /// ([`clear`](Self::clear)) takes this outbox's lock too, so a tell
    /// is either queued before it (and dropped with what waits, as under
    /// the peer's lock) or refused after it. One lock per tell rather than
    /// two: a fifth of a remote tell's processor time went to the two
    /// (`docs/BENCHMARKS.md`).
    pub(crate) fn push_tell(
        &self,
        to: ActorId,
        method: &str,
        payload: &[u8],
    ) -> Result<Crowded, Refused> {
        self.push_parts(None, to, method, payload, true)
    }

    /// [`push`](Self::push) for the frames a connection sends only while
    /// it is up (`PeerHandle::send_if_connected`): replies, answers, the
    /// heartbeat's pings and pongs, goodbyes. Written by their sender, as
    /// [`push_call`](Self::push_call) writes a request, when the outbox
    /// is idle.
    pub(crate) fn push_reply(&self, frame: &Frame<'_>) -> Result<Crowded, Refused> {
        self.push_frame(frame, true)
    }

    /// [`push_with`](Self::push_with) for a whole frame.
    fn push_frame(&self, frame: &Frame<'_>, inline_if_idle: bool) -> Result<Crowded, Refused> {
        self.push_with(
            |bytes, max_frame| wire::write_message(bytes, frame, max_frame),
            inline_if_idle,
            false,
        )
    }

    /// [`push`](Self::push) for a call without a trace context, written
    /// from its parts (see `wire::call::write_parts`): a request-reply's
    /// if it has an `id`.
    ///
    /// A request-reply's request, queued in an outbox that is empty, with
    /// nothing being written and nothing taken for [`IDLE_AFTER`], is
    /// written by its sender ([`relieve`](Self::relieve) with the socket
    /// returned), not by the writer task: the caller waits for the answer
    /// next, and nothing queued behind the frame would share its write,
    /// while waking the writer task is a task's turn on each node of every
    /// round trip. Frames that follow within [`IDLE_AFTER`] (a burst)
    /// are left to the writer task, which batches them.
    pub(crate) fn push_call(
        &self,
        id: Option<u64>,
        to: ActorId,
        method: &str,
        payload: &[u8],
    ) -> Result<Crowded, Refused> {
        self.push_parts(id, to, method, payload, false)
    }

    /// [`push_with`](Self::push_with) for a call written from its parts:
    /// [`push_call`](Self::push_call)'s and [`push_tell`](Self::push_tell)'s.
    #[inline(always)]
    fn push_parts(
        &self,
        id: Option<u64>,
        to: ActorId,
        method: &str,
        payload: &[u8],
        only_up: bool,
    ) -> Result<Crowded, Refused> {
        self.push_with(
            |bytes, max_frame| wire::call::write_parts(bytes, id, to, method, payload, max_frame),
            id.is_some(),
            only_up,
        )
    }

    /// Queues the frame `write` appends (see [`push`](Self::push)).
    /// Inlined, so that each caller's writer is too.
    /// `inline_if_idle`: the sender writes the frame itself if the outbox
    /// is idle (see [`push_call`](Self::push_call)). `only_up`: refuses
    /// ([`Refused::NotUp`]) unless a connection is installed (see
    /// [`push_tell`](Self::push_tell)).
    #[inline(always)]
    fn push_with(
        &self,
        write: impl FnOnce(&mut BytesMut, usize) -> Result<(), WriteError>,
        inline_if_idle: bool,
        only_up: bool,
    ) -> Result<Crowded, Refused> {
        let (wake_writer, crowded, idle) = {
            let mut queue = self.lock();
            if only_up && !queue.up {
                return Err(Refused::NotUp);
            }
            let before = queue.bytes.len();
            if before >= MAX_QUEUED {
                return Err(Refused::Overloaded);
            }
            write(&mut queue.bytes, self.max_frame)
                .map_err(|error| Refused::Frame(Box::new(error)))?;
            queue.frames += 1;
            // The clock is read only for the first frame of an empty
            // outbox, and only for the frames a sender may write itself.
            let idle = inline_if_idle
                && before == 0
                && queue.socket.is_some()
                && !self.is_writing()
                && queue.taken_at.elapsed() >= IDLE_AFTER;
            // Now and then rather than on every frame, so a busy writer
            // task costs the senders nothing.
            let crossed = idle
                || before / INLINE_AT != queue.bytes.len() / INLINE_AT
                || (queue.frames % INLINE_FRAMES == 0
                    && (queue.frames % INLINE_FRAMES_MOST == 0
                        || queue.taken_at.elapsed() >= INLINE_AFTER));
            let crowded = if crossed { queue.socket.clone() } else { None };
            // The sender that writes an idle outbox's frame itself wakes
            // the writer task only if it cannot (`relieve`).
            (before == 0 && !idle, crowded, idle)
        };
        if wake_writer {
            self.ready.notify_one();
        }
        Ok(Crowded {
            socket: crowded,
            idle,
        })
    }

    /// Writes a crowded (or idle) outbox from the calling thread, without
    /// blocking: as much as the stream accepts at once, unless a writer is
    /// at it already. What is left goes to the writer task.
    pub(crate) fn relieve(&self, crowded: Crowded) {
        let Some(socket) = crowded.socket else {
            return;
        };
        let Some(mut side) = socket.side.try_lock() else {
            // The writer task (or another sender) is writing, and takes
            // what waits before it lets go. Unless the frame was queued in
            // an idle outbox, whose push woke no one: the writer task is
            // woken for it (the holder may be a sender that is done).
            if crowded.idle {
                self.ready.notify_one();
            }
            return;
        };
        // The stream registers the waker when it cannot write: this one
        // wakes the writer task, as the writer's own would.
        let mut context = Context::from_waker(&self.ready_waker);
        // A sender that never yields would soon spend Tokio's budget and
        // then see every stream as not ready.
        let pump = tokio::task::unconstrained(std::future::poll_fn(|cx| {
            self.poll_pump(&socket, &mut side, cx)
        }));
        // Whether it finished, could not go on, or failed (the writer task
        // meets the error again and ends the connection), the rest is the
        // writer task's.
        let _ = pin!(pump).poll(&mut context);
        drop(side);
        // The writer task may have found the lock taken and gone back to
        // waiting: it must look again, now that it is free, if anything
        // waits (queued meanwhile, or taken and not all written). Woken
        // for nothing, it would take a turn on every request and reply an
        // idle outbox's sender wrote itself.
        if self.waits(&self.lock()) {
            self.ready.notify_one();
        }
    }

    /// Writes what waits from the calling thread, as
    /// [`relieve`](Self::relieve) does: for the heartbeat, whose tick a
    /// starved writer task (waiting in a busy sender's worker's LIFO slot)
    /// cannot keep back, so that a burst followed by a long computation
    /// still goes out.
    ///
    /// It runs on every tick, whether or not the writers made progress
    /// since the last one: a writer that wrote a little during the tick may
    /// be starved again now, and trying costs a look at the buffer and a
    /// lock that is never waited for (a writer at work keeps it, and this
    /// returns at once).
    pub(crate) fn relieve_on_tick(&self, socket: &Arc<Socket>) {
        let crowded = {
            let queue = self.lock();
            (queue.holds(socket) && self.waits(&queue)).then(|| socket.clone())
        };
        self.relieve(Crowded {
            socket: crowded,
            idle: false,
        });
    }

    /// Writes the socket's batch, then whatever the buffer holds, until
    /// both are empty and the stream is flushed. Call with the socket's
    /// lock held.
    fn poll_pump(
        &self,
        socket: &Arc<Socket>,
        side: &mut Side,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if side.sent == side.batch.len() {
                side.batch.clear();
                side.sent = 0;
                // Flushed before more is taken: once nothing is left to
                // take, everything taken has gone out.
                ready!(Pin::new(&mut side.writer).poll_flush(cx))?;
                if !self.take(socket, &mut side.batch) {
                    return Poll::Ready(Ok(()));
                }
                socket.advanced(side);
            }
            let n = ready!(Pin::new(&mut side.writer).poll_write(cx, &side.batch[side.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            side.sent += n;
            socket.traffic.sent(n);
            socket.advanced(side);
        }
    }

    /// Swaps the queued bytes into `batch` (empty; its capacity is
    /// reused), if there are any and `socket` is still the connection's.
    /// If there are none, everything `socket` took has been written (call
    /// with its batch written and flushed): says so, as
    /// [`wrote`](Self::wrote) does, under the same lock.
    fn take(&self, socket: &Arc<Socket>, batch: &mut BytesMut) -> bool {
        let mut queue = self.lock();
        if !queue.holds(socket) {
            return false;
        }
        if queue.bytes.is_empty() {
            self.nothing_left(queue);
            return false;
        }
        std::mem::swap(&mut queue.bytes, batch);
        queue.frames = 0;
        queue.taken_at = Instant::now();
        self.writing.store(true, Ordering::Release);
        true
    }

    /// Makes `socket` the one queued bytes go to (a connection is up).
    /// Call under the peer's lock, through `PeerHandle::attach`, which
    /// checks that the connection is still the peer's.
    pub(crate) fn attach(&self, socket: Arc<Socket>) {
        let mut queue = self.lock();
        queue.socket = Some(socket);
        // Bytes an aborted writer held went with its connection. Under the
        // lock: a sender may take from the new socket as soon as the lock
        // is let go, and its `writing` must stand.
        self.writing.store(false, Ordering::Release);
    }

    /// A connection was installed (the peer's phase is up), and may have
    /// replaced another. No socket takes queued bytes until the next
    /// [`attach`](Self::attach), which keep waiting: the old connection's
    /// socket must not take (and lose) what is meant for the new. Call
    /// under the peer's lock.
    pub(crate) fn installed(&self) {
        let mut queue = self.lock();
        queue.socket = None;
        queue.up = true;
    }

    /// The writer task of `socket`'s connection: writes whatever is
    /// queued, for as long as the connection runs.
    ///
    /// # Errors
    ///
    /// The stream's error, once writing failed.
    pub(crate) async fn write_loop(&self, socket: &Arc<Socket>) -> io::Result<()> {
        loop {
            // Never wait for the lock: a sender holds it only while it
            // writes without blocking, and notifies `ready` when it lets
            // go. (Waiting would hand the lock to this task as the sender
            // let go, and if this task then waits in the sender's worker's
            // LIFO slot, the sender could not write either.)
            if let Some(mut side) = socket.side.try_lock() {
                let pumped = std::future::poll_fn(|cx| self.poll_pump(socket, &mut side, cx)).await;
                if let Err(error) = pumped {
                    self.wrote(socket);
                    return Err(error);
                }
            }
            self.ready.notified().await;
        }
    }

    /// Whether bytes taken from the buffer have not all been written.
    pub(crate) fn is_writing(&self) -> bool {
        self.writing.load(Ordering::Acquire)
    }

    /// Writing failed: if `socket` is still the connection's, nothing
    /// taken waits now. A stale socket (an aborted writer's, or a replaced
    /// connection's) says nothing of the current one's batch.
    fn wrote(&self, socket: &Arc<Socket>) {
        let queue = self.lock();
        if queue.holds(socket) {
            self.nothing_left(queue);
        }
    }

    /// Nothing taken waits to be written any more (call with the queue's
    /// lock, for the running connection's socket): clears `writing` and,
    /// once the lock is let go, wakes the [`drained`](Self::drained) calls
    /// waiting, if any (each counted under this lock before it looked).
    fn nothing_left(&self, queue: MutexGuard<'_, Queue>) {
        self.writing.store(false, Ordering::Release);
        let draining = queue.draining > 0;
        drop(queue);
        if draining {
            self.written.notify_waiters();
        }
    }

    /// Whether anything waits for a writer: bytes queued, or bytes taken
    /// and not all written.
    fn waits(&self, queue: &Queue) -> bool {
        !queue.bytes.is_empty() || self.is_writing()
    }

    /// Resolves once everything queued so far has been written.
    pub(crate) async fn drained(&self) {
        /// Counts this call among those waiting, for as long as it waits:
        /// a writer that finds nothing left to take notifies `written`
        /// only if one does.
        struct Draining<'a>(&'a Outbox);
        impl Drop for Draining<'_> {
            fn drop(&mut self) {
                self.0.lock().draining -= 1;
            }
        }
        self.lock().draining += 1;
        let _draining = Draining(self);
        loop {
            let written = self.written.notified();
            // Counted before this look, under the lock the writer takes to
            // find nothing left: either this look sees `writing` cleared,
            // or that writer sees this call counted and notifies (which
            // wakes `written`, made before the look).
            if !self.waits(&self.lock()) {
                return;
            }
            written.await;
        }
    }

    /// Drops whatever waits, and the socket (the connection it was for is
    /// gone): until a connection is [`installed`](Self::installed) again,
    /// [`push_tell`](Self::push_tell) refuses. Call under the peer's lock.
    pub(crate) fn clear(&self) {
        let mut queue = self.lock();
        queue.up = false;
        queue.bytes.clear();
        queue.frames = 0;
        queue.taken_at = Instant::now();
        queue.socket = None;
    }
}

#[cfg(test)]
mod tests;
