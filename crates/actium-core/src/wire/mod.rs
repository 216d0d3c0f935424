//! The vocabulary of the transport seam, without its machinery: what a
//! remote call, its answer and a signal that crosses nodes are
//! ([`TraceContext`], `EncodedCall`, `Answer`, `Response`, `Rejection`,
//! `Responder`, `RemoteSignal`), the traits a network layer implements
//! ([`Peer`], [`Resolver`]), the per-node table of relations that cross
//! (`RemoteRelations`), and the thread's encode buffer ([`with_scratch`]).
//! [`transport`](crate::transport) re-exports the public part; delivering
//! and decoding live there.
//!
//! *May use:* `base`, `observe`.

mod answer;
mod relations;
mod signal;

pub(crate) use answer::AnswerParts;
#[cfg(feature = "remote")]
pub(crate) use answer::Resolve;

pub(crate) use relations::RemoteRelations;

pub use signal::RemoteSignal;

use crate::base::{ActorId, ActorLabel, Error};
pub use answer::{Answer, EncodedCall, Rejection, Respond, Responder, Response};
use std::sync::Arc;

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

/// One call on its way to an actor on another node, as the core hands it
/// to a [`Peer`].
///
/// What crosses the seam assumes no wire format. The arguments are bytes
/// the actor's generated codec wrote, which the network layer carries
/// unread and hands, unchanged, to [`deliver`](crate::transport::deliver)
/// on the other node; a request-reply's response comes back the same way,
/// as bytes in [`Response::Value`]. Everything else (this call's address,
/// method and trace context, [`Response`], [`RemoteSignal`]) is plain data
/// with serde impls, which the network layer writes in a format of its
/// choosing: `actium-remote` frames it with postcard, a simulated network
/// need not encode it at all.
#[derive(Debug)]
#[non_exhaustive]
pub struct OutgoingCall<'a> {
    /// The actor called.
    pub to: ActorId,
    /// The method's name, as the callee's codec matches it.
    pub method: &'static str,
    /// The encoded arguments.
    pub payload: &'a [u8],
    /// For a request-reply: where its response goes. On `Ok` from
    /// [`Peer::call`] the peer owns it and must resolve it exactly once:
    /// with the node's response, or with [`Answer::fail`] if the
    /// connection is lost first. It may drop answers whose caller gave up
    /// ([`Answer::is_abandoned`]).
    pub answer: Option<Answer>,
    /// While the sender records: the context the other node records its
    /// handling under. A reference, one word: the call is passed through
    /// memory, and a peer that copied a wide field the caller had written
    /// with narrower stores (nearly always `None`) would wait on them.
    pub trace: Option<&'a TraceContext>,
}

/// One remote node, as the core sees it: something that carries calls and
/// signals to the actors there. Implemented by the network layer.
pub trait Peer: Send + Sync + 'static {
    /// The node's address, such as `tcp://127.0.0.1:4000`.
    fn address(&self) -> &str;

    /// Whether the connection is up at this moment (for diagnostics).
    fn is_connected(&self) -> bool;

    /// Sends `call` to an actor on this node. A one-way call has no
    /// answer; a request-reply hands over its [`Answer`] with it.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the node is known to be unreachable; the
    /// answer is then dropped, which tells the caller. The error is boxed
    /// so that the result is one word, returned in a register: every
    /// remote call passes through here, and a wide result returned
    /// through memory makes the caller wait on the callee's stores
    /// (`docs/BENCHMARKS.md`). `?` on an [`Error`] boxes it.
    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Box<Error>>;

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

/// Runs `encode` with this thread's reusable buffer, emptied: encoding a
/// call allocates nothing once the buffer has grown to fit.
pub(crate) fn with_scratch<T>(encode: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    use std::cell::RefCell;
    thread_local! {
        static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    // Borrowed in place rather than taken out and put back: moving the
    // buffer back just after the encoding wrote its length made every
    // remote call wait on that store (`docs/BENCHMARKS.md`). An encoding
    // that somehow encodes again on this thread gets a fresh buffer.
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let result = encode(&mut buffer);
            if buffer.capacity() > 64 * 1024 {
                *buffer = Vec::new();
            }
            result
        }
        Err(_) => encode(&mut Vec::new()),
    })
}
