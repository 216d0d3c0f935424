//! Why an actor stopped.

use std::fmt;

/// The reason an actor stopped, as seen by whoever waits for it.
///
/// Follows Erlang's split: [`Normal`](ExitReason::Normal) and
/// [`Stopped`](ExitReason::Stopped) are orderly ends; the others are
/// abnormal (see [`is_abnormal`](ExitReason::is_abnormal)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ExitReason {
    /// The actor ended itself (`ctx.stop()`), or its work was done.
    Normal,
    /// Someone else asked it to stop with `ActorRef::stop`.
    Stopped,
    /// Its system shut down.
    Shutdown,
    /// A method (or a lifecycle hook) panicked and the actor's panic policy
    /// is to stop. The text is the panic's message, followed by where it
    /// happened when that is known (``boom (in `get`)``), and displays as
    /// ``panicked: boom (in `get`)``: the word and the message once each.
    Panicked(String),
    /// It failed with an error, for instance its `on_start` hook returned
    /// `Err`.
    Error(String),
    /// It was killed without running the rest of its current method.
    Killed,
    /// It did not exist when it was linked to or monitored (Erlang's
    /// `noproc`): it had exited already and its reason is no longer known,
    /// or its node never hosted it.
    NoProc,
    /// The connection to its node was lost (Erlang's `noconnection`): it
    /// may still run, but nobody here can reach it any more.
    NoConnection,
}

impl ExitReason {
    /// Whether this is an abnormal exit (panic, error, kill, shutdown), which
    /// Erlang-style links propagate, as opposed to an orderly stop.
    pub fn is_abnormal(&self) -> bool {
        !matches!(self, ExitReason::Normal | ExitReason::Stopped)
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Stopped => f.write_str("stopped"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::Panicked(m) => write!(f, "panicked: {m}"),
            ExitReason::Error(m) => write!(f, "error: {m}"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::NoProc => f.write_str("noproc"),
            ExitReason::NoConnection => f.write_str("noconnection"),
        }
    }
}
