//! Both ends of a request-reply that crosses nodes: the caller's pending
//! [`Answer`], and the callee's [`Responder`].

use std::fmt;

use crate::base::{ActorLabel, Error};

/// How a remote request ended, as it crosses the wire back to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub enum Response<'a> {
    /// The method returned; its encoded value.
    Value(
        #[cfg_attr(
            feature = "remote",
            serde(borrow, serialize_with = "crate::transport::as_bytes")
        )]
        &'a [u8],
    ),
    /// The method panicked with this message.
    Panicked(String),
    /// The actor had stopped, or stopped before it answered.
    Stopped,
    /// The callee's node could not deliver the call.
    Rejected(Rejection),
}

/// Why a node could not deliver a call to one of its actors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub enum Rejection {
    /// The actor has no method of that name.
    UnknownMethod,
    /// The arguments (or the result) could not be decoded (or encoded).
    Codec(String),
    /// The actor's bounded mailbox was full.
    MailboxFull(u64),
    /// The actor's type is not `#[actor(remote)]`.
    NotRemote,
    /// Anything else, in words.
    Other(String),
}

impl Rejection {
    /// How the callee's node reports `error`, raised while delivering a call.
    pub fn from_error(error: &Error) -> Response<'static> {
        match error {
            Error::ActorStopped { .. } | Error::ShuttingDown => Response::Stopped,
            Error::UnknownMethod { .. } => Response::Rejected(Rejection::UnknownMethod),
            Error::Codec { message, .. } => Response::Rejected(Rejection::Codec(message.clone())),
            Error::MailboxFull { capacity, .. } => {
                Response::Rejected(Rejection::MailboxFull(*capacity as u64))
            }
            Error::NotRemote { .. } => Response::Rejected(Rejection::NotRemote),
            other => Response::Rejected(Rejection::Other(other.to_string())),
        }
    }

    /// The caller's error for this rejection of `method` on `actor`.
    pub fn into_error(self, actor: ActorLabel, method: &'static str) -> Error {
        match self {
            Rejection::UnknownMethod => Error::UnknownMethod {
                actor,
                method: method.to_owned(),
            },
            Rejection::Codec(message) => Error::Codec {
                actor_type: actor.type_name().to_owned(),
                method: method.to_owned(),
                message,
            },
            Rejection::MailboxFull(capacity) => Error::MailboxFull {
                actor,
                method,
                capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            },
            Rejection::NotRemote => Error::NotRemote {
                actor_type: actor.type_name(),
            },
            Rejection::Other(reason) => Error::Rejected {
                actor,
                method,
                reason,
            },
        }
    }
}

/// What the generated codec makes of one call: the method's name, the
/// arguments (written to the caller's buffer), and for a request-reply the
/// [`Answer`] that decodes its response.
pub struct EncodedCall {
    /// The method's name, as the callee's codec matches it.
    pub method: &'static str,
    /// For a request-reply: where its response goes.
    pub answer: Option<Answer>,
}

/// The caller's side of a request-reply in flight to another node.
///
/// The network layer keeps it until the response arrives, then calls
/// [`resolve`](Answer::resolve); if the connection is lost first, it calls
/// [`fail`](Answer::fail). Dropping it unresolved tells the caller the
/// actor stopped.
///
/// One word (its parts are boxed): an [`OutgoingCall`](super::OutgoingCall)
/// holds an `Option<Answer>`, `None` for every one-way call, and a peer
/// that moved a wide `None` the caller had written with one narrow store
/// would wait on that store (`docs/BENCHMARKS.md`). The box is one small
/// allocation per remote request-reply, against a round trip.
pub struct Answer(pub(crate) Box<AnswerParts>);

/// What an [`Answer`] holds.
pub(crate) struct AnswerParts {
    pub(crate) resolve: Box<dyn Resolve>,
    pub(crate) actor: Option<ActorLabel>,
    pub(crate) method: &'static str,
}

/// Decodes one response into the caller's reply slot.
pub(crate) trait Resolve: Send {
    fn resolve(self: Box<Self>, response: Response<'_>, actor: ActorLabel, method: &'static str);
    fn fail(self: Box<Self>, error: Error);
    fn is_abandoned(&self) -> bool;
}

impl Answer {
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn new(method: &'static str, resolve: Box<dyn Resolve>) -> Self {
        Answer(Box::new(AnswerParts {
            resolve,
            actor: None,
            method,
        }))
    }

    pub(crate) fn for_actor(mut self, actor: ActorLabel) -> Self {
        self.0.actor = Some(actor);
        self
    }

    /// The method called.
    pub fn method(&self) -> &'static str {
        self.0.method
    }

    /// Whether the caller gave up waiting (its deadline passed): the
    /// network layer may forget this answer.
    pub fn is_abandoned(&self) -> bool {
        self.0.resolve.is_abandoned()
    }

    /// Fails the call with `error` (the connection was lost, say).
    pub fn fail(self, error: Error) {
        self.0.resolve.fail(error);
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Answer")
            .field("actor", &self.0.actor)
            .field("method", &self.0.method)
            .finish_non_exhaustive()
    }
}

/// The callee's side of a request-reply from another node: sends the
/// response back over the connection the request came on. Implemented by
/// the network layer; called exactly once.
pub trait Respond: Send + 'static {
    /// Sends `response` to the caller.
    fn respond(self: Box<Self>, response: Response<'_>);
}

/// A boxed [`Respond`].
pub type Responder = Box<dyn Respond>;
