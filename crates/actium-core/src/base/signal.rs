//! Signals: what links and monitors deliver when an actor exits.
//!
//! Erlang's model: a **link** is symmetric and ties two actors' fates — when
//! one exits abnormally, the other is killed with the same reason, unless it
//! *traps exits*, in which case it receives an [`Exit`] instead. A normal
//! exit is delivered only to trapping actors. A **monitor** is one-way and
//! never kills: the watcher receives one [`Down`] when the watched actor
//! exits, whatever the reason.
//!
//! Method actors receive these through their `#[on_exit]` and `#[on_down]`
//! hooks; mailbox actors receive them as messages.

use std::fmt;

use crate::base::{ActorLabel, ExitReason};

/// A linked actor exited; delivered to actors that trap exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The actor that exited.
    pub actor: ActorLabel,
    /// Why it exited.
    pub reason: ExitReason,
}

/// A monitored actor exited; delivered once per monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    /// The monitor that fired.
    pub monitor: MonitorRef,
    /// The actor that exited.
    pub actor: ActorLabel,
    /// Why it exited.
    pub reason: ExitReason,
}

/// Identifies one monitor, to tell several apart or to cancel one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorRef(pub(crate) u64);

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "monitor#{}", self.0)
    }
}

/// A signal queued in a mailbox beside the messages.
#[derive(Debug, Clone)]
pub(crate) enum Signal {
    Exit(Exit),
    Down(Down),
}
