//! The [`Actor`] trait, and the hidden [`Handler`] trait the actor loop
//! drives.

use std::future::Future;
use std::pin::Pin;

use crate::context::Context;
use crate::dispatch::{Dispatch, Methods};
use crate::exit::ExitReason;
use crate::reference::ActorRef;
use crate::signal::{Down, Exit};
use crate::spawn::Spawner;

/// A type whose methods are messages: what an [`ActorRef`] points to.
///
/// Do not implement this trait by hand: put `#[actor]` on the type's `impl`
/// block, which generates the message type, the dispatch code and the typed
/// methods of [`ActorRef<Self>`]. What is left for users are the provided
/// methods [`spawn`](Actor::spawn) and [`spawner`](Actor::spawner).
pub trait Actor: Sized + Send + 'static {
    /// The message type: one variant per exported method.
    #[doc(hidden)]
    type Msg: Send + 'static;

    /// The generated proxy whose methods build messages; `ActorRef<Self>`
    /// dereferences to it.
    #[doc(hidden)]
    type Methods<D: Dispatch<Self>>: Methods<Self, D> + Send + Sync;

    /// The type's name, as errors and logs show it.
    #[doc(hidden)]
    const NAME: &'static str;

    /// Writes a message's arguments for a trace (`5, "x"`); called only
    /// while recording. `#[actor]` writes each argument with `Debug` where
    /// its type has it, `_` where not.
    #[doc(hidden)]
    fn describe(msg: &Self::Msg, out: &mut String) {
        let _ = (msg, out);
    }

    /// Starts this actor in the current system with default options and
    /// returns its reference.
    ///
    /// # Panics
    ///
    /// Panics if no Actium system runs on this thread (outside
    /// [`launch`](crate::launch), an actor, or [`System::enter`](crate::System::enter)).
    /// Use [`Spawner::try_spawn`] to get an error instead.
    fn spawn(self) -> ActorRef<Self>
    where
        Self: Handler,
    {
        Spawner::new(self).spawn()
    }

    /// Starts building a spawn with options (mailbox capacity, execution
    /// model, panic policy, system, link).
    fn spawner(self) -> Spawner<Self>
    where
        Self: Handler,
    {
        Spawner::new(self)
    }
}

/// What the actor loop calls: implemented by `#[actor]`.
#[doc(hidden)]
pub trait Handler: Actor {
    /// Whether any method is `parallel`, so the loop must interleave.
    const REENTRANT: bool = false;

    /// What the actor does when one of its methods panics, unless the
    /// spawner says otherwise. Set with `#[actor(on_panic = "stop")]`.
    const PANIC_POLICY: PanicPolicy = PanicPolicy::Resume;

    /// Whether `on_start` does anything (the loop skips it otherwise).
    const HAS_ON_START: bool = false;

    /// Whether `on_stop` does anything (the loop skips it otherwise).
    const HAS_ON_STOP: bool = false;

    /// Handles one message: a synchronous method runs to completion here;
    /// an `async` one comes back as a boxed future for the loop to drive.
    fn handle<'a>(&'a mut self, msg: Self::Msg, ctx: &'a mut Context<Self>) -> Handled<'a>;

    /// The `#[on_start]` hook; an `Err` stops the actor before its first
    /// message with [`ExitReason::Error`].
    fn on_start(
        &mut self,
        _ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }

    /// The `#[on_stop]` hook; runs once, after the last message.
    fn on_stop(
        &mut self,
        _ctx: &mut Context<Self>,
        _reason: &ExitReason,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// The `#[on_exit]` hook: a linked actor exited while this one traps
    /// exits.
    fn on_exit(&mut self, _ctx: &mut Context<Self>, exit: Exit) -> impl Future<Output = ()> + Send {
        async move {
            tracing::debug!(actor = %exit.actor, reason = %exit.reason, "trapped exit without an #[on_exit] hook");
        }
    }

    /// The `#[on_down]` hook: a monitored actor exited.
    fn on_down(&mut self, _ctx: &mut Context<Self>, down: Down) -> impl Future<Output = ()> + Send {
        async move {
            tracing::debug!(actor = %down.actor, reason = %down.reason, "monitor fired without an #[on_down] hook");
        }
    }
}

/// What an actor does after one of its methods panicked.
///
/// Either way the caller of the panicking method gets
/// [`Error::Panicked`](crate::Error::Panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanicPolicy {
    /// Log the panic and go on serving with the state as the panic left it
    /// (like an exception in an Orleans grain or a PyActive actor).
    #[default]
    Resume,
    /// Stop the actor with [`ExitReason::Panicked`] (like a crashing Erlang
    /// process), so links, monitors and supervisors react.
    Stop,
}

/// A reentrant method's future, run by the loop beside other messages.
#[doc(hidden)]
pub type ParallelTask = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What `handle` returns: the outcome of a synchronous method, or the
/// future of an `async` one. Boxing only async methods keeps an idle
/// actor's memory independent of how large its methods' futures are.
#[doc(hidden)]
pub enum Handled<'a> {
    /// The method ran to completion.
    Done(Outcome),
    /// An `async` method, to be driven by the loop.
    Pending(Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>),
}

/// What handling one message came to.
#[doc(hidden)]
pub enum Outcome {
    /// The method ran to completion (its caller, if any, was answered).
    Done,
    /// The method panicked (its caller, if any, was told).
    Panicked {
        /// The method's name.
        method: &'static str,
        /// The panic message.
        message: String,
    },
    /// A `parallel` method started; the loop drives it between messages.
    Parallel(ParallelTask),
}
