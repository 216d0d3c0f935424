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
//! #[actor(on_panic = "stop")]
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
//! over.
//!
//! # Semantics
//!
//! - Strategies: [`OneForOne`](Strategy::OneForOne) restarts the failed
//!   child; [`OneForAll`](Strategy::OneForAll) ends all others (in reverse
//!   start order) and restarts all (in start order);
//!   [`RestForOne`](Strategy::RestForOne) does that for the children started
//!   after the failed one.
//! - Restart types: [`Permanent`](Restart::Permanent) children are always
//!   restarted, [`Transient`](Restart::Transient) ones only after an
//!   abnormal exit (panic, error, kill), [`Temporary`](Restart::Temporary)
//!   ones never.
//! - Intensity: more than `max_restarts` restarts within `period` and the
//!   supervisor gives up: it ends all children and exits with
//!   [`ExitReason::Error`], which its own supervisor (or its links) sees.
//! - Ending a child asks its incarnation to stop (`Shutdown`) and waits up
//!   to the child's shutdown timeout, then kills it.
//! - A supervisor traps exits; an abnormal exit of a linked actor that is
//!   not its child (its parent, say) ends it, children first.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::actor::{Actor, Handled, Handler, Outcome};
use crate::ask::Reply;
use crate::cell::{Cell, Decision, ErasedCell};
use crate::context::Context;
use crate::dispatch::{Dispatch, MethodInfo, Methods};
use crate::error::Error;
use crate::exit::ExitReason;
use crate::id::ActorId;
use crate::reference::ActorRef;
use crate::runner::Birth;
use crate::signal::Exit;
use crate::spawn::Spawner;
use crate::system::SystemHandle;

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
    /// After an abnormal exit (panic, error, kill), not after a normal one.
    Transient,
    /// Never.
    Temporary,
}

impl Restart {
    fn wants(self, reason: &ExitReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => matches!(
                reason,
                ExitReason::Panicked(_) | ExitReason::Error(_) | ExitReason::Killed
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
    /// `factory()`. Permanent, with a 5 s shutdown timeout, unless changed.
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
        ChildSpec {
            name: name.into(),
            restart: Restart::Permanent,
            shutdown: Duration::from_secs(5),
            start,
        }
    }

    /// When this child is restarted.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// How long ending this child may take before it is killed.
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
    /// (3 in 5 s by default, as in OTP).
    pub fn intensity(mut self, max_restarts: usize, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// Adds a child; children start in the order added.
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
            children: self
                .children
                .into_iter()
                .map(|spec| Child {
                    spec,
                    cell: None,
                    last_id: None,
                    ignore_exits: 0,
                })
                .collect(),
            restarts: VecDeque::new(),
        }
    }

    /// Spawns the supervisor in the current system; it starts its children
    /// before it takes its first message.
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
    /// The child's cell while it runs (the same across restarts).
    cell: Option<Arc<dyn ErasedCell>>,
    /// The id of the child's last cell, to recognise its exit signals after
    /// it has been ended.
    last_id: Option<ActorId>,
    /// Exit signals this supervisor caused and must not treat as failures.
    ignore_exits: usize,
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

    fn start(&mut self, index: usize, ctx: &Context<Self>) -> Result<(), Error> {
        let system = ctx.system();
        let me = ctx.erased_cell();
        let child = &mut self.children[index];
        let cell = (child.spec.start)(&system, &me)?;
        child.last_id = Some(cell.core().id());
        child.cell = Some(cell);
        child.ignore_exits = 0;
        Ok(())
    }

    /// Brings a running child's incarnation to its end (it then waits for
    /// a decision), within its shutdown timeout, else by a kill.
    async fn end(&mut self, index: usize) {
        let child = &mut self.children[index];
        let Some(cell) = child.cell.clone() else {
            return;
        };
        if cell.core().is_deciding() || cell.core().exit_reason().is_some() {
            return;
        }
        // Its incarnation's exit signal is ours, not a failure.
        child.ignore_exits += 1;
        cell.end_incarnation();
        let ended = poll_fn(|cx| cell.core().poll_incarnation_end(cx));
        if tokio::time::timeout(child.spec.shutdown, ended)
            .await
            .is_err()
        {
            cell.kill(ExitReason::Killed);
            poll_fn(|cx| cell.core().poll_incarnation_end(cx)).await;
        }
    }

    /// Ends a child for good.
    async fn terminate(&mut self, index: usize) {
        self.end(index).await;
        let child = &mut self.children[index];
        if let Some(cell) = child.cell.take() {
            if cell.core().is_deciding() {
                // Its final exit signal is ours too.
                child.ignore_exits += 1;
                cell.core().decide(Decision::Exit(ExitReason::Shutdown));
            }
        }
    }

    fn restart(&mut self, index: usize) {
        if let Some(cell) = &self.children[index].cell {
            if cell.core().is_deciding() {
                cell.core().decide(Decision::Restart);
            }
        }
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

    async fn terminate_all(&mut self) {
        for index in (0..self.children.len()).rev() {
            self.terminate(index).await;
        }
    }

    /// A linked actor exited: a child's failure, or something else.
    async fn exited(&mut self, ctx: &mut Context<Self>, exit: Exit) {
        let Some(index) = self.index_of(exit.actor.id()) else {
            // Not a child: a parent's abnormal exit ends us too. A signal
            // left over from a previous incarnation of this supervisor (from
            // children it no longer has) comes from an actor it is no longer
            // linked to, and is ignored.
            if exit.reason.is_abnormal() && ctx.erased_cell().core().is_linked_to(exit.actor.id()) {
                ctx.stop_with(exit.reason);
            }
            return;
        };
        let child = &mut self.children[index];
        if child.ignore_exits > 0 {
            child.ignore_exits -= 1;
            return;
        }
        let Some(cell) = child.cell.clone() else {
            return;
        };
        if cell.core().exit_reason().is_some() {
            // Gone for good without our decision (killed while waiting).
            child.cell = None;
            return;
        }
        if !cell.core().is_deciding() {
            // A stale signal: this incarnation was already dealt with.
            return;
        }
        let restart = child.spec.restart;
        if !restart.wants(&exit.reason) || ctx.system().is_shutting_down() {
            child.ignore_exits += 1;
            child.cell = None;
            cell.core().decide(Decision::Exit(exit.reason));
            return;
        }
        if !self.allow_restart() {
            tracing::error!(
                supervisor = %ctx.myself(),
                child = %exit.actor,
                "too many restarts; the supervisor gives up"
            );
            self.terminate_all().await;
            ctx.stop_with(ExitReason::Error(format!(
                "more than {} restarts within {:?}",
                self.max_restarts, self.period
            )));
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
        for &member in &group {
            if member != index && self.children[member].spec.restart == Restart::Temporary {
                self.terminate(member).await;
            } else {
                self.restart(member);
            }
        }
    }
}

/// The running children of a supervisor, from [`children`](SupervisorMethods::children).
#[derive(Clone)]
pub struct Children {
    children: Vec<ChildInfo>,
}

impl Children {
    /// The running child named `name`, as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchChild`] if no child of that name runs,
    /// [`Error::WrongType`] if it is not an `A`.
    pub fn get<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, Error> {
        let child = self
            .children
            .iter()
            .find(|child| child.name == name)
            .ok_or_else(|| Error::NoSuchChild {
                name: name.to_owned(),
            })?;
        child.actor()
    }

    /// Every child, in start order.
    pub fn iter(&self) -> std::slice::Iter<'_, ChildInfo> {
        self.children.iter()
    }

    /// How many children the supervisor has (running or not).
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

/// One child of a supervisor.
#[derive(Clone)]
pub struct ChildInfo {
    name: String,
    cell: Option<Arc<dyn ErasedCell>>,
}

impl ChildInfo {
    /// The child's name in its spec.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its id, if it runs.
    pub fn id(&self) -> Option<ActorId> {
        self.cell.as_ref().map(|cell| cell.core().id())
    }

    /// Whether it runs (a restarting child counts as running).
    pub fn is_running(&self) -> bool {
        self.cell
            .as_ref()
            .is_some_and(|cell| cell.core().exit_reason().is_none())
    }

    /// The child as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchChild`] if it does not run, [`Error::WrongType`] if
    /// it is not an `A`.
    pub fn actor<A: Actor>(&self) -> Result<ActorRef<A>, Error> {
        let Some(cell) = self.cell.clone() else {
            return Err(Error::NoSuchChild {
                name: self.name.clone(),
            });
        };
        let found = cell.core().label.type_name();
        cell.into_any()
            .downcast::<Cell<A>>()
            .map(ActorRef::from_cell)
            .map_err(|_| Error::WrongType {
                name: self.name.clone(),
                expected: A::NAME,
                found,
            })
    }
}

impl std::fmt::Debug for ChildInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildInfo")
            .field("name", &self.name)
            .field("id", &self.id())
            .field("running", &self.is_running())
            .finish()
    }
}

#[doc(hidden)]
pub enum SupervisorMsg {
    Children(Reply<Children>),
    StartChild(ChildSpec, Reply<Result<(), Error>>),
    RestartChild(String, Reply<Result<(), Error>>),
    TerminateChild(String, Reply<Result<(), Error>>),
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type Methods<D: Dispatch<Self>> = SupervisorMethods<D>;
    const NAME: &'static str = "Supervisor";
}

impl Handler for Supervisor {
    const PANIC_POLICY: Option<crate::PanicPolicy> = Some(crate::PanicPolicy::Stop);
    const HAS_ON_START: bool = true;
    const HAS_ON_STOP: bool = true;

    fn handle<'a>(&'a mut self, msg: SupervisorMsg, ctx: &'a mut Context<Self>) -> Handled<'a> {
        Handled::Pending(Box::pin(self.serve(msg, ctx)))
    }

    fn on_start(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), String>> + Send {
        ctx.trap_exit(true);
        let started = (0..self.children.len()).try_for_each(|index| self.start(index, ctx));
        async move { started.map_err(|error| format!("a child could not start: {error}")) }
    }

    fn on_stop(
        &mut self,
        _ctx: &mut Context<Self>,
        _reason: &ExitReason,
    ) -> impl Future<Output = ()> + Send {
        self.terminate_all()
    }

    fn on_exit(&mut self, ctx: &mut Context<Self>, exit: Exit) -> impl Future<Output = ()> + Send {
        self.exited(ctx, exit)
    }
}

impl Supervisor {
    async fn serve(&mut self, msg: SupervisorMsg, ctx: &mut Context<Self>) -> Outcome {
        match msg {
            SupervisorMsg::Children(reply) => {
                let children = Children {
                    children: self
                        .children
                        .iter()
                        .map(|child| ChildInfo {
                            name: child.spec.name.clone(),
                            cell: child.cell.clone(),
                        })
                        .collect(),
                };
                crate::__private::ask("children", reply, || children)
            }
            SupervisorMsg::StartChild(spec, reply) => {
                let result = self.start_child(spec, ctx);
                crate::__private::ask("start_child", reply, || result)
            }
            SupervisorMsg::RestartChild(name, reply) => {
                let result = self.restart_child(&name, ctx).await;
                crate::__private::ask("restart_child", reply, || result)
            }
            SupervisorMsg::TerminateChild(name, reply) => {
                let result = match self.index_named(&name) {
                    Ok(index) => {
                        self.terminate(index).await;
                        Ok(())
                    }
                    Err(error) => Err(error),
                };
                crate::__private::ask("terminate_child", reply, || result)
            }
        }
    }
}

impl Supervisor {
    fn start_child(&mut self, spec: ChildSpec, ctx: &Context<Self>) -> Result<(), Error> {
        if self.index_named(&spec.name).is_ok() {
            return Err(Error::NameTaken {
                name: spec.name,
                holder: ctx.myself_label(),
            });
        }
        self.children.push(Child {
            spec,
            cell: None,
            last_id: None,
            ignore_exits: 0,
        });
        let index = self.children.len() - 1;
        let started = self.start(index, ctx);
        if started.is_err() {
            self.children.pop();
        }
        started
    }

    async fn restart_child(&mut self, name: &str, ctx: &Context<Self>) -> Result<(), Error> {
        let index = self.index_named(name)?;
        if self.children[index].cell.is_none() {
            return self.start(index, ctx);
        }
        self.end(index).await;
        self.restart(index);
        Ok(())
    }
}

/// The methods of an `ActorRef<Supervisor>`.
pub struct SupervisorMethods<D> {
    dispatch: D,
    _not_constructible: PhantomData<()>,
}

impl<D: Dispatch<Supervisor>> Methods<Supervisor, D> for SupervisorMethods<D> {
    fn new(dispatch: D) -> Self {
        SupervisorMethods {
            dispatch,
            _not_constructible: PhantomData,
        }
    }

    fn dispatch(&self) -> &D {
        &self.dispatch
    }
}

const fn method(name: &'static str) -> MethodInfo {
    MethodInfo {
        name,
        timeout: None,
    }
}

impl<D: Dispatch<Supervisor>> SupervisorMethods<D> {
    /// The children, in start order; [`Children::get`] gives a typed
    /// reference.
    pub fn children(&self) -> D::Ask<(), Children> {
        self.dispatch.ask(method("children"), (), |(), reply| {
            SupervisorMsg::Children(reply)
        })
    }

    /// Adds and starts a child (OTP's `start_child/2`); it is last in the
    /// start order. Fails if a child of that name exists.
    pub fn start_child(&self, spec: ChildSpec) -> D::Ask<(ChildSpec,), Result<(), Error>> {
        self.dispatch
            .ask(method("start_child"), (spec,), |(spec,), reply| {
                SupervisorMsg::StartChild(spec, reply)
            })
    }

    /// Restarts the child named `name` (starts it if it had ended). Manual
    /// restarts do not count toward the intensity.
    pub fn restart_child(&self, name: String) -> D::Ask<(String,), Result<(), Error>> {
        self.dispatch
            .ask(method("restart_child"), (name,), |(name,), reply| {
                SupervisorMsg::RestartChild(name, reply)
            })
    }

    /// Ends the child named `name` for good (until `restart_child`).
    pub fn terminate_child(&self, name: String) -> D::Ask<(String,), Result<(), Error>> {
        self.dispatch
            .ask(method("terminate_child"), (name,), |(name,), reply| {
                SupervisorMsg::TerminateChild(name, reply)
            })
    }
}
