//! The bytes waiting to go to one peer.
//!
//! Senders encode their frame straight into a shared buffer under a short
//! lock; the connection's writer task swaps the whole buffer out and writes
//! it with one system call. Under load many frames go out per write
//! (batching without a timer); when idle, each frame goes out at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::BytesMut;
use serde::Serialize;
use tokio::sync::Notify;

use crate::wire::{self, WriteError};

/// How many bytes may wait for a peer before sends are refused: a peer
/// that does not read must not exhaust this node's memory.
pub(crate) const MAX_QUEUED: usize = 256 * 1024 * 1024;

pub(crate) struct Outbox {
    buffer: Mutex<BytesMut>,
    ready: Notify,
    /// Set while the writer holds bytes it took but has not written.
    writing: AtomicBool,
    /// Notified when the writer finishes a batch.
    written: Notify,
    max_frame: usize,
}

/// Why a frame was not queued.
pub(crate) enum Refused {
    Frame(WriteError),
    Overloaded,
}

impl Outbox {
    pub(crate) fn new(max_frame: usize) -> Self {
        Outbox {
            buffer: Mutex::new(BytesMut::new()),
            ready: Notify::new(),
            writing: AtomicBool::new(false),
            written: Notify::new(),
            max_frame,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BytesMut> {
        // Only buffer operations run under this lock.
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one frame and wakes the writer if it was idle.
    pub(crate) fn push<T: Serialize>(&self, message: &T) -> Result<(), Refused> {
        let was_empty = {
            let mut buffer = self.lock();
            if buffer.len() >= MAX_QUEUED {
                return Err(Refused::Overloaded);
            }
            let was_empty = buffer.is_empty();
            wire::write_frame(&mut buffer, message, self.max_frame).map_err(Refused::Frame)?;
            was_empty
        };
        if was_empty {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Waits for queued bytes and swaps them into `batch` (which must be
    /// empty; its capacity is reused).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes are moved only when it resolves.
    pub(crate) async fn take(&self, batch: &mut BytesMut) {
        debug_assert!(batch.is_empty());
        loop {
            {
                let mut buffer = self.lock();
                if !buffer.is_empty() {
                    std::mem::swap(&mut *buffer, batch);
                    self.writing.store(true, Ordering::Release);
                    return;
                }
            }
            self.ready.notified().await;
        }
    }

    /// Whether the writer holds a batch it has not finished writing.
    pub(crate) fn is_writing(&self) -> bool {
        self.writing.load(Ordering::Acquire)
    }

    /// The writer wrote the batch it took.
    pub(crate) fn wrote(&self) {
        self.writing.store(false, Ordering::Release);
        self.written.notify_waiters();
    }

    /// Resolves once everything queued so far has been written.
    pub(crate) async fn drained(&self) {
        loop {
            let written = self.written.notified();
            if self.lock().is_empty() && !self.writing.load(Ordering::Acquire) {
                return;
            }
            written.await;
        }
    }

    /// Drops whatever waits (the connection it was for is gone).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
