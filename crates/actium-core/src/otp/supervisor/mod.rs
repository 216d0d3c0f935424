//! Supervisors, as in Erlang/OTP: actors that start children, watch them,
//! and restart them by a strategy.
//!
//! ```
//! use std::time::Duration;
//!
//! use actium::prelude::*;
//! use actium::supervisor::{ChildSpec, Strategy, Supervisor};
//!
//! #[derive(Default)]
//! struct Worker {
//!     jobs: u32,
//! }
//!
//! #[actor]
//! impl Worker {
//!     #[ask]
//!     fn work(&mut self, fail: bool) -> u32 {
//!         assert!(!fail, "bad job");
//!         self.jobs += 1;
//!         self.jobs
//!     }
//! }
//!
//! actium::launch(Mode::Tasks, async {
//!     let supervisor = Supervisor::builder()
//!         .strategy(Strategy::OneForOne)
//!         .intensity(3, Duration::from_secs(5))
//!         .child(ChildSpec::new("worker", Worker::default))
//!         .spawn();
//!     let worker = supervisor.children().await?.get::<Worker>("worker")?;
//!     assert_eq!(worker.work(false).await?, 1);
//!     assert!(worker.work(true).await.is_err()); // panics: restarted
//!     // The same reference reaches the new incarnation, with fresh state.
//!     assert_eq!(worker.work(false).await?, 1);
//!     Ok::<(), actium::Error>(())
//! })?;
//! # Ok::<(), actium::Error>(())
//! ```
//!
//! # How references survive restarts
//!
//! A child is spawned once, with a factory instead of a state. When an
//! incarnation ends, the child's cell — its id, mailbox and registered
//! names — stays; the supervisor decides, and a restart builds a fresh state
//! from the factory *inside the same cell*. So every `ActorRef` to the
//! child, and every name it is registered under, reaches the new
//! incarnation, and messages queued during the restart are handled by it
//! (Akka's model; Erlang gives restarted children new pids). Links and
//! monitors of the old incarnation fire as for an exit and are not carried
//! over; monitors the old incarnation held are removed. A child terminated
//! for good and started again (`restart_child` after `terminate_child`) is
//! a new actor with a new id, as in Erlang.
//!
//! # Semantics
//!
//! As OTP's `supervisor`, with the departures listed in
//! `docs/ARCHITECTURE.md`:
//!
//! - Start: children start one at a time, in the order added; each must
//!   get past its `on_start` before the next starts. If one fails to start
//!   (its factory panics or its `on_start` fails), the children started so
//!   far are terminated in reverse order and the supervisor exits with
//!   [`ExitReason::Error`] naming the child: its own start fails.
//! - A child's panic ends its incarnation (the default panic policy of a
//!   supervised actor is to stop, see [`PanicPolicy`](crate::actor::PanicPolicy)),
//!   and so do `ctx.stop()`, `ctx.fail(..)`, a kill, and an exit signal from
//!   a linked actor.
//! - Strategies: [`OneForOne`](Strategy::OneForOne) restarts the failed
//!   child; [`OneForAll`](Strategy::OneForAll) terminates all others (in
//!   reverse start order) and restarts all (in start order, one at a time);
//!   [`RestForOne`](Strategy::RestForOne) does that for the failed child and
//!   those started after it. Only children that were running are restarted:
//!   one that had ended for good stays down. A child that fails to start
//!   again counts as a new failure.
//! - Restart types: [`Permanent`](Restart::Permanent) children are always
//!   restarted, [`Transient`](Restart::Transient) ones only after an
//!   abnormal exit (anything but normal, stopped and shutdown),
//!   [`Temporary`](Restart::Temporary) ones never — and a temporary child is
//!   forgotten once it has ended.
//! - Intensity: more than `max_restarts` restarts within `period` and the
//!   supervisor gives up: it terminates the other children in reverse start
//!   order and exits with [`ExitReason::Shutdown`], which its own supervisor
//!   (or its links) sees. The child that failed last keeps its own reason.
//! - Terminating a child asks its incarnation to stop (reason `Shutdown`)
//!   and waits up to the child's shutdown timeout, then kills it (reason
//!   `Killed`). A kill takes effect at the child's next await; one that
//!   never comes (a method looping without awaiting) is waited for
//!   [`KILL_GRACE`] more, then the child is *abandoned*: it counts as
//!   exited with `Killed` at once, while its thread or task runs on until
//!   the method returns.
//! - A supervisor traps exits. The exit signal of its *parent* — the actor
//!   that spawned it linked (`ctx.spawn_link`), or its own supervisor —
//!   ends it with the parent's reason, children first; exit signals from
//!   other linked actors are ignored, as in OTP. Stopping a supervisor
//!   (`stop()`, or its system shutting down) terminates its children in
//!   reverse start order before it exits.

mod children;
mod methods;
mod restart;

use std::any::TypeId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::actor::{Actor, ActorRef, Birth, Handler, Spawner};
use crate::base::{ActorId, Error, ExitReason};
use crate::cell::ErasedCell;
use crate::runtime::SystemHandle;

pub use crate::runtime::KILL_GRACE;
pub use children::{ChildInfo, Children};
pub use methods::SupervisorMethods;
#[doc(hidden)]
pub use methods::SupervisorMsg;

/// Which children a supervisor restarts when one fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only the failed child.
    #[default]
    OneForOne,
    /// Every child.
    OneForAll,
    /// The failed child and those started after it.
    RestForOne,
}

/// When a child is restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Always.
    #[default]
    Permanent,
    /// After an abnormal exit: anything but [`Normal`](ExitReason::Normal),
    /// [`Stopped`](ExitReason::Stopped) and [`Shutdown`](ExitReason::Shutdown)
    /// (OTP's `normal`, `shutdown` and `{shutdown, _}`).
    Transient,
    /// Never; the child is forgotten once it has ended.
    Temporary,
}

impl Restart {
    fn wants(self, reason: &ExitReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => !matches!(
                reason,
                ExitReason::Normal | ExitReason::Stopped | ExitReason::Shutdown
            ),
            Restart::Temporary => false,
        }
    }
}

/// Starts a child under a supervisor; returns its cell.
type Start = Box<
    dyn FnMut(&SystemHandle, &Arc<dyn ErasedCell>) -> Result<Arc<dyn ErasedCell>, Error> + Send,
>;

/// How to start, and restart, one child.
pub struct ChildSpec {
    name: String,
    restart: Restart,
    shutdown: Duration,
    start: Start,
}

impl ChildSpec {
    /// A child named `name` whose every incarnation starts from
    /// `factory()`. Permanent unless changed; its shutdown timeout is 5 s,
    /// or unlimited if the child is itself a [`Supervisor`] (as in OTP), so
    /// that it can terminate its own children first.
    ///
    /// A supervisor is itself an actor, so trees nest:
    /// `ChildSpec::new("sub", || Supervisor::builder().child(..).build())`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     // A nested supervisor, with a worker of its own.
    ///     .child(ChildSpec::new("team", || {
    ///         Supervisor::builder().child(ChildSpec::new("member", Worker::default)).build()
    ///     }))
    ///     .spawn();
    /// assert_eq!(supervisor.children().await?.len(), 2);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn new<A: Handler>(
        name: impl Into<String>,
        factory: impl FnMut() -> A + Send + 'static,
    ) -> Self {
        let factory = Arc::new(Mutex::new(factory));
        let start: Start = Box::new(move |system, supervisor| {
            let factory = factory.clone();
            let birth = Birth::Factory(Box::new(move || {
                // A panicking factory poisons the lock but leaves it usable.
                let mut factory = factory.lock().unwrap_or_else(PoisonError::into_inner);
                (*factory)()
            }));
            Spawner::born(birth)
                .system(system)
                .supervised_by(supervisor.clone())
                .try_spawn()
                .map(|child| child.erased())
        });
        let shutdown = if TypeId::of::<A>() == TypeId::of::<Supervisor>() {
            Duration::MAX
        } else {
            Duration::from_secs(5)
        };
        ChildSpec {
            name: name.into(),
            restart: Restart::Permanent,
            shutdown,
            start,
        }
    }

    /// When this child is restarted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("job", Worker::default).restart(Restart::Transient))
    ///     .spawn();
    /// supervisor.children().await?.get::<Worker>("job")?.ping().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// How long terminating this child may take before it is killed
    /// (`Duration::ZERO`: OTP's `brutal_kill`, a kill with no stop request
    /// first, so `on_stop` does not run; `Duration::MAX`: wait as long as it
    /// takes).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let spec = ChildSpec::new("worker", Worker::default).shutdown(Duration::from_secs(1));
    /// let supervisor = Supervisor::builder().child(spec).spawn();
    /// supervisor.stop();
    /// supervisor.stopped().await;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn shutdown(mut self, timeout: Duration) -> Self {
        self.shutdown = timeout;
        self
    }
}

impl std::fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildSpec")
            .field("name", &self.name)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Supervisor`].
#[derive(Debug)]
#[must_use = "a builder does nothing until built or spawned"]
pub struct SupervisorBuilder {
    strategy: Strategy,
    max_restarts: usize,
    period: Duration,
    children: Vec<ChildSpec>,
}

impl SupervisorBuilder {
    /// The restart strategy ([`Strategy::OneForOne`] by default).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .strategy(Strategy::OneForAll)
    ///     .child(ChildSpec::new("a", Worker::default))
    ///     .child(ChildSpec::new("b", Worker::default))
    ///     .spawn();
    /// assert_eq!(supervisor.children().await?.len(), 2);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Gives up after more than `max_restarts` restarts within `period`
    /// (3 in 5 s by default, as in Elixir; OTP's default is 1 in 5 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .intensity(10, Duration::from_secs(60)) // at most 10 restarts a minute
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// supervisor.children().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn intensity(mut self, max_restarts: usize, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// Adds a child; children start in the order added. Names must be
    /// unique: a supervisor given two children of one name fails to start.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let worker = supervisor.children().await?.get::<Worker>("worker")?;
    /// worker.ping().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// The supervisor's state, to spawn yourself or to use in a
    /// [`ChildSpec`] factory for a nested supervisor.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// // The state, spawned with options like any actor.
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .build()
    ///     .spawner()
    ///     .capacity(100)
    ///     .spawn();
    /// supervisor.children().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn build(self) -> Supervisor {
        Supervisor {
            strategy: self.strategy,
            max_restarts: self.max_restarts,
            period: self.period,
            children: self.children.into_iter().map(Child::new).collect(),
            restarts: VecDeque::new(),
        }
    }

    /// Spawns the supervisor in the current system. It starts its children
    /// before it takes its first message, so the first call on it (say
    /// `children()`) is answered once they have all started — or fails
    /// with [`Error::ActorStopped`] if one could not start, and
    /// [`stopped`](ActorRef::stopped) gives the reason.
    ///
    /// # Panics
    ///
    /// Panics if no Actium system runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// assert_eq!(supervisor.children().await?.len(), 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn(self) -> ActorRef<Supervisor> {
        self.build().spawn()
    }
}

/// An actor that starts children and restarts them when they fail.
pub struct Supervisor {
    strategy: Strategy,
    max_restarts: usize,
    period: Duration,
    children: Vec<Child>,
    restarts: VecDeque<Instant>,
}

struct Child {
    spec: ChildSpec,
    /// The child's cell while it runs or waits for a decision (the same
    /// across restarts).
    cell: Option<Arc<dyn ErasedCell>>,
    /// The id of the child's last cell, to recognise its exit signals after
    /// it has been terminated.
    last_id: Option<ActorId>,
    /// How many times this supervisor restarted it.
    restarts: u32,
    /// Why its last incarnation ended; `None` until one has.
    last_exit: Option<ExitReason>,
}

impl Child {
    fn new(spec: ChildSpec) -> Self {
        Child {
            spec,
            cell: None,
            last_id: None,
            restarts: 0,
            last_exit: None,
        }
    }
}

impl Supervisor {
    /// Starts configuring a supervisor.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// assert_eq!(supervisor.children().await?.len(), 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            strategy: Strategy::OneForOne,
            max_restarts: 3,
            period: Duration::from_secs(5),
            children: Vec::new(),
        }
    }
}
