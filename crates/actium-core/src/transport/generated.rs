//! What `#[actor(remote)]` expands to calls of: the wire codec of each
//! method's arguments and answer, and the compile-time check that they are
//! serde types. Not public API.
//!
//! The check is the one place a type without serde is reported, at the
//! user's type ([`must_cross_nodes`]); the codec is picked at the concrete
//! types ([`Call`]) so that it adds no errors of its own.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode};
use crate::base::{ActorId, ActorLabel, Error, NodeId};
use crate::call::{Forward, Reply};
use crate::sync::Outcome;
use crate::wire::{Answer, EncodedCall, Rejection, Resolve, Responder, Response};

/// Compile-time check that a method's argument or result can cross
/// nodes; the macro points it at the user's type, so a type without
/// serde is one error there that says what to derive.
pub fn must_cross_nodes<T: CrossesNodes>() {}

/// A type an `#[actor(remote)]` method can take or return: one with
/// serde's `Serialize` and `DeserializeOwned`. Its own name for the
/// bound gives a type without them one error (not one per serde trait,
/// and none from serde's long list of other types).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross nodes: the arguments and results of an `#[actor(remote)]` method must implement `serde::Serialize` and `serde::de::DeserializeOwned`",
    label = "not `Serialize` and `DeserializeOwned`",
    note = "derive both: `#[derive(Serialize, Deserialize)]` with `#[serde(crate = \"actium::serde\")]` and `use actium::serde::{{Deserialize, Serialize}};`"
)]
pub trait CrossesNodes {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> CrossesNodes for T {}

/// A method's argument tuple `Args` and answer `R` (`()` for a one-way
/// method), for the generated codec to pick its encoding by at the
/// concrete types, as autoref specialisation (see `__private::describe`):
/// `(&Call::<Args, R>::new()).encode_tell(..)` finds [`ViaSerde`] when
/// both are serde types and [`Unencodable`] when not. So a type without
/// serde is reported once, by [`must_cross_nodes`], and not again by
/// every encoding and decoding of it.
pub struct Call<Args, R>(std::marker::PhantomData<fn() -> (Args, R)>);

impl<Args, R> Call<Args, R> {
    /// The call's types, to pick the encoding by.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Call(std::marker::PhantomData)
    }
}

/// The wire codec of a call whose arguments and answer are serde types.
pub trait ViaSerde {
    /// The argument tuple.
    type Args;
    /// The answer (`()` for a one-way method).
    type Answer: Send;

    /// Encodes a one-way call's arguments.
    ///
    /// # Errors
    ///
    /// The serializer's message, as [`Error::Codec`].
    fn encode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Self::Args,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error>;

    /// Encodes a request-reply's arguments; its reply becomes the
    /// [`Answer`] that decodes the response.
    ///
    /// # Errors
    ///
    /// The serializer's message, as [`Error::Codec`].
    fn encode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Self::Args,
        reply: Reply<Self::Answer>,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error>;

    /// Decodes a one-way call's arguments.
    ///
    /// # Errors
    ///
    /// What did not decode, or a one-way method called as a
    /// request-reply, as [`Error::Codec`].
    fn decode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<Self::Args, Error>;

    /// Decodes a request-reply's arguments and makes the reply that
    /// sends its result back.
    ///
    /// # Errors
    ///
    /// What did not decode, or a request-reply called one-way, as
    /// [`Error::Codec`].
    fn decode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<(Self::Args, Reply<Self::Answer>), Error>;
}

impl<Args, R> ViaSerde for Call<Args, R>
where
    Args: Serialize + DeserializeOwned,
    R: Serialize + DeserializeOwned + Send + 'static,
{
    type Args = Args;
    type Answer = R;

    fn encode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Args,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error> {
        encode_tell(actor, method, args, out)
    }

    fn encode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Args,
        reply: Reply<R>,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error> {
        encode_ask(actor, method, args, reply, out)
    }

    fn decode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<Args, Error> {
        decode_tell(actor, method, payload, responder)
    }

    fn decode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<(Args, Reply<R>), Error> {
        decode_ask(actor, method, payload, responder)
    }
}

/// The codec of a call with a type that is not serde's: never run, as
/// [`must_cross_nodes`] has already failed the build; it only keeps
/// the generated codec from adding errors of its own.
pub trait Unencodable {
    /// The argument tuple.
    type Args;
    /// The answer (`()` for a one-way method).
    type Answer: Send;

    /// Refuses.
    ///
    /// # Errors
    ///
    /// Always [`Error::Codec`].
    fn encode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Self::Args,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error>;

    /// Refuses.
    ///
    /// # Errors
    ///
    /// Always [`Error::Codec`].
    fn encode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        args: &Self::Args,
        reply: Reply<Self::Answer>,
        out: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error>;

    /// Refuses.
    ///
    /// # Errors
    ///
    /// Always [`Error::Codec`].
    fn decode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<Self::Args, Error>;

    /// Refuses.
    ///
    /// # Errors
    ///
    /// Always [`Error::Codec`].
    fn decode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        payload: &[u8],
        responder: &mut Option<Responder>,
    ) -> Result<(Self::Args, Reply<Self::Answer>), Error>;
}

impl<Args, R: Send> Unencodable for &Call<Args, R> {
    type Args = Args;
    type Answer = R;

    fn encode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        _: &Args,
        _: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error> {
        Err(unencodable(actor, method))
    }

    fn encode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        _: &Args,
        _: Reply<R>,
        _: &mut Vec<u8>,
    ) -> Result<EncodedCall, Error> {
        Err(unencodable(actor, method))
    }

    fn decode_tell(
        &self,
        actor: &'static str,
        method: &'static str,
        _: &[u8],
        _: &mut Option<Responder>,
    ) -> Result<Args, Error> {
        Err(unencodable(actor, method))
    }

    fn decode_ask(
        &self,
        actor: &'static str,
        method: &'static str,
        _: &[u8],
        _: &mut Option<Responder>,
    ) -> Result<(Args, Reply<R>), Error> {
        Err(unencodable(actor, method))
    }
}

fn unencodable(actor: &'static str, method: &'static str) -> Error {
    codec_error(
        actor,
        method,
        "its argument or result types are not serde's `Serialize` and `DeserializeOwned`"
            .to_owned(),
    )
}

/// Encodes a one-way call's arguments.
fn encode_tell<Args: Serialize>(
    actor: &'static str,
    method: &'static str,
    args: &Args,
    out: &mut Vec<u8>,
) -> Result<EncodedCall, Error> {
    encode(args, out).map_err(|message| codec_error(actor, method, message))?;
    Ok(EncodedCall {
        method,
        answer: None,
    })
}

/// Encodes a request-reply's arguments; its reply becomes the
/// [`Answer`] that decodes the response.
fn encode_ask<Args: Serialize, R: DeserializeOwned + Send + 'static>(
    actor: &'static str,
    method: &'static str,
    args: &Args,
    reply: Reply<R>,
    out: &mut Vec<u8>,
) -> Result<EncodedCall, Error> {
    encode(args, out).map_err(|message| codec_error(actor, method, message))?;
    Ok(EncodedCall {
        method,
        answer: Some(Answer::new(method, Box::new(Awaiting { reply }))),
    })
}

/// Decodes a one-way call's arguments. A one-way method called as a
/// request-reply is refused, so its caller is not left waiting.
fn decode_tell<Args: DeserializeOwned>(
    actor: &'static str,
    method: &'static str,
    payload: &[u8],
    responder: &mut Option<Responder>,
) -> Result<Args, Error> {
    if responder.is_some() {
        return Err(codec_error(
            actor,
            method,
            "it is a one-way method, called as a request-reply".to_owned(),
        ));
    }
    decode(payload).map_err(|message| codec_error(actor, method, message))
}

/// Decodes a request-reply's arguments and makes the reply that sends
/// its result back.
fn decode_ask<Args: DeserializeOwned, R: Serialize + Send + 'static>(
    actor: &'static str,
    method: &'static str,
    payload: &[u8],
    responder: &mut Option<Responder>,
) -> Result<(Args, Reply<R>), Error> {
    if responder.is_none() {
        return Err(codec_error(
            actor,
            method,
            "it is a request-reply method, called one-way".to_owned(),
        ));
    }
    let args = decode(payload).map_err(|message| codec_error(actor, method, message))?;
    let Some(responder) = responder.take() else {
        unreachable!("checked above");
    };
    Ok((args, Reply::remote(Box::new(Encoding { responder }))))
}

/// The error for a method name the actor does not have.
pub fn unknown_method(actor: &'static str, method: &str) -> Error {
    Error::UnknownMethod {
        actor: ActorLabel::new(ActorId::new(NodeId::from_u64(0), 0), actor),
        method: method.to_owned(),
    }
}

fn codec_error(actor: &'static str, method: &'static str, message: String) -> Error {
    Error::Codec {
        actor_type: actor.to_owned(),
        method: method.to_owned(),
        message,
    }
}

/// The caller's reply slot, waiting for a remote response.
struct Awaiting<R: Send> {
    reply: Reply<R>,
}

impl<R: DeserializeOwned + Send + 'static> Resolve for Awaiting<R> {
    fn resolve(self: Box<Self>, response: Response<'_>, actor: ActorLabel, method: &'static str) {
        let reply = self.reply;
        match response {
            Response::Value(bytes) => match decode::<R>(bytes) {
                Ok(value) => reply.send(value),
                Err(message) => reply.fail(Error::Codec {
                    actor_type: actor.type_name().to_owned(),
                    method: method.to_owned(),
                    message: format!("the answer did not decode: {message}"),
                }),
            },
            Response::Panicked(message) => reply.panicked(message),
            // Dropping the reply tells the caller the actor stopped.
            Response::Stopped => drop(reply),
            Response::Rejected(rejection) => reply.fail(rejection.into_error(actor, method)),
        }
    }

    fn fail(self: Box<Self>, error: Error) {
        self.reply.fail(error);
    }

    fn is_abandoned(&self) -> bool {
        self.reply.is_abandoned()
    }
}

/// The callee's reply to a remote caller: encodes the outcome and hands it
/// to the connection.
struct Encoding {
    responder: Responder,
}

impl<R: Serialize + Send> Forward<R> for Encoding {
    fn respond(self: Box<Self>, outcome: Outcome<R>) {
        let responder = self.responder;
        match outcome {
            Outcome::Value(value) => crate::wire::with_scratch(|bytes| {
                // The answer's `Serialize` is user code: a panic in it is
                // the method's, and the caller hears of it at once.
                let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    encode(&value, bytes)
                }));
                match encoded {
                    Ok(Ok(())) => responder.respond(Response::Value(bytes)),
                    Ok(Err(message)) => responder.respond(Response::Rejected(Rejection::Codec(
                        format!("the answer did not encode: {message}"),
                    ))),
                    Err(payload) => {
                        bytes.clear();
                        responder
                            .respond(Response::Panicked(crate::base::panic_message(&*payload)));
                        // On to the method's own panic boundary, which
                        // applies the actor's panic policy.
                        std::panic::resume_unwind(payload);
                    }
                }
            }),
            Outcome::Panicked(message) => responder.respond(Response::Panicked(*message)),
            Outcome::Dropped | Outcome::Expired => responder.respond(Response::Stopped),
            Outcome::Failed(error) => responder.respond(Rejection::from_error(&error)),
        }
    }
}
