//! The transport seam: what a network layer implements and calls so that
//! references, calls, links and monitors reach actors on other nodes.
//!
//! Applications never use this module; `actium-remote` does. The core
//! knows nothing of sockets: it sees a remote node as a [`Peer`] that
//! carries calls and signals, and the node as a whole as a [`Resolver`]
//! that finds the peer for an address.
//!
//! # Outgoing
//!
//! A reference to an actor on another node holds the actor's label and an
//! `Arc<dyn Peer>`. Calling a method builds the actor's message as for a
//! local call, then the generated codec (`#[actor(remote)]`) turns it into
//! the method's name and its encoded arguments, and the reference hands
//! them to [`Peer::call`]. A request-reply also hands over an [`Answer`]:
//! the peer keeps it until the response comes back, then
//! [`resolves`](Answer::resolve) it, which decodes the value and completes
//! the caller's reply slot. Links, monitors and exit signals that involve
//! a remote actor go out as [`RemoteSignal`]s.
//!
//! # Incoming
//!
//! The network layer hands each call frame to [`deliver`], which finds the
//! local actor by id, decodes the message with the actor's generated
//! codec, and queues it; a request-reply's [`Responder`] is answered when
//! the method returns. Each signal frame goes to [`apply`]. When a
//! connection is lost, [`connection_lost`] fires every link and monitor
//! that crossed it with [`ExitReason::NoConnection`](crate::ExitReason),
//! as Erlang does.

mod answer;
#[cfg(feature = "remote")]
mod bounded;
#[cfg(feature = "remote")]
mod codec;
mod inbound;
mod proxy;
mod relations;
mod watch;

use std::sync::Arc;

pub use answer::{Answer, EncodedCall, Rejection, Respond, Responder, Response};
#[cfg(feature = "remote")]
pub use bounded::DEFAULT_MAX_DECODED;
#[cfg(feature = "remote")]
#[doc(hidden)]
pub use codec::generated;
#[cfg(feature = "remote")]
pub use codec::{decode, decode_in, encode, take_from, with_decode_limit};
pub use inbound::{apply, connection_lost, deliver};
pub(crate) use proxy::RemoteCell;
pub(crate) use relations::RemoteRelations;
pub(crate) use watch::{ExitWatch, watch_exit};

use crate::error::Error;
use crate::exit::ExitReason;
use crate::id::{ActorId, ActorLabel};

/// What a recorded call carries to the other node, so that node's events
/// about it (method start and end, the answer) share the sender's message
/// id and a merged trace links them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct TraceContext {
    /// The message's id, as the sender recorded it.
    pub message: crate::observe::MessageId,
    /// The sending actor, if an actor sent it.
    pub from: Option<ActorLabel>,
}

/// One remote node, as the core sees it: something that carries calls and
/// signals to the actors there. Implemented by the network layer.
pub trait Peer: Send + Sync + 'static {
    /// The node's address, such as `tcp://127.0.0.1:4000`.
    fn address(&self) -> &str;

    /// Whether the connection is up at this moment (for diagnostics).
    fn is_connected(&self) -> bool;

    /// Sends a call to the actor `to` on this node: `method` with its
    /// encoded arguments, and while the sender records, the `trace`
    /// context the other node records its handling under.
    ///
    /// A one-way call has no `answer`. A request-reply hands over its
    /// `answer`; on `Ok` the peer owns it and must resolve it exactly once:
    /// with the node's response, or with [`Answer::fail`] if the connection
    /// is lost first. It may drop answers whose caller gave up
    /// ([`Answer::is_abandoned`]).
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the node is known to be unreachable.
    fn call(
        &self,
        to: ActorId,
        method: &'static str,
        payload: &[u8],
        answer: Option<Answer>,
        trace: Option<TraceContext>,
    ) -> Result<(), Error>;

    /// Sends a link, monitor or exit signal to an actor on this node.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the node is known to be unreachable; the
    /// caller then treats the relation as broken at once.
    fn signal(&self, signal: RemoteSignal) -> Result<(), Error>;
}

/// The network layer of one system (its node): what the core asks when a
/// reference crosses the wire.
pub trait Resolver: Send + Sync + 'static {
    /// The address this node is reached at, such as `tcp://127.0.0.1:4000`;
    /// references to local actors are sent with it.
    fn address(&self) -> &str;

    /// The peer for the node at `address`, connecting lazily.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] if `address` cannot be a node's address.
    fn peer(&self, address: &str) -> Result<Arc<dyn Peer>, Error>;
}

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

/// Makes `resolver` the network layer of `system`: references to its
/// actors can then be sent to other nodes, and references received resolve
/// to peers through it.
///
/// # Errors
///
/// [`Error::Listen`] if a network layer is attached already: a system is
/// one node.
pub fn attach(system: &crate::SystemHandle, resolver: Arc<dyn Resolver>) -> Result<(), Error> {
    if system.shared().attach_transport(resolver) {
        Ok(())
    } else {
        Err(Error::Listen {
            address: system
                .shared()
                .transport()
                .map_or_else(String::new, |node| node.address().to_owned()),
            reason: "a node already runs on this system".to_owned(),
        })
    }
}

/// Whether a network layer is attached to `system`.
pub fn is_attached(system: &crate::SystemHandle) -> bool {
    system.shared().transport().is_some()
}

/// A reference to the remote actor `label`, reached through `peer`, made
/// in `system` (a look-up's or a remote spawn's result).
pub fn remote_ref<A: crate::Actor>(
    system: &crate::SystemHandle,
    label: ActorLabel,
    peer: Arc<dyn Peer>,
) -> crate::ActorRef<A> {
    crate::ActorRef::from_remote(label, peer, system.shared().clone())
}

/// Whether any link or monitor crosses between `system` and the node
/// `node`: a network layer keeps the connection to such a node, however
/// idle.
pub fn has_relations(system: &crate::SystemHandle, node: crate::id::NodeId) -> bool {
    system.shared().remote_relations.involves(node)
}

/// Detaches the network layer of `system` (its node shut down).
pub fn detach(system: &crate::SystemHandle) {
    system.shared().set_transport(None);
}

/// A type name read from the wire, as the `&'static str` labels hold.
///
/// Each distinct name is stored once for the life of the process. A peer
/// could send endless distinct names, so past a bound further ones read as
/// `"?"`.
pub fn intern_type_name(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock, PoisonError};
    const MAX_NAMES: usize = 4096;
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    if names.len() >= MAX_NAMES || name.len() > 256 {
        return "?";
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Runs `encode` with this thread's reusable buffer, emptied: encoding a
/// call allocates nothing once the buffer has grown to fit.
pub(crate) fn with_scratch<T>(encode: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    use std::cell::RefCell;
    thread_local! {
        static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    // Taken out rather than borrowed, so that an encoding that somehow
    // encodes again on this thread gets a fresh buffer instead of a panic.
    let mut buffer = SCRATCH.with_borrow_mut(std::mem::take);
    buffer.clear();
    let result = encode(&mut buffer);
    if buffer.capacity() <= 64 * 1024 {
        SCRATCH.with_borrow_mut(|scratch| *scratch = buffer);
    }
    result
}
