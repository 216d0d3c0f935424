//! The bytes waiting to go to one peer, and who writes them.
//!
//! Senders encode their frame straight into a shared buffer under a short
//! lock; the connection's writer task swaps the whole buffer out and writes
//! it with one system call. Under load many frames go out per write
//! (batching without a timer); when idle, each frame goes out at once.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use actium_core::ActorId;
use bytes::BytesMut;
use tokio::io::AsyncWrite;
use tokio::sync::Notify;

use crate::connection::Writer;
use crate::node::Traffic;
use crate::wire::{self, Frame, WriteError};

/// How many bytes may wait for a peer before sends are refused: a peer
/// that does not read must not exhaust this node's memory.
pub(crate) const MAX_QUEUED: usize = 256 * 1024 * 1024;

/// How many bytes may pile up before the sending thread writes them
/// itself. Reached only when the writer task has not run for a while
/// (thousands of small frames): an idle connection's frames go out one
/// by one through the writer task.
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
    /// When the bytes were last taken. The real clock, not the system's
    /// (read at each take and at every [`INLINE_FRAMES`]th frame queued):
    /// it only shapes how frames are batched into writes on a real socket,
    /// which no simulation runs.
    taken_at: Instant,
    /// The running connection's socket; `None` between connections.
    socket: Option<Arc<Socket>>,
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

/// The write side of one connection, shared by its writer task and by
/// senders that write a crowded outbox themselves.
pub(crate) struct Socket {
    side: tokio::sync::Mutex<Side>,
    /// Counts the writers' progress: batches taken, writes accepted. The
    /// heartbeat tells a slow peer (progress) from one that does not read.
    progress: AtomicU64,
    traffic: Arc<Traffic>,
}

struct Side {
    writer: Writer,
    /// Bytes taken from the outbox; those before `sent` are written.
    batch: BytesMut,
    sent: usize,
}

impl Socket {
    pub(crate) fn new(writer: Writer, traffic: Arc<Traffic>) -> Arc<Self> {
        Arc::new(Socket {
            side: tokio::sync::Mutex::new(Side {
                writer,
                batch: BytesMut::with_capacity(64 * 1024),
                sent: 0,
            }),
            progress: AtomicU64::new(0),
            traffic,
        })
    }

    /// How many times a writer has made progress so far.
    pub(crate) fn progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    fn advanced(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a frame was not queued.
pub(crate) enum Refused {
    /// Boxed, so that `push`'s result is two words, returned in registers.
    Frame(Box<WriteError>),
    Overloaded,
}

/// A frame was queued, and the outbox is crowded: the caller should call
/// [`Outbox::relieve`] with this once it holds no lock of its own.
#[must_use]
pub(crate) struct Crowded(Option<Arc<Socket>>);

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
                taken_at: Instant::now(),
                socket: None,
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
    /// enough (see there).
    pub(crate) fn push(&self, frame: &Frame<'_>) -> Result<Crowded, Refused> {
        self.push_with(|bytes, max_frame| wire::write_message(bytes, frame, max_frame))
    }

    /// [`push`](Self::push) for a call without a trace context, written
    /// from its parts (see `wire::call::write_parts`): a request-reply's
    /// if it has an `id`.
    pub(crate) fn push_call(
        &self,
        id: Option<u64>,
        to: ActorId,
        method: &str,
        payload: &[u8],
    ) -> Result<Crowded, Refused> {
        self.push_with(|bytes, max_frame| {
            wire::call::write_parts(bytes, id, to, method, payload, max_frame)
        })
    }

    /// Queues the frame `write` appends (see [`push`](Self::push)).
    /// Inlined, so that each caller's writer is too.
    #[inline(always)]
    fn push_with(
        &self,
        write: impl FnOnce(&mut BytesMut, usize) -> Result<(), WriteError>,
    ) -> Result<Crowded, Refused> {
        let (was_empty, crowded) = {
            let mut queue = self.lock();
            let before = queue.bytes.len();
            if before >= MAX_QUEUED {
                return Err(Refused::Overloaded);
            }
            write(&mut queue.bytes, self.max_frame)
                .map_err(|error| Refused::Frame(Box::new(error)))?;
            queue.frames += 1;
            // Now and then rather than on every frame, so a busy writer
            // task costs the senders nothing.
            let crossed = before / INLINE_AT != queue.bytes.len() / INLINE_AT
                || (queue.frames % INLINE_FRAMES == 0
                    && (queue.frames % INLINE_FRAMES_MOST == 0
                        || queue.taken_at.elapsed() >= INLINE_AFTER));
            let crowded = if crossed { queue.socket.clone() } else { None };
            (before == 0, crowded)
        };
        if was_empty {
            self.ready.notify_one();
        }
        Ok(Crowded(crowded))
    }

    /// Writes a crowded outbox from the calling thread, without blocking:
    /// as much as the stream accepts at once, unless a writer is at it
    /// already. What is left goes to the writer task.
    pub(crate) fn relieve(&self, crowded: Crowded) {
        let Some(socket) = crowded.0 else {
            return;
        };
        let Ok(mut side) = socket.side.try_lock() else {
            // The writer task (or another sender) is writing.
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
        // waiting: it must look again, now that it is free.
        self.ready.notify_one();
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
            let waiting = !queue.bytes.is_empty() || self.is_writing();
            (queue.holds(socket) && waiting).then(|| socket.clone())
        };
        self.relieve(Crowded(crowded));
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
                if !self.take(socket, &mut side.batch) {
                    ready!(Pin::new(&mut side.writer).poll_flush(cx))?;
                    self.wrote(socket);
                    return Poll::Ready(Ok(()));
                }
                socket.advanced();
            }
            let n = ready!(Pin::new(&mut side.writer).poll_write(cx, &side.batch[side.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            side.sent += n;
            socket.traffic.sent(n);
            socket.advanced();
        }
    }

    /// Swaps the queued bytes into `batch` (empty; its capacity is
    /// reused), if there are any and `socket` is still the connection's.
    fn take(&self, socket: &Arc<Socket>, batch: &mut BytesMut) -> bool {
        let mut queue = self.lock();
        if !queue.holds(socket) || queue.bytes.is_empty() {
            return false;
        }
        std::mem::swap(&mut queue.bytes, batch);
        queue.frames = 0;
        queue.taken_at = Instant::now();
        self.writing.store(true, Ordering::Release);
        true
    }

    /// Makes `socket` the one queued bytes go to (a connection is up).
    pub(crate) fn attach(&self, socket: Arc<Socket>) {
        self.lock().socket = Some(socket);
        // Bytes an aborted writer held went with its connection.
        self.writing.store(false, Ordering::Release);
    }

    /// No socket takes queued bytes until the next [`attach`](Self::attach),
    /// which keep waiting: a new connection replaced the old one, whose
    /// socket must not take (and lose) what is meant for the new.
    pub(crate) fn detach(&self) {
        self.lock().socket = None;
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
            if let Ok(mut side) = socket.side.try_lock() {
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

    /// Everything `socket` took was written (or it failed): if it is
    /// still the connection's, nothing taken waits now. A stale socket (an
    /// aborted writer's, or a replaced connection's) says nothing of the
    /// current one's batch.
    fn wrote(&self, socket: &Arc<Socket>) {
        if self.lock().holds(socket) {
            self.writing.store(false, Ordering::Release);
            self.written.notify_waiters();
        }
    }

    /// Resolves once everything queued so far has been written.
    pub(crate) async fn drained(&self) {
        loop {
            let written = self.written.notified();
            if self.lock().bytes.is_empty() && !self.writing.load(Ordering::Acquire) {
                return;
            }
            written.await;
        }
    }

    /// Drops whatever waits, and the socket (the connection it was for is
    /// gone).
    pub(crate) fn clear(&self) {
        let mut queue = self.lock();
        queue.bytes.clear();
        queue.frames = 0;
        queue.taken_at = Instant::now();
        queue.socket = None;
    }
}

/// For tests: a socket over an in-memory stream, counting into `traffic`,
/// and the stream's other end.
#[cfg(test)]
pub(crate) fn memory_socket(traffic: Arc<Traffic>) -> (Arc<Socket>, tokio::io::DuplexStream) {
    let (near, far) = tokio::io::duplex(1 << 20);
    let (_read, write) = crate::connection::split_locked(near);
    (Socket::new(write, traffic), far)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox attached to a socket over an in-memory stream.
    fn attached() -> (Outbox, Arc<Socket>) {
        let outbox = Outbox::new(wire::DEFAULT_MAX_FRAME);
        let (socket, _far) = memory_socket(Arc::new(Traffic::default()));
        outbox.attach(socket.clone());
        (outbox, socket)
    }

    /// Which of `count` pings, numbered from 1, found the outbox crowded.
    fn crowded_at(outbox: &Outbox, count: usize) -> Vec<usize> {
        (1..=count)
            .filter(|_| matches!(outbox.push(&Frame::Ping), Ok(Crowded(Some(_)))))
            .collect()
    }

    /// A sender writes what it queued itself at every [`INLINE_FRAMES`]th
    /// frame once the frames have waited [`INLINE_AFTER`] since the last
    /// write, and at every [`INLINE_FRAMES_MOST`]th however fast it
    /// sends; a write starts the count and the wait again.
    #[test]
    fn a_sender_writes_its_frames_once_they_waited_or_at_the_most() {
        let most = INLINE_FRAMES_MOST;
        // A fast sender: no time passes since the last write (a moment in
        // the future reads as none elapsed).
        let (outbox, socket) = attached();
        outbox.lock().taken_at = Instant::now() + Duration::from_secs(3600);
        assert_eq!(crowded_at(&outbox, 2 * most), [most, 2 * most]);

        // A write: the count starts again, and so does the wait.
        let before = Instant::now();
        assert!(
            outbox.take(&socket, &mut BytesMut::new()),
            "a writer took it"
        );
        assert!(outbox.lock().taken_at >= before);
        assert_eq!(outbox.lock().frames, 0);

        // A slow sender: every frame has waited long enough.
        let (outbox, _socket) = attached();
        std::thread::sleep(INLINE_AFTER * 2);
        let every: Vec<usize> = (1..=most / INLINE_FRAMES)
            .map(|n| n * INLINE_FRAMES)
            .collect();
        assert_eq!(crowded_at(&outbox, most), every);
    }
}
