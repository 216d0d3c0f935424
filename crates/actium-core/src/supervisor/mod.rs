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
//!   supervised actor is to stop, see [`PanicPolicy`](crate::PanicPolicy)),
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

use std::any::TypeId;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::actor::{Actor, Handler};
use crate::cell::{Decision, ErasedCell, Waiter};
use crate::context::Context;
use crate::error::Error;
use crate::exit::ExitReason;
use crate::id::ActorId;
use crate::reference::ActorRef;
use crate::runner::Birth;
use crate::signal::Exit;
use crate::spawn::Spawner;
use crate::system::SystemHandle;

pub use children::{ChildInfo, Children};
pub use methods::SupervisorMethods;
#[doc(hidden)]
pub use methods::SupervisorMsg;

/// How long a child killed after its shutdown timeout gets to honour the
/// kill (at its next await) before its supervisor abandons it.
pub const KILL_GRACE: Duration = Duration::from_millis(100);

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
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// How long terminating this child may take before it is killed
    /// (`Duration::ZERO`: OTP's `brutal_kill`, a kill with no stop request
    /// first, so `on_stop` does not run; `Duration::MAX`: wait as long as it
    /// takes).
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
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Gives up after more than `max_restarts` restarts within `period`
    /// (3 in 5 s by default, as in Elixir; OTP's default is 1 in 5 s).
    pub fn intensity(mut self, max_restarts: usize, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// Adds a child; children start in the order added. Names must be
    /// unique: a supervisor given two children of one name fails to start.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// The supervisor's state, to spawn yourself or to use in a
    /// [`ChildSpec`] factory for a nested supervisor.
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
}

impl Child {
    fn new(spec: ChildSpec) -> Self {
        Child {
            spec,
            cell: None,
            last_id: None,
        }
    }
}

/// Resolves once `cell`'s current incarnation got past `on_start`, or
/// with the reason it ended first.
async fn started(cell: &Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
    let mut waiter = Waiter::new(cell.core());
    poll_fn(|cx| waiter.poll_started(cx)).await
}

/// Resolves once `cell`'s current incarnation has ended.
async fn ended(cell: &Arc<dyn ErasedCell>) {
    let mut waiter = Waiter::new(cell.core());
    poll_fn(|cx| waiter.poll_incarnation_end(cx)).await;
}

impl Supervisor {
    /// Starts configuring a supervisor.
    pub fn builder() -> SupervisorBuilder {
        SupervisorBuilder {
            strategy: Strategy::OneForOne,
            max_restarts: 3,
            period: Duration::from_secs(5),
            children: Vec::new(),
        }
    }

    fn index_of(&self, id: ActorId) -> Option<usize> {
        self.children
            .iter()
            .position(|child| child.last_id == Some(id))
    }

    fn index_named(&self, name: &str) -> Result<usize, Error> {
        self.children
            .iter()
            .position(|child| child.spec.name == name)
            .ok_or_else(|| Error::NoSuchChild {
                name: name.to_owned(),
            })
    }

    /// Starts the children in order, each once the previous has started.
    async fn start_all(&mut self, ctx: &mut Context<Self>) -> Result<(), String> {
        for (index, child) in self.children.iter().enumerate() {
            let name = &child.spec.name;
            if self.children[..index].iter().any(|c| c.spec.name == *name) {
                return Err(format!("two children are named `{name}`"));
            }
        }
        for index in 0..self.children.len() {
            if let Err(reason) = self.start(index, ctx).await {
                let name = self.children[index].spec.name.clone();
                self.terminate_all().await;
                return Err(format!("child `{name}` failed to start: {reason}"));
            }
        }
        Ok(())
    }

    /// Spawns child `index` in a new cell and waits until it got past its
    /// `on_start`. One that ends first stays down with its own reason,
    /// which is returned.
    async fn start(&mut self, index: usize, ctx: &Context<Self>) -> Result<(), ExitReason> {
        let (system, me) = (ctx.system(), ctx.erased_cell());
        let child = &mut self.children[index];
        let cell = (child.spec.start)(&system, &me)
            .map_err(|error| ExitReason::Error(error.to_string()))?;
        child.last_id = Some(cell.core().id());
        child.cell = Some(cell.clone());
        let result = started(&cell).await;
        if result.is_err() {
            self.children[index].cell = None;
            cell.core().conclude();
        }
        result
    }

    /// Brings a running child's incarnation to its end (it then waits for
    /// a decision): a stop request, then after its shutdown timeout a kill,
    /// then after [`KILL_GRACE`] abandonment. A zero timeout kills at once.
    async fn end(&mut self, index: usize) {
        let child = &self.children[index];
        let Some(cell) = child.cell.clone() else {
            return;
        };
        if !cell.core().is_running() {
            return;
        }
        // OTP's `brutal_kill` is `exit(Child, kill)` with no `shutdown`
        // first: a stop request would let the child stop gracefully (and
        // run `on_stop`) in the moment a zero timeout takes to elapse.
        if !child.spec.shutdown.is_zero() {
            cell.end_incarnation();
            if tokio::time::timeout(child.spec.shutdown, ended(&cell))
                .await
                .is_ok()
            {
                return;
            }
        }
        cell.kill_incarnation();
        if tokio::time::timeout(KILL_GRACE, ended(&cell))
            .await
            .is_err()
        {
            tracing::warn!(
                child = %cell.core().label,
                "the child did not honour a kill (it never awaits); abandoned"
            );
            cell.abandon(ExitReason::Killed);
        }
    }

    /// Ends a child for good: it exits with the reason its incarnation
    /// ended with.
    async fn terminate(&mut self, index: usize) {
        self.end(index).await;
        if let Some(cell) = self.children[index].cell.take() {
            cell.core().conclude();
        }
    }

    /// Terminates every child, in reverse start order.
    async fn terminate_all(&mut self) {
        for index in (0..self.children.len()).rev() {
            self.terminate(index).await;
        }
    }

    /// Starts an ended child's next incarnation and waits until it got past
    /// its `on_start`. If it fails to, it waits for a decision again and
    /// its exit signal, queued meanwhile, counts as a new failure.
    async fn restart(&mut self, index: usize, ctx: &Context<Self>) {
        let Some(cell) = self.children[index].cell.clone() else {
            return;
        };
        if cell.core().exit_reason().is_some() {
            // Abandoned, so its cell is gone: a new one.
            let _ = self.start(index, ctx).await;
            return;
        }
        cell.core().decide(Decision::Restart);
        let _ = started(&cell).await;
    }

    /// Records one restart; returns whether the intensity still allows it.
    fn allow_restart(&mut self) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while self
            .restarts
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.period)
        {
            self.restarts.pop_front();
        }
        self.restarts.len() <= self.max_restarts
    }

    /// A linked actor's exit signal: a child's failure, the parent's exit,
    /// or something to ignore.
    async fn exited(&mut self, ctx: &mut Context<Self>, exit: Exit) {
        let Some(index) = self.index_of(exit.actor.id()) else {
            if ctx.parent() == Some(exit.actor.id()) {
                ctx.stop_with(exit.reason);
            }
            return;
        };
        let child = &mut self.children[index];
        let Some(cell) = child.cell.clone() else {
            // Terminated already: its final exit.
            return;
        };
        if cell.core().exit_reason().is_some() {
            // Gone for good without a decision of ours (killed while it
            // waited for one).
            child.cell = None;
            if child.spec.restart == Restart::Temporary {
                self.children.remove(index);
            }
            return;
        }
        // Decide about the incarnation's own end: the signal may be an
        // older one (a child ended by this supervisor and restarted since).
        let Some(reason) = cell.core().undecided_reason() else {
            return;
        };
        let restart = child.spec.restart;
        if !restart.wants(&reason) || ctx.system().is_shutting_down() {
            child.cell = None;
            cell.core().conclude();
            if restart == Restart::Temporary {
                self.children.remove(index);
            }
            return;
        }
        if !self.allow_restart() {
            tracing::error!(
                supervisor = %ctx.myself(),
                child = %exit.actor,
                "too many restarts; the supervisor gives up"
            );
            self.children[index].cell = None;
            cell.core().conclude();
            self.terminate_all().await;
            ctx.stop_with(ExitReason::Shutdown);
            return;
        }
        let group: Vec<usize> = match self.strategy {
            Strategy::OneForOne => vec![index],
            Strategy::OneForAll => (0..self.children.len()).collect(),
            Strategy::RestForOne => (index..self.children.len()).collect(),
        };
        for &other in group.iter().rev().filter(|&&other| other != index) {
            self.end(other).await;
        }
        let mut forgotten = Vec::new();
        for &member in &group {
            if member != index && self.children[member].spec.restart == Restart::Temporary {
                self.terminate(member).await;
                forgotten.push(member);
            } else {
                self.restart(member, ctx).await;
            }
        }
        for member in forgotten.into_iter().rev() {
            self.children.remove(member);
        }
    }

    /// Adds and starts a child (OTP's `start_child/2`).
    async fn start_child(&mut self, spec: ChildSpec, ctx: &Context<Self>) -> Result<(), Error> {
        if self.index_named(&spec.name).is_ok() {
            return Err(Error::NameTaken {
                name: spec.name,
                holder: ctx.myself_label(),
            });
        }
        self.children.push(Child::new(spec));
        let index = self.children.len() - 1;
        match self.start(index, ctx).await {
            Ok(()) => Ok(()),
            Err(reason) => {
                let child = self.children.remove(index);
                Err(Error::ChildStart {
                    name: child.spec.name,
                    reason,
                })
            }
        }
    }

    /// Starts a terminated child again (OTP's `restart_child/2`).
    async fn restart_child(&mut self, name: &str, ctx: &Context<Self>) -> Result<(), Error> {
        let index = self.index_named(name)?;
        if self.children[index].cell.is_some() {
            return Err(Error::ChildRunning {
                name: name.to_owned(),
            });
        }
        self.start(index, ctx)
            .await
            .map_err(|reason| Error::ChildStart {
                name: name.to_owned(),
                reason,
            })
    }

    /// Terminates a child (OTP's `terminate_child/2`); a temporary one is
    /// forgotten.
    async fn terminate_child(&mut self, name: &str) -> Result<(), Error> {
        let index = self.index_named(name)?;
        self.terminate(index).await;
        if self.children[index].spec.restart == Restart::Temporary {
            self.children.remove(index);
        }
        Ok(())
    }

    /// Forgets a terminated child (OTP's `delete_child/2`).
    fn delete_child(&mut self, name: &str) -> Result<(), Error> {
        let index = self.index_named(name)?;
        if self.children[index].cell.is_some() {
            return Err(Error::ChildRunning {
                name: name.to_owned(),
            });
        }
        self.children.remove(index);
        Ok(())
    }

    fn children_view(&self) -> Children {
        Children::new(
            self.children
                .iter()
                .map(|child| ChildInfo::new(child.spec.name.clone(), child.cell.clone()))
                .collect(),
        )
    }
}
