//! Typed references to actors.

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::actor::Actor;
use crate::ask::{Ask, Reply};
use crate::cell::{Cell, ErasedCell};
use crate::chain;
use crate::current;
use crate::dispatch::{Dispatch, MethodInfo, Methods};
use crate::error::Error;
use crate::exit::ExitReason;
use crate::id::{ActorId, ActorLabel};
use crate::mailbox::{Envelope, Refusal};

/// A typed reference to an actor of type `A`.
///
/// Calling a method of `A` on it sends that method as a message: a `#[tell]`
/// method returns `Result<(), Error>` at once, a `#[ask]` method returns an
/// [`Ask`] to await. Only `A`'s exported methods are offered — a reference
/// to a `Counter` has `Counter`'s methods and nothing else.
///
/// References are cheap to clone (one atomic increment), compare and hash
/// by actor id, and print as `Counter#3`. Holding one does not keep the
/// actor alive, and dropping all of them does not stop it: an actor runs
/// until it stops itself, is stopped, or its system shuts down.
///
/// Clippy's `mutable_key_type` lint mistakes references for mutable keys
/// (it sees the shared mailbox behind them); they hash by their immutable
/// id, so add `ignore-interior-mutability = ["actium_core::reference::ActorRef"]`
/// to your `clippy.toml` if you keep them in sets or as map keys.
///
/// Besides `A`'s methods, a reference has [`id`](ActorRef::id),
/// [`stop`](ActorRef::stop), [`stopped`](ActorRef::stopped) and
/// [`is_alive`](ActorRef::is_alive); `#[actor]` refuses methods with those
/// names so they cannot be shadowed.
pub struct ActorRef<A: Actor> {
    methods: A::Methods<Endpoint<A>>,
}

impl<A: Actor> ActorRef<A> {
    pub(crate) fn from_cell(cell: Arc<Cell<A>>) -> Self {
        ActorRef {
            methods: Methods::new(Endpoint { cell }),
        }
    }

    fn cell(&self) -> &Arc<Cell<A>> {
        &self.methods.dispatch().cell
    }

    /// The actor's globally unique id.
    pub fn id(&self) -> ActorId {
        self.cell().core.label.id()
    }

    /// Asks the actor to stop after the message it is handling.
    ///
    /// Messages still queued are not handled; their callers get
    /// [`Error::ActorStopped`]. The actor's `#[on_stop]` hook runs and its
    /// exit reason is [`ExitReason::Stopped`]. Stopping a stopped actor does
    /// nothing. Returns at once; await [`stopped`](ActorRef::stopped) to
    /// wait for the end.
    pub fn stop(&self) {
        self.cell().request_stop(ExitReason::Stopped);
    }

    /// Waits until the actor has stopped and returns why.
    pub fn stopped(&self) -> Stopped {
        Stopped {
            cell: self.cell().clone(),
        }
    }

    /// Whether the actor is still running. By the time you act on the
    /// answer it may have changed; use it for diagnostics, not decisions.
    pub fn is_alive(&self) -> bool {
        self.cell().core.exit_reason().is_none()
    }
}

impl<A: Actor> Deref for ActorRef<A> {
    type Target = A::Methods<Endpoint<A>>;

    fn deref(&self) -> &Self::Target {
        &self.methods
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef::from_cell(self.cell().clone())
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> Hash for ActorRef<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorRef({}, {})", self.cell().core.label, self.id())
    }
}

impl<A: Actor> fmt::Display for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cell().core.label, f)
    }
}

/// Resolves with an actor's [`ExitReason`] once it has stopped.
///
/// Returned by [`ActorRef::stopped`].
#[must_use = "futures do nothing unless awaited"]
pub struct Stopped {
    cell: Arc<dyn ErasedCell>,
}

impl Future for Stopped {
    type Output = ExitReason;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        self.cell.core().poll_exit(cx)
    }
}

/// Delivers calls to one local actor: what an [`ActorRef`] dispatches
/// through.
#[doc(hidden)]
pub struct Endpoint<A: Actor> {
    cell: Arc<Cell<A>>,
}

impl<A: Actor> Endpoint<A> {
    fn label(&self) -> ActorLabel {
        self.cell.core.label
    }

    fn refused(&self, refusal: Refusal, method: &'static str) -> Error {
        match refusal {
            Refusal::Closed => Error::ActorStopped {
                actor: self.label(),
                method,
            },
            Refusal::Full => Error::MailboxFull {
                actor: self.label(),
                method,
                capacity: self.cell.mailbox.capacity().unwrap_or(usize::MAX),
            },
        }
    }
}

impl<A: Actor> Dispatch<A> for Endpoint<A> {
    type Tell<Args: Send + 'static> = Result<(), Error>;
    type Ask<Args: Send + 'static, R: Send + 'static> = Ask<R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> Result<(), Error> {
        // A one-way message never blocks its sender, so it carries no chain.
        let envelope = Envelope {
            msg: make(args),
            chain: None,
        };
        self.cell
            .mailbox
            .push(envelope)
            .map_err(|(refusal, _undelivered)| self.refused(refusal, method.name))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let label = self.label();
        let chain = current::outgoing_chain();
        if let Err(deadlock) = chain::check(&chain, label, method.name) {
            return Ask::failed(deadlock, label, method.name);
        }
        let (reply, slot) = Reply::channel();
        let envelope = Envelope {
            msg: make(args, reply),
            chain,
        };
        match self.cell.mailbox.push(envelope) {
            Ok(()) => {
                let timeout = method
                    .timeout
                    .unwrap_or(self.cell.core.system.config.default_timeout);
                Ask::sent(slot, label, method.name, timeout)
            }
            Err((refusal, _undelivered)) => {
                Ask::failed(self.refused(refusal, method.name), label, method.name)
            }
        }
    }
}
