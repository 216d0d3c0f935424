//! What a mailbox holds: an [`Envelope`] (a message, a recorded message, a
//! signal), why a push was refused ([`Refusal`]), what one take returns
//! ([`Taken`]), and the control flags (`control`).

use crate::base::Signal;
use crate::call::Chain;

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
