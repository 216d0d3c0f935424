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
use crate::id::ActorId;
use crate::mailbox::{Envelope, Refusal};
use crate::observe::{self, EventKind};

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
/// [`stop`](ActorRef::stop), [`kill`](ActorRef::kill),
/// [`stopped`](ActorRef::stopped), [`is_alive`](ActorRef::is_alive) and
/// [`wait_for_room`](ActorRef::wait_for_room); `#[actor]` refuses methods
/// with those names so they cannot be shadowed.
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

    pub(crate) fn endpoint(&self) -> &Endpoint<A> {
        self.methods.dispatch()
    }

    /// The cell without its type, for links, monitors and the registry.
    pub(crate) fn erased(&self) -> Arc<dyn ErasedCell> {
        self.cell().clone()
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

    /// Stops the actor now (Erlang's `exit(Pid, kill)`): the method it is
    /// running is abandoned at its next await (a method that never awaits
    /// runs to its end first), its caller and queued callers get
    /// [`Error::ActorStopped`], and the exit reason is
    /// [`ExitReason::Killed`], which linked actors receive.
    pub fn kill(&self) {
        self.cell().kill(ExitReason::Killed);
    }

    /// The same methods, but a one-way call to a full bounded mailbox waits
    /// for room instead of failing with [`Error::MailboxFull`]:
    /// `worker.wait_for_room().work(item).await?`. A request-reply waits for
    /// room, then for its answer.
    pub fn wait_for_room(&self) -> A::Methods<Patient<A>> {
        Methods::new(Patient {
            cell: self.cell().clone(),
        })
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

fn refused<A: Actor>(cell: &Cell<A>, refusal: Refusal, method: &'static str) -> Error {
    match refusal {
        Refusal::Closed => Error::ActorStopped {
            actor: cell.core.label,
            method,
        },
        Refusal::Full => Error::MailboxFull {
            actor: cell.core.label,
            method,
            capacity: cell.mailbox.capacity().unwrap_or(usize::MAX),
        },
    }
}

/// An ask ready to queue: its envelope, and the future of its answer.
type Prepared<M, R> = (Envelope<M>, Ask<R>);

/// Builds the envelope of an ask sent from here, with the caller's chain,
/// or fails at once if the call would close a cycle of waiting actors.
fn ask_envelope<A: Actor, Args, R: Send + 'static>(
    cell: &Cell<A>,
    method: MethodInfo,
    args: Args,
    make: fn(Args, Reply<R>) -> A::Msg,
) -> Result<Prepared<A::Msg, R>, Ask<R>> {
    let label = cell.core.label;
    let chain = current::outgoing_chain();
    if let Err(deadlock) = chain::check(&chain, label, method.name) {
        return Err(Ask::failed(deadlock, label, method.name));
    }
    let (reply, slot) = Reply::channel();
    let timeout = method
        .timeout
        .unwrap_or(cell.core.system.config.default_timeout);
    let envelope = observe::envelope(cell, EventKind::Ask, method.name, make(args, reply), chain);
    Ok((envelope, Ask::sent(slot, label, method.name, timeout)))
}

impl<A: Actor> Endpoint<A> {
    /// Queues a one-way message built by the caller.
    pub(crate) fn push(&self, method: &'static str, msg: A::Msg) -> Result<(), Error> {
        // A one-way message never blocks its sender, so it carries no chain.
        let envelope = observe::envelope(&self.cell, EventKind::Tell, method, msg, None);
        self.cell
            .mailbox
            .push(envelope)
            .map_err(|(refusal, _undelivered)| refused(&self.cell, refusal, method))
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
        self.push(method.name, make(args))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let (envelope, ask) = match ask_envelope(&self.cell, method, args, make) {
            Ok(sent) => sent,
            Err(failed) => return failed,
        };
        match self.cell.mailbox.push(envelope) {
            Ok(()) => ask,
            Err((refusal, _undelivered)) => Ask::failed(
                refused(&self.cell, refusal, method.name),
                self.cell.core.label,
                method.name,
            ),
        }
    }
}

/// Delivers calls like [`Endpoint`], but waits for room in a full bounded
/// mailbox. From [`ActorRef::wait_for_room`].
#[doc(hidden)]
pub struct Patient<A: Actor> {
    cell: Arc<Cell<A>>,
}

impl<A: Actor> Dispatch<A> for Patient<A> {
    type Tell<Args: Send + 'static> = SendWhenRoom<A>;
    type Ask<Args: Send + 'static, R: Send + 'static> = AskWhenRoom<A, R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> SendWhenRoom<A> {
        SendWhenRoom {
            cell: self.cell.clone(),
            method: method.name,
            envelope: Some(observe::envelope(
                &self.cell,
                EventKind::Tell,
                method.name,
                make(args),
                None,
            )),
        }
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> AskWhenRoom<A, R> {
        match ask_envelope(&self.cell, method, args, make) {
            Ok((envelope, ask)) => AskWhenRoom {
                send: Some(SendWhenRoom {
                    cell: self.cell.clone(),
                    method: method.name,
                    envelope: Some(envelope),
                }),
                ask,
            },
            Err(failed) => AskWhenRoom {
                send: None,
                ask: failed,
            },
        }
    }
}

/// A one-way call waiting for room in a bounded mailbox; resolves once the
/// message is queued. From [`ActorRef::wait_for_room`].
///
/// # Cancel safety
///
/// Dropping it before it resolves means the message was not sent.
#[must_use = "nothing is sent unless this is awaited"]
pub struct SendWhenRoom<A: Actor> {
    cell: Arc<Cell<A>>,
    method: &'static str,
    envelope: Option<Envelope<A::Msg>>,
}

impl<A: Actor> Future for SendWhenRoom<A> {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match this.cell.mailbox.poll_push(&mut this.envelope, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err((refusal, _undelivered))) => {
                Poll::Ready(Err(refused(&this.cell, refusal, this.method)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

// `SendWhenRoom` holds no self-references.
impl<A: Actor> Unpin for SendWhenRoom<A> {}

/// A request-reply waiting for room in a bounded mailbox, then for its
/// answer. From [`ActorRef::wait_for_room`].
#[must_use = "nothing is sent unless this is awaited"]
pub struct AskWhenRoom<A: Actor, R: Send + 'static> {
    send: Option<SendWhenRoom<A>>,
    ask: Ask<R>,
}

impl<A: Actor, R: Send + 'static> AskWhenRoom<A, R> {
    /// Overrides the deadline for the answer (it starts once the request is
    /// queued).
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.ask = self.ask.timeout(timeout);
        self
    }
}

impl<A: Actor, R: Send + 'static> Future for AskWhenRoom<A, R> {
    type Output = Result<R, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(send) = &mut this.send {
            match Pin::new(send).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.send = None;
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(())) => this.send = None,
            }
        }
        Pin::new(&mut this.ask).poll(cx)
    }
}

impl<A: Actor, R: Send + 'static> Unpin for AskWhenRoom<A, R> {}
