//! References to actors: typed ([`ActorRef`]) and of any type ([`AnyRef`]).

mod any;
mod endpoint;
mod patient;

pub use any::{AnyRef, AsAnyRef};
pub use endpoint::Endpoint;
pub(crate) use endpoint::Target;
pub use patient::{AskWhenRoom, Patient, SendWhenRoom};

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use endpoint::RemoteTarget;

use crate::actor::{Actor, Cell, Methods};
use crate::base::{ActorId, ActorLabel, ExitReason};
use crate::cell::{ErasedCell, RemoteCell, SystemShared};
use crate::wire::Peer;

/// A typed reference to an actor of type `A`.
///
/// Calling a method of `A` on it sends that method as a message: a `#[tell]`
/// method returns `Result<(), Error>` at once, a `#[ask]` method returns an
/// [`Ask`](crate::Ask) to await. Only `A`'s exported methods are offered — a reference
/// to a `Counter` has `Counter`'s methods and nothing else.
///
/// References are cheap to clone (one atomic increment), compare and hash
/// by actor id, and print as `Counter#3`. Holding one does not keep the
/// actor alive, and dropping all of them does not stop it: an actor runs
/// until it stops itself, is stopped, or its system shuts down.
///
/// Clippy's `mutable_key_type` lint mistakes references for mutable keys
/// (it sees the shared mailbox behind them); they hash by their immutable
/// id, so add `ignore-interior-mutability = ["actium_core::actor::reference::ActorRef"]`
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// assert!(counter.label().to_string().starts_with("Counter#"));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn label(&self) -> ActorLabel {
        match self.target() {
            Target::Local(cell) => cell.core.label,
            Target::Remote(remote) => remote.label,
        }
    }

    /// The actor's globally unique id.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// assert_eq!(counter.id(), counter.clone().id());
    /// assert_ne!(counter.id(), Counter::default().spawn().id());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn id(&self) -> ActorId {
        self.label().id()
    }

    /// Whether the actor runs in this process (as opposed to on another
    /// node).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// assert!(counter.is_local());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_local(&self) -> bool {
        matches!(self.target(), Target::Local(_))
    }

    /// The address of the node the actor runs on, if it is another node.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// assert_eq!(counter.node_address(), None); // it runs in this process
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn node_address(&self) -> Option<&str> {
        match self.target() {
            Target::Local(_) => None,
            Target::Remote(remote) => Some(remote.peer.address()),
        }
    }

    /// Asks the actor to stop after the message it is handling.
    ///
    /// Messages still queued are not handled; their callers get
    /// [`Error::ActorStopped`](crate::Error::ActorStopped). The actor's `#[on_stop]` hook runs and its
    /// exit reason is [`ExitReason::Stopped`]. Stopping a stopped actor does
    /// nothing. Returns at once; await [`stopped`](ActorRef::stopped) to
    /// wait for the end.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// counter.stop();
    /// assert_eq!(counter.stopped().await, ExitReason::Stopped);
    /// assert!(counter.incr().is_err());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn stop(&self) {
        self.erased().request_stop(ExitReason::Stopped);
    }

    /// Stops the actor now (Erlang's `exit(Pid, kill)`): the method it is
    /// running is abandoned at its next await (a method that never awaits
    /// runs to its end first), its caller and queued callers get
    /// [`Error::ActorStopped`](crate::Error::ActorStopped), and the exit reason is
    /// [`ExitReason::Killed`], which linked actors receive.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// counter.kill();
    /// assert_eq!(counter.stopped().await, ExitReason::Killed);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn kill(&self) {
        self.erased().kill(ExitReason::Killed);
    }

    /// The same methods, but a one-way call to a full bounded mailbox waits
    /// for room instead of failing with [`Error::MailboxFull`](crate::Error::MailboxFull):
    /// `worker.wait_for_room().work(item).await?`. A request-reply waits for
    /// room, then for its answer, within one deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawner().capacity(1).spawn();
    /// for _ in 0..3 {
    ///     // Waits while the one-message mailbox is full, where
    ///     // `counter.incr()` could fail with `Error::MailboxFull`.
    ///     counter.wait_for_room().incr().await?;
    /// }
    /// assert_eq!(counter.wait_for_room().get().await?, 3);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn wait_for_room(&self) -> A::Methods<Patient<A>> {
        Methods::new(Patient {
            endpoint: self.endpoint().clone(),
        })
    }

    /// Waits until the actor has stopped and returns why.
    ///
    /// For an actor on another node this monitors it: a lost connection
    /// resolves it with [`ExitReason::NoConnection`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// counter.stop();
    /// assert_eq!(counter.stopped().await, ExitReason::Stopped);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// The returned [`Stopped`] may be dropped before it resolves (in a
    /// `select!`, under a timeout); the actor is not affected.
    pub fn stopped(&self) -> Stopped {
        match self.target() {
            Target::Local(cell) => Stopped {
                waiting: Waiting::Local(cell.clone(), None),
            },
            Target::Remote(_) => Stopped {
                waiting: Waiting::Remote(crate::cell::watch_exit(self.erased())),
            },
        }
    }

    /// Whether the actor is still running. By the time you act on the
    /// answer it may have changed; use it for diagnostics, not decisions.
    /// For an actor on another node: whether its node is connected.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let counter = Counter::default().spawn();
    /// assert!(counter.is_alive());
    /// counter.stop();
    /// counter.stopped().await;
    /// assert!(!counter.is_alive());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    Remote(crate::cell::ExitWatch),
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
