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
//! that crossed it with [`ExitReason::NoConnection`](crate::base::ExitReason),
//! as Erlang does.

#[cfg(feature = "remote")]
mod bounded;
#[cfg(feature = "remote")]
mod codec;
mod flight;
#[cfg(feature = "remote")]
#[doc(hidden)]
pub mod generated;
mod inbound;

use std::sync::Arc;

pub use crate::wire::{
    Answer, EncodedCall, OutgoingCall, Peer, Rejection, RemoteSignal, Resolver, Respond, Responder,
    Response, TraceContext,
};
#[cfg(feature = "remote")]
pub use bounded::DEFAULT_MAX_DECODED;
#[cfg(feature = "remote")]
pub use codec::{Output, as_bytes, decode, decode_in, encode, take_from, with_decode_limit};
pub use flight::{flight_recorder, recent, start_flight_recorder};
pub use inbound::{Recipients, apply, connection_lost, deliver};

use crate::base::{ActorLabel, Error};

/// Makes `resolver` the network layer of `system`: references to its
/// actors can then be sent to other nodes, and references received resolve
/// to peers through it.
///
/// # Errors
///
/// [`Error::Listen`] if a network layer is attached already: a system is
/// one node.
pub fn attach(
    system: &crate::runtime::SystemHandle,
    resolver: Arc<dyn Resolver>,
) -> Result<(), Error> {
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

/// Starts a task of the network layer of `system` (a connection's reader,
/// a heartbeat) through the system's executor, the one way a system
/// starts tasks. Its time comes from [`SystemHandle::clock`](crate::runtime::SystemHandle::clock).
pub fn spawn(
    system: &crate::runtime::SystemHandle,
    task: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::host::TaskHandle {
    system.shared().spawn_task(task)
}

/// Whether a network layer is attached to `system`.
pub fn is_attached(system: &crate::runtime::SystemHandle) -> bool {
    system.shared().transport().is_some()
}

/// A reference to the remote actor `label`, reached through `peer`, made
/// in `system` (a look-up's or a remote spawn's result).
pub fn remote_ref<A: crate::actor::Actor>(
    system: &crate::runtime::SystemHandle,
    label: ActorLabel,
    peer: Arc<dyn Peer>,
) -> crate::actor::ActorRef<A> {
    crate::actor::ActorRef::from_remote(label, peer, system.shared().clone())
}

/// Whether any link or monitor crosses between `system` and the node
/// `node`: a network layer keeps the connection to such a node, however
/// idle.
pub fn has_relations(system: &crate::runtime::SystemHandle, node: crate::base::NodeId) -> bool {
    system.shared().remote_relations.involves(node)
}

/// Detaches the network layer of `system` (its node shut down).
pub fn detach(system: &crate::runtime::SystemHandle) {
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
