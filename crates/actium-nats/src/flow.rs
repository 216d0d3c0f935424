//! The stream of frames from one node to another: sequence numbers, so
//! that a lost NATS message is seen rather than silently skipped, and
//! credit, so that a sender never has more unacknowledged frames in
//! flight to a receiver than the window allows.
//!
//! NATS core drops messages where a subscriber cannot keep up (the
//! client's subscription buffer, the server's pending limit) and says so
//! only to the subscriber. Each ordered pair of nodes therefore keeps a
//! stream, as a TCP connection would: the sender numbers its frames
//! 1, 2, 3… within an *epoch*, packs those waiting into batches (one NATS
//! message each), and publishes a batch only while the frames in flight
//! stay within its [`Window`]; the receiver accepts a batch only if it
//! starts right after the last frame it took, and acknowledges what it
//! took (cumulatively) when the sender asks for it. A gap is a broken
//! connection: both ends drop the epoch and start the next from 1.
//!
//! This module is the bookkeeping only — no locks, no I/O — so that it
//! can be tested alone; `peer` holds one [`Sending`] and one
//! [`Receiving`] per other node, and `tasks` publishes the batches.

use std::collections::VecDeque;

use actium_core::NodeId;
use actium_remote::protocol::Frame;
use bytes::BytesMut;

use crate::envelope;

/// How much one node may have in flight to another, unacknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Frames (calls, replies, signals) in flight.
    pub(crate) frames: u64,
    /// Bytes of batches in flight.
    pub(crate) bytes: usize,
}

/// The default window: 16,384 frames or 4 MiB. A quarter of the default
/// subscription capacity (65,536 messages), so that four senders at full
/// window cannot overflow a receiver that reads, and with acknowledgements
/// every 4,096 frames, far more than one pair needs to pass a million
/// small calls a second with a round trip of a few milliseconds.
pub(crate) const DEFAULT_WINDOW: Window = Window {
    frames: 16_384,
    bytes: 4 * 1024 * 1024,
};

/// The most bytes one batch gathers before the next starts (it may be
/// smaller: a quarter of the window, the largest message).
const BATCH_BYTES: usize = 64 * 1024;

/// What every stream of a node shares: who sends, the window, the size
/// limits.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) from: NodeId,
    pub(crate) window: Window,
    /// The largest NATS message, header and tag included.
    pub(crate) max_message: usize,
    /// Whether messages end with the cluster secret's tag.
    pub(crate) sealed: bool,
}

impl Limits {
    fn tag(&self) -> usize {
        if self.sealed { envelope::TAG } else { 0 }
    }

    /// The most frames in one batch: a quarter of the window, so that
    /// the next batch can go while the receiver acknowledges one.
    fn batch_frames(&self) -> u64 {
        (self.window.frames / 4).max(1)
    }

    fn batch_bytes(&self) -> usize {
        BATCH_BYTES
            .min(self.window.bytes / 4)
            .min(self.max_message)
            .max(1)
    }
}

/// One batch in the buffer: a header, frames, and (sealed, once closed)
/// room for the tag.
#[derive(Debug, Clone, Copy)]
struct Segment {
    len: usize,
    frames: u64,
    closed: bool,
}

/// What [`Sending::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pushed {
    /// Bytes the outbox grew by.
    pub(crate) grew: usize,
    /// The stream was idle: the writer must be told (with this
    /// generation) to come for it.
    pub(crate) wake: Option<u64>,
}

/// A batch taken for publishing, to finish (number and seal) outside the
/// stream's lock.
pub(crate) struct Batch {
    bytes: BytesMut,
    first: u64,
    ask_ack: bool,
    /// The bytes it took out of the outbox's count.
    pub(crate) counted: usize,
    /// More batches wait behind this one and the window allows them: the
    /// writer should come back.
    pub(crate) more: bool,
}

impl Batch {
    /// The message to publish to `subject`.
    pub(crate) fn finish(mut self, seal: &envelope::Seal, subject: &str) -> bytes::Bytes {
        envelope::finish_batch(&mut self.bytes, self.first, self.ask_ack, seal, subject);
        self.bytes.freeze()
    }
}

/// The sending end of one stream.
#[derive(Debug, Default)]
pub(crate) struct Sending {
    /// This stream's epoch.
    epoch: u32,
    /// The epoch it started at.
    start: u32,
    /// The sequence number of the last frame published.
    sent: u64,
    /// The last frame the receiver acknowledged.
    acked: u64,
    /// Frames and bytes published since a batch last asked for an
    /// acknowledgement.
    unrequested: (u64, usize),
    /// Encoded batches waiting, in order (the last one open).
    buffer: BytesMut,
    segments: VecDeque<Segment>,
    /// Published batches not yet acknowledged: (last sequence number,
    /// bytes).
    in_flight: VecDeque<(u64, usize)>,
    in_flight_bytes: usize,
    /// Whether the writer has been told to come for this stream.
    scheduled: bool,
    /// Whether the window is full with batches waiting: an
    /// acknowledgement, not a push, tells the writer to come again.
    blocked: bool,
    /// Bumped with each epoch: what the writer was told before is stale.
    generation: u64,
    /// Whether an acknowledgement arrived since the last probe check.
    progress: bool,
    /// The last frame a published batch asked to have acknowledged.
    requested: u64,
    /// The window closed with no acknowledgement on its way: the writer
    /// sends a probe (a request for credit) at once rather than at the
    /// next heartbeat.
    wants_credit: bool,
    /// A frame that moves to the next batch, copied once.
    scratch: Vec<u8>,
}

impl Sending {
    /// A stream to a node this one never sent to: epoch 1.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Sending::resume(1)
    }

    /// A stream that starts at `epoch`: the next epoch of a stream to the
    /// same node that this node forgot (see
    /// [`Departed`](crate::departed::Departed)), so that the
    /// receiver, which may still remember that stream, takes it as new.
    pub(crate) fn resume(epoch: u32) -> Self {
        let epoch = epoch.max(1);
        Sending {
            epoch,
            start: epoch,
            ..Sending::default()
        }
    }

    /// The epoch to remember for a stream that replaces this one (see
    /// [`next_epoch`](Self::next_epoch)), unless the receiver cannot know
    /// of this stream: it never left the epoch it started at and
    /// published nothing in it (no slot of the memory is spent on it).
    pub(crate) fn epoch_to_remember(&self) -> Option<u32> {
        (self.sent > 0 || self.epoch != self.start).then(|| self.next_epoch())
    }

    /// The epoch a stream that replaces this one must start at: this one
    /// if nothing was published in it, else the next.
    pub(crate) fn next_epoch(&self) -> u32 {
        if self.sent == 0 {
            self.epoch
        } else {
            self.epoch.saturating_add(1)
        }
    }

    /// Whether an acknowledgement of `seq` in `epoch` says that the
    /// receiver took more of this epoch than was published in it: it
    /// remembers an earlier stream of the same epoch (this node forgot
    /// the receiver, and started over), and drops everything of this one
    /// as taken already. A genuine acknowledgement of this stream is
    /// never above what it published, so a replay (of a stream that never
    /// reused an epoch) cannot say so; only a forger (a cluster without a
    /// secret) can, and it can break a connection in simpler ways.
    pub(crate) fn acks_beyond(&self, epoch: u32, seq: u64) -> bool {
        epoch == self.epoch && seq > self.sent
    }

    /// Bytes waiting in the outbox.
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Whether nothing waits and nothing is unacknowledged.
    pub(crate) fn is_idle(&self) -> bool {
        self.segments.is_empty() && self.sent == self.acked
    }

    fn open(&self) -> Option<&Segment> {
        self.segments.back().filter(|segment| !segment.closed)
    }

    fn begin(&mut self, limits: &Limits) {
        let room = limits.batch_bytes() + envelope::TAG + envelope::BATCH_HEADER;
        if self.buffer.capacity() - self.buffer.len() < room {
            self.buffer.reserve(room);
        }
        envelope::begin_batch(&mut self.buffer, limits.from, limits.sealed, self.epoch);
        self.segments.push_back(Segment {
            len: envelope::BATCH_HEADER,
            frames: 0,
            closed: false,
        });
    }

    fn close_open(&mut self, limits: &Limits) {
        let tag = limits.tag();
        if let Some(segment) = self.segments.back_mut().filter(|segment| !segment.closed) {
            self.buffer.resize(self.buffer.len() + tag, 0);
            segment.len += tag;
            segment.closed = true;
        }
    }

    /// Encodes `frame` into the outbox, at the end of the open batch or
    /// of a new one.
    ///
    /// # Errors
    ///
    /// The reason, if the frame does not encode or is too large for one
    /// message; the outbox is then as it was.
    pub(crate) fn push(&mut self, frame: &Frame<'_>, limits: &Limits) -> Result<Pushed, String> {
        let before = self.buffer.len();
        let began = self.open().is_none();
        if began {
            self.begin(limits);
        }
        let at = self.buffer.len();
        let undo = |sending: &mut Sending| {
            sending.buffer.truncate(if began { before } else { at });
            if began {
                sending.segments.pop_back();
            }
        };
        if let Err(reason) = envelope::append_frame(&mut self.buffer, frame) {
            undo(self);
            return Err(reason);
        }
        let size = self.buffer.len() - at;
        let alone = envelope::BATCH_HEADER + size + limits.tag();
        if alone > limits.max_message {
            undo(self);
            return Err(format!(
                "the message is {alone} bytes encoded, more than the largest frame allowed ({})",
                limits.max_message
            ));
        }
        let fits = self.open().is_some_and(|open| {
            open.frames == 0
                || (open.frames < limits.batch_frames()
                    && open.len + size + limits.tag() <= limits.batch_bytes())
        });
        if !fits {
            // The frame starts the next batch: it moves behind a new header.
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.buffer[at..]);
            self.buffer.truncate(at);
            self.close_open(limits);
            self.begin(limits);
            self.buffer.extend_from_slice(&self.scratch);
        }
        if let Some(open) = self.segments.back_mut() {
            open.len += size;
            open.frames += 1;
        }
        let wake = (!self.scheduled && !self.blocked).then_some(self.generation);
        self.scheduled |= wake.is_some();
        Ok(Pushed {
            grew: self.buffer.len() - before,
            wake,
        })
    }

    /// Takes the next batch to publish — unless the writer's `generation`
    /// is stale, nothing waits, or the window is full (`generation` none:
    /// the node is leaving, and publishes what it has regardless). Returns
    /// `None` with the stream no longer scheduled in the last two cases: a
    /// push or an acknowledgement schedules it again.
    pub(crate) fn take(&mut self, generation: Option<u64>, limits: &Limits) -> Option<Batch> {
        if generation.is_some_and(|generation| generation != self.generation) {
            return None;
        }
        let Some(&next) = self.segments.front() else {
            self.scheduled = false;
            return None;
        };
        let in_flight = self.sent - self.acked;
        let window = limits.window;
        let full = in_flight > 0
            && (in_flight + next.frames > window.frames
                || self.in_flight_bytes + next.len + limits.tag() > window.bytes);
        if full && generation.is_some() {
            self.scheduled = false;
            self.blocked = true;
            // No batch in flight asked for the acknowledgement that would
            // open the window (the waiting batch grew after the last one
            // went): ask now, not a heartbeat later.
            self.wants_credit |= self.requested <= self.acked;
            return None;
        }
        let before = self.buffer.len();
        if self.segments.len() == 1 {
            self.close_open(limits);
        }
        let added = self.buffer.len() - before;
        let segment = self.segments.pop_front()?;
        let bytes = self.buffer.split_to(segment.len);
        let first = self.sent + 1;
        self.sent += segment.frames;
        self.unrequested.0 += segment.frames;
        self.unrequested.1 += segment.len;
        self.in_flight.push_back((self.sent, segment.len));
        self.in_flight_bytes += segment.len;
        // Ask for an acknowledgement every quarter window, so that credit
        // comes back long before the window closes, and whenever the next
        // batch waits for credit.
        let blocks = self.segments.front().is_some_and(|next| {
            self.sent - self.acked + next.frames > window.frames
                || self.in_flight_bytes + next.len + limits.tag() > window.bytes
        });
        let ask_ack = blocks
            || self.unrequested.0 >= limits.batch_frames()
            || self.unrequested.1 >= (window.bytes / 4).max(1);
        if ask_ack {
            self.unrequested = (0, 0);
            self.requested = self.sent;
        }
        let more = !self.segments.is_empty();
        if !more {
            self.scheduled = false;
        }
        Some(Batch {
            bytes,
            first,
            ask_ack,
            counted: segment.len - added,
            more,
        })
    }

    /// The receiver acknowledged every frame up to `seq` of `epoch`.
    /// Returns the generation to tell the writer, if frames were waiting
    /// for this credit.
    pub(crate) fn acked(&mut self, epoch: u32, seq: u64) -> Option<u64> {
        if epoch != self.epoch || seq <= self.acked || seq > self.sent {
            return None; // of an older epoch, a duplicate, or bogus
        }
        self.acked = seq;
        self.progress = true;
        self.blocked = false;
        while let Some(&(last, bytes)) = self.in_flight.front() {
            if last > seq {
                break;
            }
            self.in_flight.pop_front();
            self.in_flight_bytes -= bytes;
        }
        if self.scheduled || self.segments.is_empty() {
            return None;
        }
        self.scheduled = true;
        Some(self.generation)
    }

    /// The heartbeat's check: the epoch and last frame sent, if frames
    /// are unacknowledged and no acknowledgement came since the last
    /// check (lost at the tail, or the acknowledgement lost): the
    /// receiver answers a probe with an acknowledgement, or finds the gap.
    pub(crate) fn probe(&mut self) -> Option<(u32, u64)> {
        let due = self.sent > self.acked && !self.progress;
        self.progress = false;
        due.then_some((self.epoch, self.sent))
    }

    /// The probe to send at once because the window closed with no
    /// acknowledgement asked for (once per closing): epoch and last frame
    /// sent.
    pub(crate) fn credit_request(&mut self) -> Option<(u32, u64)> {
        std::mem::take(&mut self.wants_credit).then_some((self.epoch, self.sent))
    }

    /// The current epoch.
    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Ends the epoch (the connection broke): what waits is dropped, and
    /// the next frame is the first of the next epoch. Returns the bytes
    /// and frames dropped.
    pub(crate) fn reset(&mut self) -> (usize, u64) {
        self.reset_above(0)
    }

    /// As [`reset`](Self::reset), with the next epoch above `receiver`
    /// too: the epoch the receiver is at (it refused this one as older
    /// than its own). An epoch in which nothing was published is kept:
    /// the receiver has seen none of it, so it is as new as the next,
    /// and epochs are not spent by a node that is down for long.
    ///
    /// A `receiver` more than [`MAX_EPOCH_STEP`] below this epoch means
    /// the receiver refused this epoch as too far ahead of its own (a
    /// forged reset of a cluster without a secret moved this node there):
    /// the stream starts over just above the receiver's epoch, which only
    /// grows, so the next is new to it. A forged reset therefore costs at
    /// most two broken connections and wedges nothing, however far ahead
    /// it points, and a receiver moved far ahead by a forged batch is
    /// followed in one step.
    pub(crate) fn reset_above(&mut self, receiver: u32) -> (usize, u64) {
        let dropped = (
            self.buffer.len(),
            self.segments.iter().map(|segment| segment.frames).sum(),
        );
        let above = receiver.saturating_add(1);
        let epoch = if receiver.saturating_add(MAX_EPOCH_STEP) < self.epoch {
            above
        } else {
            self.next_epoch().max(above)
        };
        *self = Sending {
            epoch,
            start: self.start,
            generation: self.generation + 1,
            buffer: std::mem::take(&mut self.buffer),
            ..Sending::default()
        };
        self.buffer.clear();
        dropped
    }
}

/// How far ahead of the epoch it receives a receiver follows a sender's
/// new epoch. A sender moves one epoch per broken connection in which it
/// published something, so it is never this far ahead; an epoch beyond
/// is forged (a client of an open cluster) and refused, so that it
/// cannot make every real epoch look stale.
pub(crate) const MAX_EPOCH_STEP: u32 = 1 << 16;

mod receiving;

#[cfg(test)]
use receiving::RESET_REPEATS;
pub(crate) use receiving::{Arrival, Receiving};

#[cfg(test)]
mod tests;
