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
use crate::observe::{self, EventKind};
use crate::system::SystemShared;
use crate::transport::{Peer, RemoteCell};

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
/// [`label`](ActorRef::label), [`is_local`](ActorRef::is_local),
/// [`node_address`](ActorRef::node_address), [`stop`](ActorRef::stop),
/// [`kill`](ActorRef::kill), [`stopped`](ActorRef::stopped),
/// [`is_alive`](ActorRef::is_alive) and
/// [`wait_for_room`](ActorRef::wait_for_room); `#[actor]` refuses methods
/// with those names so they cannot be shadowed.
pub struct ActorRef<A: Actor> {
    methods: A::Methods<Endpoint<A>>,
}

impl<A: Actor> ActorRef<A> {
    pub(crate) fn from_cell(cell: Arc<Cell<A>>) -> Self {
        ActorRef {
            methods: Methods::new(Endpoint {
                target: Target::Local(cell),
            }),
        }
    }

    /// A reference to the actor `label` on the node `peer` reaches, made in
    /// `system`.
    pub(crate) fn from_remote(
        label: ActorLabel,
        peer: Arc<dyn Peer>,
        system: Arc<SystemShared>,
    ) -> Self {
        ActorRef {
            methods: Methods::new(Endpoint {
                target: Target::Remote(Arc::new(RemoteTarget {
                    label,
                    peer,
                    system,
                })),
            }),
        }
    }

    /// A reference to an actor of this system that has already exited
    /// (one named in a message after it stopped): calls to it fail with
    /// [`Error::ActorStopped`].
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn exited(label: ActorLabel, system: Arc<SystemShared>, reason: ExitReason) -> Self {
        let cell = Arc::new(Cell::<A>::new(label, system, None));
        drop(cell.mailbox.close());
        cell.core.exited(reason);
        ActorRef::from_cell(cell)
    }

    pub(crate) fn target(&self) -> &Target<A> {
        &self.methods.dispatch().target
    }

    pub(crate) fn endpoint(&self) -> &Endpoint<A> {
        self.methods.dispatch()
    }

    /// The cell without its type, for links, monitors and the registry;
    /// for an actor on another node, a stand-in that forwards to it.
    pub(crate) fn erased(&self) -> Arc<dyn ErasedCell> {
        match self.target() {
            Target::Local(cell) => cell.clone(),
            Target::Remote(remote) => Arc::new(RemoteCell::actor(
                remote.label,
                remote.peer.clone(),
                remote.system.clone(),
            )),
        }
    }

    /// The actor's label: its type and id, as errors and logs show it.
    pub fn label(&self) -> ActorLabel {
        match self.target() {
            Target::Local(cell) => cell.core.label,
            Target::Remote(remote) => remote.label,
        }
    }

    /// The actor's globally unique id.
    pub fn id(&self) -> ActorId {
        self.label().id()
    }

    /// Whether the actor runs in this process (as opposed to on another
    /// node).
    pub fn is_local(&self) -> bool {
        matches!(self.target(), Target::Local(_))
    }

    /// The address of the node the actor runs on, if it is another node.
    pub fn node_address(&self) -> Option<&str> {
        match self.target() {
            Target::Local(_) => None,
            Target::Remote(remote) => Some(remote.peer.address()),
        }
    }

    /// Asks the actor to stop after the message it is handling.
    ///
    /// Messages still queued are not handled; their callers get
    /// [`Error::ActorStopped`]. The actor's `#[on_stop]` hook runs and its
    /// exit reason is [`ExitReason::Stopped`]. Stopping a stopped actor does
    /// nothing. Returns at once; await [`stopped`](ActorRef::stopped) to
    /// wait for the end.
    pub fn stop(&self) {
        self.erased().request_stop(ExitReason::Stopped);
    }

    /// Stops the actor now (Erlang's `exit(Pid, kill)`): the method it is
    /// running is abandoned at its next await (a method that never awaits
    /// runs to its end first), its caller and queued callers get
    /// [`Error::ActorStopped`], and the exit reason is
    /// [`ExitReason::Killed`], which linked actors receive.
    pub fn kill(&self) {
        self.erased().kill(ExitReason::Killed);
    }

    /// The same methods, but a one-way call to a full bounded mailbox waits
    /// for room instead of failing with [`Error::MailboxFull`]:
    /// `worker.wait_for_room().work(item).await?`. A request-reply waits for
    /// room, then for its answer, within one deadline.
    pub fn wait_for_room(&self) -> A::Methods<Patient<A>> {
        Methods::new(Patient {
            endpoint: self.endpoint().clone(),
        })
    }

    /// Waits until the actor has stopped and returns why.
    ///
    /// For an actor on another node this monitors it: a lost connection
    /// resolves it with [`ExitReason::NoConnection`].
    pub fn stopped(&self) -> Stopped {
        match self.target() {
            Target::Local(cell) => Stopped {
                waiting: Waiting::Local(cell.clone(), None),
            },
            Target::Remote(_) => Stopped {
                waiting: Waiting::Remote(crate::transport::watch_exit(self.erased())),
            },
        }
    }

    /// Whether the actor is still running. By the time you act on the
    /// answer it may have changed; use it for diagnostics, not decisions.
    /// For an actor on another node: whether its node is connected.
    pub fn is_alive(&self) -> bool {
        match self.target() {
            Target::Local(cell) => cell.core.exit_reason().is_none(),
            Target::Remote(remote) => remote.peer.is_connected(),
        }
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
        ActorRef {
            methods: Methods::new(self.endpoint().clone()),
        }
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
        match self.node_address() {
            None => write!(f, "ActorRef({}, {})", self.label(), self.id()),
            Some(node) => write!(f, "ActorRef({}, {}, {node})", self.label(), self.id()),
        }
    }
}

impl<A: Actor> fmt::Display for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.label(), f)
    }
}

/// Resolves with an actor's [`ExitReason`] once it has stopped.
///
/// Returned by [`ActorRef::stopped`].
///
/// # Cancel safety
///
/// Dropping it before the actor stops (a `select!`, a timeout) removes its
/// waker from the actor: a task that gives up waiting leaves nothing behind.
#[must_use = "futures do nothing unless awaited"]
pub struct Stopped {
    waiting: Waiting,
}

enum Waiting {
    /// The actor's cell, and this wait's key among its waiters.
    Local(Arc<dyn ErasedCell>, Option<u64>),
    Remote(crate::transport::ExitWatch),
}

impl Future for Stopped {
    type Output = ExitReason;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        match &mut self.waiting {
            Waiting::Local(cell, key) => cell.core().poll_exit(cx, key),
            Waiting::Remote(watch) => Pin::new(watch).poll(cx),
        }
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Waiting::Local(cell, Some(key)) = &self.waiting {
            cell.core().forget_waiter(*key);
        }
    }
}

/// Delivers calls to one actor, here or on another node: what an
/// [`ActorRef`] dispatches through.
#[doc(hidden)]
pub struct Endpoint<A: Actor> {
    target: Target<A>,
}

/// Where an endpoint's calls go.
pub(crate) enum Target<A: Actor> {
    /// An actor in this process: calls go to its mailbox.
    Local(Arc<Cell<A>>),
    /// An actor on another node: calls are encoded and handed to its peer.
    Remote(Arc<RemoteTarget>),
}

/// An actor on another node, as a reference made in `system` reaches it.
pub(crate) struct RemoteTarget {
    pub(crate) label: ActorLabel,
    pub(crate) peer: Arc<dyn Peer>,
    pub(crate) system: Arc<SystemShared>,
}

impl<A: Actor> Clone for Endpoint<A> {
    fn clone(&self) -> Self {
        Endpoint {
            target: match &self.target {
                Target::Local(cell) => Target::Local(cell.clone()),
                Target::Remote(remote) => Target::Remote(remote.clone()),
            },
        }
    }
}

impl RemoteTarget {
    /// Encodes `msg` with the actor's generated codec and sends it.
    fn send<A: Actor>(
        &self,
        kind: EventKind,
        method: &'static str,
        msg: A::Msg,
    ) -> Result<(), Error> {
        let trace = observe::remote_sent::<A>(&self.system, self.label, kind, method, &msg);
        crate::transport::with_scratch(|payload| {
            let call = A::encode_call(msg, payload)?;
            let answer = call.answer.map(|answer| answer.for_actor(self.label));
            self.peer
                .call(self.label.id(), call.method, payload, answer, trace)
        })
    }

    fn ask<A: Actor, Args, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let (reply, slot) = Reply::channel();
        let timeout = method.timeout.unwrap_or(self.system.config.default_timeout);
        match self.send::<A>(EventKind::Ask, method.name, make(args, reply)) {
            Ok(()) => Ask::sent(slot, self.label, method.name, timeout),
            Err(error) => Ask::failed(error, self.label, method.name),
        }
    }
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
    let (chain, awaiting) = current::outgoing_chain();
    if let Err(deadlock) = chain::check(&chain, label, method.name) {
        return Err(Ask::failed(deadlock, label, method.name));
    }
    let (reply, slot) = Reply::channel();
    let timeout = method
        .timeout
        .unwrap_or(cell.core.system.config.default_timeout);
    let envelope = observe::envelope(cell, EventKind::Ask, method.name, make(args, reply), chain);
    let ask = Ask::sent(slot, label, method.name, timeout).awaited_by(awaiting);
    Ok((envelope, ask))
}

impl<A: Actor> Endpoint<A> {
    /// Queues a one-way message built by the caller.
    pub(crate) fn push(&self, method: &'static str, msg: A::Msg) -> Result<(), Error> {
        match &self.target {
            Target::Local(cell) => {
                // A one-way message never blocks its sender, so it carries
                // no chain.
                let envelope = observe::envelope(cell, EventKind::Tell, method, msg, None);
                cell.mailbox
                    .push(envelope)
                    .map_err(|(refusal, _undelivered)| refused(cell, refusal, method))
            }
            Target::Remote(remote) => remote.send::<A>(EventKind::Tell, method, msg),
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
        self.push(method.name, make(args))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let cell = match &self.target {
            Target::Local(cell) => cell,
            Target::Remote(remote) => return remote.ask::<A, Args, R>(method, args, make),
        };
        let (envelope, ask) = match ask_envelope(cell, method, args, make) {
            Ok(sent) => sent,
            Err(failed) => return failed,
        };
        match cell.mailbox.push(envelope) {
            Ok(()) => ask,
            Err((refusal, _undelivered)) => Ask::failed(
                refused(cell, refusal, method.name),
                cell.core.label,
                method.name,
            ),
        }
    }
}

/// Delivers calls like [`Endpoint`], but waits for room in a full bounded
/// mailbox. From [`ActorRef::wait_for_room`].
#[doc(hidden)]
pub struct Patient<A: Actor> {
    endpoint: Endpoint<A>,
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
        let sending = match &self.endpoint.target {
            Target::Local(cell) => Sending::Waiting {
                cell: cell.clone(),
                envelope: Some(observe::envelope(
                    cell,
                    EventKind::Tell,
                    method.name,
                    make(args),
                    None,
                )),
            },
            // A remote mailbox's room is the remote node's business.
            Target::Remote(remote) => Sending::Sent(Some(remote.send::<A>(
                EventKind::Tell,
                method.name,
                make(args),
            ))),
        };
        SendWhenRoom {
            method: method.name,
            sending,
            waiting: None,
        }
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> AskWhenRoom<A, R> {
        let cell = match &self.endpoint.target {
            Target::Local(cell) => cell,
            Target::Remote(remote) => {
                return AskWhenRoom {
                    send: None,
                    ask: remote.ask::<A, Args, R>(method, args, make),
                };
            }
        };
        match ask_envelope(cell, method, args, make) {
            Ok((envelope, ask)) => AskWhenRoom {
                send: Some(SendWhenRoom {
                    method: method.name,
                    sending: Sending::Waiting {
                        cell: cell.clone(),
                        envelope: Some(envelope),
                    },
                    waiting: None,
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
    method: &'static str,
    sending: Sending<A>,
    /// The waker left with the mailbox while waiting for room, to take back
    /// if this is dropped first.
    waiting: Option<std::task::Waker>,
}

enum Sending<A: Actor> {
    Waiting {
        cell: Arc<Cell<A>>,
        envelope: Option<Envelope<A::Msg>>,
    },
    /// Sent already (to another node); the outcome, until taken.
    Sent(Option<Result<(), Error>>),
}

impl<A: Actor> Future for SendWhenRoom<A> {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match &mut this.sending {
            Sending::Waiting { cell, envelope } => match cell.mailbox.poll_push(envelope, cx) {
                Poll::Ready(outcome) => {
                    this.waiting = None;
                    Poll::Ready(
                        outcome
                            .map_err(|(refusal, _undelivered)| refused(cell, refusal, this.method)),
                    )
                }
                Poll::Pending => {
                    if !this
                        .waiting
                        .as_ref()
                        .is_some_and(|waker| waker.will_wake(cx.waker()))
                    {
                        this.waiting = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
            },
            Sending::Sent(outcome) => Poll::Ready(outcome.take().unwrap_or(Ok(()))),
        }
    }
}

impl<A: Actor> Drop for SendWhenRoom<A> {
    fn drop(&mut self) {
        // Woken for room but gone before using it: pass the turn on.
        if let (Some(waker), Sending::Waiting { cell, .. }) = (&self.waiting, &self.sending) {
            cell.mailbox.abandon_wait(waker);
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
    /// Overrides the deadline. It runs from the first poll and covers the
    /// wait for room as well as the wait for the answer.
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
            // The deadline runs while the request waits for room too: the
            // first poll of the answer starts it, and a timeout ends the
            // wait (dropping the request unsent).
            if let Poll::Ready(answer) = Pin::new(&mut this.ask).poll(cx) {
                this.send = None;
                return Poll::Ready(answer);
            }
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
