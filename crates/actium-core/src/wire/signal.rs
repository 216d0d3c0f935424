//! [`RemoteSignal`]: a link, monitor or exit signal that crosses nodes.

use crate::base::{ActorId, ActorLabel, ExitReason};

/// A link, monitor or exit signal between an actor here and one on another
/// node. Labels name the sender; ids the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub enum RemoteSignal {
    /// `from` links itself to `to`.
    Link {
        /// The actor that links.
        from: ActorLabel,
        /// The actor linked to.
        to: ActorId,
    },
    /// `from` removes its link with `to`.
    Unlink {
        /// The actor that unlinks.
        from: ActorId,
        /// The actor it was linked to.
        to: ActorId,
    },
    /// An exit signal: `from` exited while linked to `to` (`linked`), or
    /// sent `to` an exit signal explicitly (Erlang's `exit/2`).
    Exit {
        /// The actor whose exit (or signal) this is.
        from: ActorLabel,
        /// The actor that receives it.
        to: ActorId,
        /// The exit reason.
        reason: ExitReason,
        /// Whether it travels along a link (which it also removes).
        linked: bool,
    },
    /// `watcher` starts monitoring `target`; `monitor` is the watcher's id
    /// for this monitor.
    Monitor {
        /// The watching actor.
        watcher: ActorLabel,
        /// The watched actor.
        target: ActorId,
        /// The monitor's id, unique on the watcher's node.
        monitor: u64,
    },
    /// A monitor is cancelled.
    Demonitor {
        /// The watching actor.
        watcher: ActorId,
        /// The watched actor.
        target: ActorId,
        /// The monitor's id on the watcher's node.
        monitor: u64,
    },
    /// A monitored actor exited.
    Down {
        /// The watching actor.
        watcher: ActorId,
        /// The monitor's id on the watcher's node.
        monitor: u64,
        /// The actor that exited.
        actor: ActorLabel,
        /// Why.
        reason: ExitReason,
    },
    /// Asks `to` to stop after its current message (`ActorRef::stop`).
    Stop {
        /// The actor to stop.
        to: ActorId,
    },
    /// Kills `to` (`ActorRef::kill`).
    Kill {
        /// The actor to kill.
        to: ActorId,
    },
}

impl RemoteSignal {
    /// The actor on the receiving node that this signal is for.
    pub fn receiver(&self) -> ActorId {
        match self {
            RemoteSignal::Link { to, .. }
            | RemoteSignal::Unlink { to, .. }
            | RemoteSignal::Exit { to, .. }
            | RemoteSignal::Stop { to }
            | RemoteSignal::Kill { to } => *to,
            RemoteSignal::Monitor { target, .. } | RemoteSignal::Demonitor { target, .. } => {
                *target
            }
            RemoteSignal::Down { watcher, .. } => *watcher,
        }
    }
}
