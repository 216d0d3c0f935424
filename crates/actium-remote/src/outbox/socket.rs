//! The write side of one connection: the stream, and the batch being
//! written, behind a lock that is only ever tried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;

use crate::connection::Writer;
use crate::node::Traffic;

/// The write side of one connection, shared by its writer task and by
/// senders that write a crowded or idle outbox themselves.
pub(crate) struct Socket {
    /// Only ever tried, never waited for (see
    /// [`Outbox::write_loop`](super::Outbox::write_loop)), so a spin lock
    /// that never spins: one atomic instruction to take it, a plain store
    /// to let it go.
    pub(super) side: spin::mutex::SpinMutex<Side>,
    /// Counts the writers' progress: batches taken, writes accepted. The
    /// heartbeat tells a slow peer (progress) from one that does not read.
    progress: AtomicU64,
    pub(super) traffic: Arc<Traffic>,
}

pub(super) struct Side {
    pub(super) writer: Writer,
    /// Bytes taken from the outbox; those before `sent` are written.
    pub(super) batch: BytesMut,
    pub(super) sent: usize,
}

impl Socket {
    pub(crate) fn new(writer: Writer, traffic: Arc<Traffic>) -> Arc<Self> {
        Arc::new(Socket {
            side: spin::mutex::SpinMutex::new(Side {
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

    /// Counts one step of progress. Only the holder of the socket's lock
    /// (`_held`) counts, so a load and a store do, without an atomic
    /// read-modify-write.
    pub(super) fn advanced(&self, _held: &mut Side) {
        let progress = self.progress.load(Ordering::Relaxed);
        self.progress
            .store(progress.wrapping_add(1), Ordering::Relaxed);
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
