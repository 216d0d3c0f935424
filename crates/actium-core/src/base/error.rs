//! The one error type of Actium's runtime.
//!
//! Every call can fail for reasons that have nothing to do with the method
//! itself: the actor stopped, the deadline passed, the method panicked. Those
//! are [`Error`]s. A method that returns its own `Result<T, E>` hands that
//! value to the caller untouched, so a request-reply to it yields
//! `Result<Result<T, E>, Error>`: the outer layer says whether the call got
//! through, the inner one is the method's answer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::base::ActorLabel;

/// A `Result` whose error defaults to Actium's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call to an actor, or a runtime operation, did not succeed.
///
/// A [`std::io::Error`] converts into [`Error::Io`], and a trace
/// recording's start error into [`Error::AlreadyRecording`], so `?` on
/// them works in code returning [`actium::Result`](Result), such as the
/// future given to [`launch`](crate::launch). For other libraries'
/// errors, return `Box<dyn std::error::Error + Send + Sync>`, into which
/// every `Error` converts; [`launch`](crate::launch) shows how.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The actor had stopped, or stopped before it answered.
    ///
    /// Requests still queued when an actor stops are answered with this
    /// error, never left hanging.
    #[error("{actor} has stopped, so `{method}` was not answered")]
    ActorStopped {
        /// The actor that was called.
        actor: ActorLabel,
        /// The method that was called.
        method: &'static str,
    },

    /// No answer came within the call's deadline.
    ///
    /// The request may still run later; its answer is then discarded.
    #[error("{actor} did not answer `{method}` within {timeout:?}")]
    Timeout {
        /// The actor that was called.
        actor: ActorLabel,
        /// The method that was called.
        method: &'static str,
        /// The deadline that passed.
        timeout: Duration,
    },

    /// The method panicked while handling this call.
    ///
    /// The message appears once here, once in the warning Actium logs
    /// (with the actor and the method), and once in the exit reason if
    /// the actor stops ([`ExitReason::Panicked`](crate::ExitReason::Panicked)).
    /// Rust's default panic hook also prints it where the panic happened,
    /// with the file and line; a program that wants only Actium's lines
    /// installs its own hook (`std::panic::set_hook`).
    #[error("`{method}` on {actor} panicked: {message}")]
    Panicked {
        /// The actor whose method panicked.
        actor: ActorLabel,
        /// The method that panicked.
        method: &'static str,
        /// The panic message.
        message: String,
    },

    /// The call would wait on an actor that is itself waiting, directly or
    /// through others, for the caller: it could never be answered.
    #[error("deadlock: `{method}` would close the cycle {cycle}")]
    Deadlock {
        /// The actors in the cycle, starting and ending with the one called.
        cycle: Cycle,
        /// The method whose call would have closed the cycle.
        method: &'static str,
    },

    /// The actor's bounded mailbox had no room for the message.
    #[error("the mailbox of {actor} is full ({capacity} messages), so `{method}` was not sent")]
    MailboxFull {
        /// The actor that was called.
        actor: ActorLabel,
        /// The method that was called.
        method: &'static str,
        /// The mailbox's capacity.
        capacity: usize,
    },

    /// Another actor already holds this name.
    #[error("the name `{name}` is already registered to {holder}")]
    NameTaken {
        /// The name.
        name: String,
        /// The actor holding it.
        holder: ActorLabel,
    },

    /// The actor already has a name; an actor has one at most (as in
    /// Erlang). Unregister it first to rename it.
    #[error("{actor} is already registered as `{name}`; an actor has one name at most")]
    AlreadyNamed {
        /// The actor.
        actor: ActorLabel,
        /// The name it holds.
        name: String,
    },

    /// No actor is registered under this name.
    #[error("no actor is registered as `{name}`")]
    NotRegistered {
        /// The name looked up.
        name: String,
    },

    /// The actor registered under this name is of another type.
    #[error("`{name}` is a {found}, not a {expected}")]
    WrongType {
        /// The name looked up.
        name: String,
        /// The type asked for.
        expected: &'static str,
        /// The type registered.
        found: &'static str,
    },

    /// Names are non-empty and contain no `/` (which separates a node's
    /// address from a name in URLs).
    #[error("`{name}` is not a valid actor name: names are non-empty and contain no `/`")]
    InvalidName {
        /// The rejected name.
        name: String,
    },

    /// Fewer members of a group answered successfully than the call needed.
    #[error(
        "only {succeeded} of the {needed} successful answers needed arrived; {} members failed",
        failures.len()
    )]
    NotEnoughReplies {
        /// How many successes the call needed.
        needed: usize,
        /// How many arrived.
        succeeded: usize,
        /// Why the other members failed.
        failures: Vec<Error>,
    },

    /// No matching message arrived in a mailbox actor's `recv` within its
    /// deadline.
    #[error("no matching message arrived within {timeout:?}")]
    RecvTimeout {
        /// The deadline that passed.
        timeout: Duration,
    },

    /// A supervisor has no running child of that name.
    #[error("the supervisor has no running child named `{name}`")]
    NoSuchChild {
        /// The name asked for.
        name: String,
    },

    /// A supervisor's child runs, so it cannot be restarted or deleted by
    /// hand (OTP's `{error, running}`).
    #[error("the supervisor's child `{name}` is running; terminate it first")]
    ChildRunning {
        /// The child's name.
        name: String,
    },

    /// A supervisor's child ended before it got past its `on_start`.
    #[error("the supervisor's child `{name}` failed to start: {reason}")]
    ChildStart {
        /// The child's name.
        name: String,
        /// Why it ended.
        reason: crate::base::ExitReason,
    },

    /// The node hosting the actor could not be reached, or the connection
    /// to it was lost before the call was answered. Calls fail this way
    /// at once while the node stays unreachable.
    #[error("node {node} is unreachable ({reason})")]
    NodeDown {
        /// The node's address, such as `tcp://127.0.0.1:4000`.
        node: String,
        /// What happened: refused, closed, heartbeat lost, rejected.
        reason: String,
    },

    /// The actor has no exported method of this name: a peer built from
    /// other code called it.
    #[error("{actor} has no method `{method}` (is the other node running the same version?)")]
    UnknownMethod {
        /// The actor that was called.
        actor: ActorLabel,
        /// The method name that was asked for.
        method: String,
    },

    /// A call's arguments or result could not be encoded for, or decoded
    /// from, the wire.
    #[error("`{method}` of {actor_type} could not cross nodes: {message}")]
    Codec {
        /// The type of the actor called.
        actor_type: String,
        /// The method.
        method: String,
        /// What went wrong.
        message: String,
    },

    /// The actor's type was not declared `#[actor(remote)]`, so its calls
    /// cannot cross nodes.
    #[error(
        "{actor_type} cannot be called from another node: declare its impl `#[actor(remote)]` \
         (and enable actium's `remote` feature)"
    )]
    NotRemote {
        /// The actor's type.
        actor_type: &'static str,
    },

    /// An address is not of the form `tcp://host:port` (or
    /// `tcp://host:port/name` where a name is expected).
    #[error("`{address}` is not a valid node address: {reason}")]
    InvalidAddress {
        /// The rejected address.
        address: String,
        /// Why.
        reason: String,
    },

    /// The node hosting the actor could not deliver the call, for a reason
    /// other than those above.
    #[error("the node hosting {actor} rejected `{method}`: {reason}")]
    Rejected {
        /// The actor that was called.
        actor: ActorLabel,
        /// The method that was called.
        method: &'static str,
        /// Why.
        reason: String,
    },

    /// A node could not start listening.
    #[error("a node could not listen on {address}: {reason}")]
    Listen {
        /// The address it was to listen on.
        address: String,
        /// Why it could not.
        reason: String,
    },

    /// The node does not allow actors of this type to be spawned there.
    #[error(
        "node {node} does not allow spawning a {actor_type}; it must call `allow_spawn::<{actor_type}>()`"
    )]
    NotSpawnable {
        /// The node asked.
        node: String,
        /// The type asked for.
        actor_type: String,
    },

    /// No Actium system runs on this thread.
    #[error(
        "no Actium system is running on this thread: call this inside `actium::launch`, \
         `actium::serve_forever`, an actor, or after `System::enter`"
    )]
    NoSystem,

    /// Work handed to [`blocking`](crate::blocking) panicked.
    #[error("blocking work panicked: {message}")]
    BlockingPanicked {
        /// The panic message.
        message: String,
    },

    /// The system is shutting down and no longer runs new work.
    #[error("the Actium system is shutting down")]
    ShuttingDown,

    /// The runtime could not start (threads could not be created).
    #[error("the Actium runtime could not start: {0}")]
    Startup(Arc<std::io::Error>),

    /// An I/O operation of the program failed: reading a file, opening a
    /// trace sink. Actium itself returns it nowhere; it exists so that `?`
    /// on a [`std::io::Error`] works in a function returning
    /// [`actium::Result`](Result), such as the future given to
    /// [`launch`](crate::launch):
    ///
    /// ```
    /// # use actium::prelude::*;
    /// let missing = actium::launch(Mode::Tasks, async {
    ///     let text = std::fs::read_to_string("/no/such/file")?;
    ///     Ok::<_, actium::Error>(text)
    /// });
    /// assert!(matches!(missing, Err(actium::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound));
    /// ```
    ///
    /// Errors of other libraries need a conversion of their own: make
    /// `main` return `Box<dyn std::error::Error + Send + Sync>` (or
    /// `anyhow::Result`) instead, which every error converts into,
    /// Actium's included (see [`launch`](crate::launch)).
    #[error("I/O failed: {0}")]
    Io(Arc<std::io::Error>),

    /// The system already has a recorder (a `Recording` of `actium-trace`
    /// was started on it before); a system keeps its first recorder for
    /// its whole life.
    #[error("this system already has a recorder; a system keeps one recorder for its whole life")]
    AlreadyRecording,

    /// A simulation could not go on: nothing could run and nothing was
    /// due, while the code driving it still waited (for an answer that
    /// can never come, say). `at` is the virtual time it stalled at.
    #[error(
        "the simulation stalled after {at:?} of virtual time: nothing can run and nothing is due, but the main future has not finished"
    )]
    Stalled {
        /// Virtual time since the simulation started.
        at: std::time::Duration,
    },
}

/// `?` on an I/O error in a function returning [`actium::Result`](Result)
/// gives [`Error::Io`].
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::Io(Arc::new(error))
    }
}

/// The actors of a deadlock cycle, in call order.
///
/// Displays as `A#1 → B#2 → A#1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(Vec<ActorLabel>);

impl Cycle {
    pub(crate) fn new(actors: Vec<ActorLabel>) -> Self {
        Cycle(actors)
    }

    /// The actors in call order; the first and last are the same actor.
    pub fn actors(&self) -> &[ActorLabel] {
        &self.0
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, actor) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            write!(f, "{actor}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Whether retrying the same call later could succeed (timeouts and full
    /// mailboxes), as opposed to errors that will repeat.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. } | Error::MailboxFull { .. } | Error::NodeDown { .. }
        )
    }
}

/// Extracts a readable message from a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic payload is not a string".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{ActorId, NodeId};

    fn label(n: u64, name: &'static str) -> ActorLabel {
        ActorLabel::new(ActorId::new(NodeId::from_u64(1), n), name)
    }

    #[test]
    fn messages_name_the_actor_and_method() {
        let e = Error::Timeout {
            actor: label(3, "Counter"),
            method: "get",
            timeout: Duration::from_millis(20),
        };
        assert_eq!(e.to_string(), "Counter#3 did not answer `get` within 20ms");
    }

    #[test]
    fn cycle_lists_actors_in_order() {
        let c = Cycle::new(vec![label(1, "A"), label(2, "B"), label(1, "A")]);
        assert_eq!(c.to_string(), "A#1 → B#2 → A#1");
    }

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let a: Box<dyn std::any::Any + Send> = Box::new("boom");
        let b: Box<dyn std::any::Any + Send> = Box::new(String::from("bang"));
        let c: Box<dyn std::any::Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(&*a), "boom");
        assert_eq!(panic_message(&*b), "bang");
        assert_eq!(panic_message(&*c), "panic payload is not a string");
    }
}
