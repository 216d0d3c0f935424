//! The receiving end of a stream: which batches and probes it takes,
//! and what it answers the others with.

use super::MAX_EPOCH_STEP;

/// What the receiving end makes of a batch or a probe.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// In sequence: its frames are delivered (a probe: answered with an
    /// acknowledgement).
    Accept,
    /// Frames already taken, again (a replayed message, or a probe
    /// computed before a batch and published after it): dropped, no
    /// harm done. A probe is answered with an acknowledgement.
    Duplicate,
    /// Of an epoch that ended (or broke) here: dropped, and the sender
    /// told with a reset of that epoch (it may have missed the first),
    /// which names the epoch received here so that its next is above.
    Stale {
        /// The epoch received here.
        current: u32,
    },
    /// Of an epoch too far ahead to be a real sender's: dropped, nothing
    /// changes here, and the sender (if it is real: a forged reset moved
    /// it) told with a reset naming the epoch received here.
    Refused {
        /// The epoch received here.
        current: u32,
    },
    /// Frames before it were lost: the connection is broken, and why.
    Gap(String),
}

impl Arrival {
    /// Whether a batch that arrived so and asks for an acknowledgement
    /// (`ask_ack`) gets one. A duplicate does too: a replay is answered
    /// with what was taken, which tells a real sender nothing new, but a
    /// sender that reused an epoch the receiver remembers (it forgot this
    /// node, and its random start met that epoch) learns at once from an
    /// acknowledgement above what it sent. Never a reset: a replayed
    /// frame must not break a connection.
    pub(crate) fn acknowledged(&self, ask_ack: bool) -> bool {
        ask_ack && matches!(self, Arrival::Accept | Arrival::Duplicate)
    }
}

/// The receiving end of one stream.
#[derive(Debug, Default)]
pub(crate) struct Receiving {
    /// The epoch being received; 0 before the first frame.
    epoch: u32,
    /// The last frame taken in it.
    last: u64,
    /// Whether the epoch broke here: nothing more of it is taken.
    broken: bool,
    /// How many more heartbeats say so again, in case the reset that
    /// said so was lost (an idle sender would learn it only when its next
    /// frame, maybe minutes later, is dropped).
    repeats: u8,
}

/// How many heartbeats after a break its reset is said again.
pub(crate) const RESET_REPEATS: u8 = 5;

impl Receiving {
    /// A batch of `frames` frames starting at `first` in `epoch` arrived.
    pub(crate) fn arrive(&mut self, epoch: u32, first: u64, frames: u64) -> Arrival {
        match self.check(epoch) {
            Arrival::Accept => {}
            other => return other,
        }
        if first <= self.last {
            // A sender never numbers a frame twice: these were taken.
            return Arrival::Duplicate;
        }
        if first == self.last + 1 {
            self.last += frames;
            return Arrival::Accept;
        }
        self.break_epoch();
        Arrival::Gap(format!(
            "frames {}..{first} of epoch {epoch} never arrived",
            self.last + 1
        ))
    }

    /// A probe says the sender has sent up to `sent` in `epoch`: answered
    /// with [`acknowledgement`](Self::acknowledgement) on `Accept` and
    /// `Duplicate`. A probe behind what was taken is harmless: the
    /// heartbeat computes it before the writer publishes a batch, and it
    /// may be published after.
    pub(crate) fn probed(&mut self, epoch: u32, sent: u64) -> Arrival {
        match self.check(epoch) {
            Arrival::Accept => {}
            other => return other,
        }
        match sent.cmp(&self.last) {
            std::cmp::Ordering::Equal => Arrival::Accept,
            std::cmp::Ordering::Less => Arrival::Duplicate,
            std::cmp::Ordering::Greater => {
                self.break_epoch();
                Arrival::Gap(format!(
                    "frames {}..={sent} of epoch {epoch} never arrived",
                    self.last + 1
                ))
            }
        }
    }

    /// Whether `epoch` is the one received (following it if it is a
    /// new one within reach).
    fn check(&mut self, epoch: u32) -> Arrival {
        if epoch < self.epoch || (epoch == self.epoch && self.broken) {
            return Arrival::Stale {
                current: self.epoch,
            };
        }
        if epoch > self.epoch.saturating_add(MAX_EPOCH_STEP) {
            return Arrival::Refused {
                current: self.epoch,
            };
        }
        if epoch > self.epoch {
            // A new epoch: the sender started over after a break.
            self.epoch = epoch;
            self.last = 0;
            self.broken = false;
            self.repeats = 0;
        }
        Arrival::Accept
    }

    /// What to acknowledge: every frame up to the last taken.
    pub(crate) fn acknowledgement(&self) -> (u32, u64) {
        (self.epoch, self.last)
    }

    /// The connection broke: nothing more of this epoch is taken.
    pub(crate) fn break_epoch(&mut self) {
        self.broken = true;
        self.repeats = RESET_REPEATS;
    }

    /// The heartbeat's check: the epoch whose reset to say again, while
    /// the epoch received is broken and no new one came (at most
    /// [`RESET_REPEATS`] times per break). A sender that has left that
    /// epoch ignores it.
    pub(crate) fn reset_due(&mut self) -> Option<u32> {
        if !self.broken || self.epoch == 0 || self.repeats == 0 {
            return None;
        }
        self.repeats -= 1;
        Some(self.epoch)
    }
}
