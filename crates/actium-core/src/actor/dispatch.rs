//! The seam between generated proxies and the ways a call can be sent.
//!
//! `#[actor]` generates, for each actor, a proxy type generic over a
//! [`Dispatch`]er, with one method per exported actor method. A proxy
//! method does not send anything itself: it hands the dispatcher the call's
//! arguments and a function that wraps them into the actor's message. The
//! dispatcher decides what "calling" means — one local actor (what
//! [`ActorRef`](crate::actor::ActorRef) does), a remote one, or a whole group — and
//! what the call returns. This keeps the generated code free of runtime
//! logic and lets new kinds of targets reuse every generated method.

use std::time::Duration;

use crate::actor::Actor;
use crate::call::Reply;

/// Static facts about one exported method, emitted by the macro.
#[derive(Debug, Clone, Copy)]
pub struct MethodInfo {
    /// The method's name.
    pub name: &'static str,
    /// Its `#[ask(timeout = "..")]` deadline, if it declares one.
    pub timeout: Option<Duration>,
    /// Whether it is `blocking`: it may block its thread, so a caller
    /// never runs it on its own (see `actor::standby`).
    pub blocking: bool,
}

/// A way of delivering calls to actors of type `A`.
pub trait Dispatch<A: Actor>: Sized + Send + Sync {
    /// What a one-way call returns.
    type Tell<Args: Send + 'static>;
    /// What a request-reply call returns.
    type Ask<Args: Send + 'static, R: Send + 'static>;

    /// Delivers a one-way call; `make` wraps the arguments into a message.
    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> Self::Tell<Args>;

    /// Delivers a request-reply call; `make` wraps the arguments and the
    /// reply slot into a message.
    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Self::Ask<Args, R>;
}

/// Implemented by generated proxies: built around a dispatcher.
pub trait Methods<A: Actor, D: Dispatch<A>>: Sized {
    /// Wraps a dispatcher.
    fn new(dispatch: D) -> Self;
    /// The wrapped dispatcher.
    fn dispatch(&self) -> &D;
}

/// The message type of an actor whose `#[actor]` impl had errors: it has
/// no messages. Part of the stub `#[actor]` emits so that only the real
/// mistake is reported.
pub enum NoMessage {}

/// The proxy of an actor whose `#[actor]` impl had errors: it has no
/// methods.
pub struct NoMethods<D> {
    dispatch: D,
}

impl<A: crate::actor::Actor, D: Dispatch<A>> Methods<A, D> for NoMethods<D> {
    fn new(dispatch: D) -> Self {
        NoMethods { dispatch }
    }

    fn dispatch(&self) -> &D {
        &self.dispatch
    }
}
