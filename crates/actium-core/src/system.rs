//! Systems: the runtime that actors live in.
//!
//! A [`System`] owns a Tokio multi-threaded runtime, the table of live
//! actors and the configuration (execution model, default deadline,
//! shutdown grace). [`SystemHandle`] is a cheap clone of it that code inside
//! the system finds ambiently: actors, the main future of
//! [`launch`](crate::launch) and the runtime's own threads all know their
//! system, which is how `Counter::default().spawn()` knows where to go.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::actor::{Actor, Handler};
use crate::cell::{Cell, CellCore, ErasedCell};
use crate::error::Error;
use crate::exit::ExitReason;
use crate::id::{ActorId, ActorLabel, NodeId};
use crate::reference::ActorRef;
use crate::registry::Registry;
use crate::runner::{self, Birth};
use crate::spawn::{SpawnOptions, Spawner};
use crate::table::ActorTable;
use crate::transport::{RemoteRelations, Resolver};

/// How actors execute. Chosen once, at start-up; the same actor code and
/// caller code run under both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Actors are lightweight tasks on a work-stealing pool of worker
    /// threads (one per core by default): many actors, real multi-core.
    #[default]
    Tasks,
    /// Each actor has an OS thread of its own. A method may block its
    /// thread without stalling any other actor.
    Threads,
}

/// Settings fixed when a system starts.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) mode: Mode,
    pub(crate) workers: Option<usize>,
    pub(crate) default_timeout: Duration,
    pub(crate) shutdown_grace: Duration,
}

/// The default deadline of every request-reply call: 5 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long shutdown waits for actors to finish their current method before
/// abandoning them: 5 seconds by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Tasks,
            workers: None,
            default_timeout: DEFAULT_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Where a thread finds its system. Filled once the system exists: the
/// runtime's threads start (and record the slot) before that.
type Slot = Arc<OnceLock<Weak<SystemShared>>>;

thread_local! {
    static CURRENT: RefCell<Option<Slot>> = const { RefCell::new(None) };
}

/// State shared by a system's handles, actors and threads.
pub(crate) struct SystemShared {
    pub(crate) node: NodeId,
    pub(crate) config: Config,
    runtime: Handle,
    slot: Slot,
    next_local: AtomicU64,
    next_monitor: AtomicU64,
    table: ActorTable,
    pub(crate) registry: Registry,
    /// Links and monitors that cross to other nodes.
    pub(crate) remote_relations: RemoteRelations,
    /// The network layer, once a node runs on this system.
    transport: RwLock<Option<Arc<dyn Resolver>>>,
    /// Non-actors that remote signals address by id (see `add_helper`).
    helpers: Mutex<HashMap<u64, Arc<dyn ErasedCell>>>,
    /// Set once a recorder is installed (`observe`).
    pub(crate) recorder: crate::observe::Installed,
    /// Started actors that have not exited.
    live: AtomicUsize,
    stopping: AtomicBool,
    idle: Mutex<()>,
    idle_changed: Condvar,
    shutdown_requested: AtomicBool,
    shutdown_notify: Notify,
}

impl SystemShared {
    /// Starts a method actor. On failure the returned reference is to an
    /// actor that has already stopped, so it is still safe to use.
    pub(crate) fn spawn<A: Handler>(
        self: &Arc<Self>,
        birth: Birth<A>,
        options: SpawnOptions,
    ) -> Result<ActorRef<A>, (ActorRef<A>, Error)> {
        let policy = options.on_panic.or(A::PANIC_POLICY);
        let mode = options.mode.unwrap_or(self.config.mode);
        // A supervised child is started at once: its supervisor waits for
        // it to start before it starts the next.
        let dormant = mode == Mode::Tasks && !A::HAS_ON_START && options.supervisor.is_none();
        self.spawn_with(options, move |cell| {
            if A::TRAPS_EXITS {
                // Before anyone can link to it.
                cell.core.set_trap_exits(true);
            }
            if dormant {
                // Nothing to run before its first message: the actor waits
                // as a cell, and its task starts when mail (or a signal)
                // arrives.
                cell.mailbox.park(runner::dormant(birth, cell, policy));
                return None;
            }
            Some(runner::run(birth, cell.clone(), policy))
        })
    }

    /// Creates a cell for an `A`, sets up its relations, registers it, and
    /// starts the future `start` makes for it under the chosen model. When
    /// `start` makes none, it has parked the actor as dormant (tasks mode
    /// only): a waker in its mailbox starts it on the first delivery.
    pub(crate) fn spawn_with<A, F, Fut>(
        self: &Arc<Self>,
        options: SpawnOptions,
        start: F,
    ) -> Result<ActorRef<A>, (ActorRef<A>, Error)>
    where
        A: Actor,
        F: FnOnce(&Arc<Cell<A>>) -> Option<Fut>,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let local = self.next_local.fetch_add(1, Ordering::Relaxed);
        let label = ActorLabel::new(ActorId::new(self.node, local), A::NAME);
        let cell = Arc::new(Cell::<A>::new(label, self.clone(), options.capacity));
        let actor_ref = ActorRef::from_cell(cell.clone());
        // Made (or parked) before anyone can see the cell, so that no
        // delivery can come before it.
        let life = start(&cell);
        let erased: Arc<dyn ErasedCell> = cell.clone();
        // Relations exist before the actor runs, so it cannot exit unseen.
        if let Some(supervisor) = &options.supervisor {
            cell.core.set_supervisor(supervisor.clone());
            cell.core.set_parent(supervisor.core().id());
            CellCore::link(&erased, supervisor);
        }
        if let Some(parent) = &options.linked_to {
            cell.core.set_parent(parent.core().id());
            CellCore::link(&erased, parent);
        }

        if self.stopping.load(Ordering::SeqCst) {
            crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
            cell.core.exited(ExitReason::Shutdown);
            return Err((actor_ref, Error::ShuttingDown));
        }
        self.live.fetch_add(1, Ordering::SeqCst);
        self.table.insert(local, erased);
        // Shutdown may have begun between the check above and the insert and
        // missed this actor in its sweep; then stop it here.
        if self.stopping.load(Ordering::SeqCst) {
            cell.request_stop(ExitReason::Shutdown);
        }

        let Some(life) = life else {
            return Ok(actor_ref);
        };
        match options.mode.unwrap_or(self.config.mode) {
            Mode::Tasks => {
                self.runtime.spawn(life);
            }
            Mode::Threads => {
                let runtime = self.runtime.clone();
                let slot = self.slot.clone();
                let started = std::thread::Builder::new()
                    .name(format!("actium-{label}"))
                    .spawn(move || {
                        let _enter = enter_slot(slot);
                        runtime.block_on(life);
                    });
                if let Err(error) = started {
                    crate::cell::drop_contained(
                        cell.mailbox.close(),
                        cell.core.label,
                        "queued messages",
                    );
                    cell.core.exited(ExitReason::Error(format!(
                        "could not start its thread: {error}"
                    )));
                    return Err((actor_ref, Error::Startup(Arc::new(error))));
                }
            }
        }
        Ok(actor_ref)
    }

    /// Starts a dormant actor's task.
    pub(crate) fn start_task(&self, life: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(life);
    }

    /// Registers a helper that signals must find by id, such as the
    /// watcher behind a remote `stopped()`: not an actor, so it is neither
    /// counted nor listed with them.
    pub(crate) fn add_helper<H: ErasedCell>(
        self: &Arc<Self>,
        make: impl FnOnce(ActorLabel) -> H,
    ) -> Arc<H> {
        let local = self.next_local.fetch_add(1, Ordering::Relaxed);
        let helper = Arc::new(make(ActorLabel::new(
            ActorId::new(self.node, local),
            "ExitWatch",
        )));
        self.helpers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(local, helper.clone());
        helper
    }

    /// Removes a helper registered by [`add_helper`](Self::add_helper).
    pub(crate) fn remove_helper(&self, local: u64) {
        let removed = self
            .helpers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&local);
        drop(removed);
    }

    /// The live actor with this local number.
    pub(crate) fn cell(&self, local: u64) -> Option<Arc<dyn ErasedCell>> {
        self.table.get(local).or_else(|| {
            self.helpers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&local)
                .cloned()
        })
    }

    /// Attaches a network layer unless one is attached; returns whether it
    /// was.
    pub(crate) fn attach_transport(&self, resolver: Arc<dyn Resolver>) -> bool {
        let mut transport = self
            .transport
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if transport.is_some() {
            return false;
        }
        *transport = Some(resolver);
        true
    }

    pub(crate) fn set_transport(&self, resolver: Option<Arc<dyn Resolver>>) {
        *self
            .transport
            .write()
            .unwrap_or_else(PoisonError::into_inner) = resolver;
    }

    /// The network layer, if a node runs on this system.
    pub(crate) fn transport(&self) -> Option<Arc<dyn Resolver>> {
        self.transport
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn next_monitor(&self) -> u64 {
        self.next_monitor.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs a helper task (a timer, say) on the system's runtime.
    pub(crate) fn spawn_task(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> AbortHandle {
        self.runtime.spawn(task).abort_handle()
    }

    /// Removes an exited actor from the table and the live count.
    pub(crate) fn forget(&self, id: ActorId) {
        if !self.table.remove(id.local()) {
            return;
        }
        if self.live.fetch_sub(1, Ordering::SeqCst) == 1 && self.stopping.load(Ordering::SeqCst) {
            let _idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            self.idle_changed.notify_all();
        }
    }

    /// Waits until no actor is live, up to `grace`; returns whether none is.
    fn wait_idle(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while self.live.load(Ordering::SeqCst) > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            idle = self
                .idle_changed
                .wait_timeout(idle, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// A cheap, clonable handle to a running system.
#[derive(Clone)]
pub struct SystemHandle {
    shared: Arc<SystemShared>,
}

impl SystemHandle {
    pub(crate) fn from_shared(shared: Arc<SystemShared>) -> Self {
        SystemHandle { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<SystemShared> {
        &self.shared
    }

    /// The system running on this thread.
    ///
    /// # Panics
    ///
    /// Panics if there is none; see [`try_current`](SystemHandle::try_current).
    pub fn current() -> Self {
        match Self::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The system running on this thread: inside an actor, the main future
    /// of [`launch`](crate::launch), a task on the system's runtime, or
    /// after [`System::enter`].
    ///
    /// # Errors
    ///
    /// [`Error::NoSystem`] anywhere else.
    pub fn try_current() -> Result<Self, Error> {
        CURRENT
            .with_borrow(|slot| slot.as_ref()?.get()?.upgrade())
            .map(SystemHandle::from_shared)
            .ok_or(Error::NoSystem)
    }

    /// Starts `actor` in this system with default options.
    pub fn spawn<A: Handler>(&self, actor: A) -> ActorRef<A> {
        Spawner::new(actor).system(self).spawn()
    }

    /// Registers `actor` under `name` in this system, until it exits or the
    /// name is unregistered.
    ///
    /// # Errors
    ///
    /// [`Error::NameTaken`] if another actor holds the name,
    /// [`Error::AlreadyNamed`] if this actor already has a name (one at
    /// most, as in Erlang),
    /// [`Error::InvalidName`] if the name is empty or contains `/`,
    /// [`Error::ActorStopped`] if the actor has exited.
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        self.shared.registry.register(name, actor.erased())
    }

    /// Removes a name; returns whether it was registered.
    pub fn unregister(&self, name: &str) -> bool {
        self.shared.registry.unregister(name)
    }

    /// The actor registered under `name`, as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] if no actor holds the name,
    /// [`Error::WrongType`] if the actor there is not an `A`.
    pub fn whereis<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, Error> {
        self.shared.registry.lookup(name)
    }

    /// Every registered name, sorted.
    pub fn registered(&self) -> Vec<String> {
        self.shared.registry.names()
    }

    /// This system's node id, the first half of every actor id in it.
    pub fn node(&self) -> NodeId {
        self.shared.node
    }

    /// The execution model actors get unless their spawner says otherwise.
    pub fn mode(&self) -> Mode {
        self.shared.config.mode
    }

    /// The deadline of request-replies that set none of their own.
    pub fn default_timeout(&self) -> Duration {
        self.shared.config.default_timeout
    }

    /// How many actors are running.
    pub fn actor_count(&self) -> usize {
        self.shared.table.len()
    }

    /// The running actors at this moment, by id.
    pub fn actors(&self) -> Vec<ActorLabel> {
        let mut actors: Vec<ActorLabel> = self
            .shared
            .table
            .snapshot()
            .iter()
            .map(|cell| cell.core().label)
            .collect();
        actors.sort_by_key(ActorLabel::id);
        actors
    }

    /// The actor registered under `name`, whatever its type.
    pub fn registered_label(&self, name: &str) -> Option<ActorLabel> {
        self.shared.registry.label_of(name)
    }

    /// Every registered name with the actor holding it, sorted by name.
    pub fn registered_actors(&self) -> Vec<(String, ActorLabel)> {
        self.shared.registry.entries()
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Asks a [`serve_forever`](crate::serve_forever) system to shut down, as
    /// SIGINT or SIGTERM would. Returns at once.
    pub fn request_shutdown(&self) {
        self.shared.shutdown_requested.store(true, Ordering::SeqCst);
        self.shared.shutdown_notify.notify_one();
    }

    /// Resolves once [`request_shutdown`](SystemHandle::request_shutdown) has
    /// been called.
    pub async fn shutdown_requested(&self) {
        while !self.shared.shutdown_requested.load(Ordering::SeqCst) {
            self.shared.shutdown_notify.notified().await;
        }
    }
}

impl std::fmt::Debug for SystemHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemHandle")
            .field("node", &self.shared.node)
            .field("mode", &self.shared.config.mode)
            .finish_non_exhaustive()
    }
}

/// Makes `system` the current system of this thread until the guard drops.
///
/// Returned by [`System::enter`].
#[must_use = "the system is current only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Slot>,
    // The guard restores a thread-local, so it must stay on its thread.
    _not_send: PhantomData<*const ()>,
}

fn enter_slot(slot: Slot) -> EnterGuard {
    let previous = CURRENT.with_borrow_mut(|current| current.replace(slot));
    EnterGuard {
        previous,
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with_borrow_mut(|current| *current = previous);
    }
}

/// An actor system: a runtime for actors, owned by the code that started it.
///
/// Most programs never touch this type: [`launch`](crate::launch) and
/// [`serve_forever`](crate::serve_forever) start a system, run a future in
/// it and shut it down. Use it directly to host actors from plain,
/// non-async code:
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[actor]
/// impl Greeter {
///     #[ask]
///     fn greet(&self, name: String) -> String {
///         format!("hello, {name}")
///     }
/// }
///
/// let system = System::builder().mode(Mode::Threads).start()?;
/// let greeter = system.spawn(Greeter);
/// assert_eq!(greeter.greet("ada".into()).wait()?, "hello, ada");
/// system.shutdown();
/// # Ok::<(), actium::Error>(())
/// ```
pub struct System {
    handle: SystemHandle,
    runtime: Option<Runtime>,
}

impl System {
    /// Starts configuring a system.
    pub fn builder() -> SystemBuilder {
        SystemBuilder {
            config: Config::default(),
        }
    }

    /// A handle to this system.
    pub fn handle(&self) -> &SystemHandle {
        &self.handle
    }

    /// Starts `actor` in this system with default options.
    pub fn spawn<A: Handler>(&self, actor: A) -> ActorRef<A> {
        self.handle.spawn(actor)
    }

    /// Makes this the current system of the calling thread until the guard
    /// drops, so `Actor::spawn` works there.
    pub fn enter(&self) -> EnterGuard {
        enter_slot(self.handle.shared.slot.clone())
    }

    /// Runs `future` to completion on the calling thread, inside this
    /// system, and returns its output.
    ///
    /// # Panics
    ///
    /// Panics if called from async code (inside a runtime), as Tokio's
    /// `block_on` does.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = self.enter();
        match &self.runtime {
            Some(runtime) => runtime.block_on(future),
            // `runtime` is taken only by shutdown, which consumes `self`.
            None => unreachable!("system used after shutdown"),
        }
    }

    /// Shuts the system down gracefully and waits for it.
    ///
    /// Every actor is asked to stop after its current method (exit reason
    /// [`ExitReason::Shutdown`]) — except supervised children, which their
    /// supervisors terminate in reverse start order, as an OTP application
    /// stops its supervision tree; callers of queued requests get
    /// [`Error::ActorStopped`]; `on_stop` hooks run. Actors that have not
    /// finished within the shutdown grace (5 s unless configured) are
    /// killed, which abandons their methods at their next await (their
    /// callers get [`Error::ActorStopped`] too), and a warning is logged;
    /// one that never awaits is abandoned after a further 100 ms. Dropping
    /// a `System` does the same.
    ///
    /// A shutdown that has waited a second says why, in one line on
    /// standard error (or as a `tracing` warning where a subscriber is
    /// installed) naming each actor still running and its method:
    ///
    /// ```text
    /// actium: shutdown is waiting for 1 actor(s) to finish: Gate#1 in `hold`; they are killed in 4s (SystemBuilder::shutdown_grace)
    /// ```
    ///
    /// The waits, in order: the shutdown grace for actors to stop (5 s
    /// unless set with [`SystemBuilder::shutdown_grace`]), 100 ms for killed
    /// actors to reach an await, then up to 500 ms for work on the blocking
    /// pool ([`blocking`](crate::blocking)), which cannot be cancelled.
    ///
    /// It blocks the calling thread. Called from async code (a task of
    /// another runtime), the waiting happens on a helper thread, so it does
    /// not panic as dropping a Tokio runtime there would; called from one of
    /// this system's own actors or tasks, it asks everything to stop and
    /// returns without waiting.
    pub fn shutdown(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        let shared = self.handle.shared.clone();
        // A node attached to this system holds it; let go of each other.
        shared.set_transport(None);
        shared.stopping.store(true, Ordering::SeqCst);
        shared.shutdown_requested.store(true, Ordering::SeqCst);
        shared.shutdown_notify.notify_one();
        for cell in shared.table.snapshot() {
            // Supervisors stop their children, in reverse start order; a
            // child that outlived its supervisor (it traps exits) is
            // stopped like any actor.
            let supervised = cell
                .core()
                .supervisor()
                .is_some_and(|supervisor| supervisor.core().exit_reason().is_none());
            if !supervised {
                cell.request_stop(ExitReason::Shutdown);
            }
        }
        let in_async_code = Handle::try_current().is_ok();
        let on_our_threads = in_async_code
            && CURRENT.with_borrow(|slot| {
                slot.as_ref()
                    .is_some_and(|slot| Arc::ptr_eq(slot, &shared.slot))
            });
        if on_our_threads {
            // Waiting here would wait for ourselves.
            runtime.shutdown_background();
            shared.table.clear();
            shared.registry.clear();
            return;
        }
        let finish = move || {
            let grace = shared.config.shutdown_grace;
            let notice = grace.min(SHUTDOWN_NOTICE);
            let stopped = shared.wait_idle(notice) || {
                if grace > notice {
                    say_what_shutdown_waits_for(&shared.table.snapshot(), grace - notice);
                }
                shared.wait_idle(grace - notice)
            };
            if !stopped {
                // Past the grace, kill what is left: the methods they run are
                // abandoned at their next await, so their callers are
                // answered. (The runtime would drop a task anyway, but an
                // actor on a thread of its own would wait for ever.)
                let late = shared.table.snapshot();
                tracing::warn!(
                    grace = ?shared.config.shutdown_grace,
                    actors = ?labels(&late),
                    "actors did not stop within the shutdown grace and were killed"
                );
                for cell in late {
                    cell.kill(ExitReason::Shutdown);
                }
                if !shared.wait_idle(crate::supervisor::KILL_GRACE) {
                    tracing::warn!(
                        actors = ?labels(&shared.table.snapshot()),
                        "actors did not honour a kill (they never await) and were abandoned"
                    );
                }
            }
            // Blocking work (spawn_blocking) cannot be cancelled; do not
            // wait on it for long.
            runtime.shutdown_timeout(Duration::from_millis(500));
            shared.table.clear();
            shared.registry.clear();
        };
        if in_async_code {
            // Inside another runtime, where blocking waits and dropping a
            // runtime panic: wait on a thread of our own.
            let helper = std::thread::Builder::new()
                .name("actium-shutdown".into())
                .spawn(finish);
            match helper {
                Ok(helper) => {
                    if helper.join().is_err() {
                        tracing::error!("the system's shutdown panicked");
                    }
                }
                Err(error) => tracing::error!(%error, "could not start a thread to shut down"),
            }
        } else {
            finish();
        }
    }
}

/// How long shutdown waits quietly before it says what it waits for.
const SHUTDOWN_NOTICE: Duration = Duration::from_secs(1);

/// Says, in one line, which actors a shutdown still waits for and what they
/// run: on standard error, or as a warning where a `tracing` subscriber is
/// installed (a program that logs gets it in its log, one that does not
/// still sees why it has not exited).
fn say_what_shutdown_waits_for(cells: &[Arc<dyn ErasedCell>], more: Duration) {
    if cells.is_empty() {
        return;
    }
    let waiting: Vec<String> = cells
        .iter()
        .map(|cell| match cell.doing() {
            Some(doing) => format!("{} in `{doing}`", cell.core().label),
            None => cell.core().label.to_string(),
        })
        .collect();
    let line = format!(
        "shutdown is waiting for {} actor(s) to finish: {}; they are killed in {:?} \
         (SystemBuilder::shutdown_grace)",
        cells.len(),
        waiting.join(", "),
        more
    );
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{line}");
    } else {
        eprintln!("actium: {line}");
    }
}

/// The labels of `cells`, for logs.
fn labels(cells: &[Arc<dyn ErasedCell>]) -> Vec<String> {
    cells
        .iter()
        .map(|cell| cell.core().label.to_string())
        .collect()
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// Configures and starts a [`System`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until started"]
pub struct SystemBuilder {
    config: Config,
}

impl SystemBuilder {
    /// The execution model for actors ([`Mode::Tasks`] by default).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.mode = mode;
        self
    }

    /// The number of runtime worker threads (default: one per core). In
    /// threads mode these run timers and helper tasks, not actors.
    pub fn workers(mut self, workers: usize) -> Self {
        self.config.workers = Some(workers.max(1));
        self
    }

    /// The deadline of request-replies that set none of their own
    /// ([`DEFAULT_TIMEOUT`] unless set).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.config.default_timeout = timeout;
        self
    }

    /// How long shutdown waits for actors ([`DEFAULT_SHUTDOWN_GRACE`] unless
    /// set).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// Starts the system.
    ///
    /// # Errors
    ///
    /// [`Error::Startup`] if the runtime's threads cannot be created.
    pub fn start(self) -> Result<System, Error> {
        let slot: Slot = Arc::new(OnceLock::new());
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all().thread_name("actium-worker");
        if let Some(workers) = self.config.workers {
            builder.worker_threads(workers);
        }
        let thread_slot = slot.clone();
        builder.on_thread_start(move || {
            CURRENT.with_borrow_mut(|current| *current = Some(thread_slot.clone()));
            crate::deadline::enable_batching();
        });
        // A worker about to sleep hands its held-back deadlines to the
        // sweeper, so none waits on a sleeping thread.
        builder.on_thread_park(crate::deadline::publish);
        builder.on_thread_stop(|| CURRENT.with_borrow_mut(|current| *current = None));
        let runtime = builder
            .build()
            .map_err(|error| Error::Startup(Arc::new(error)))?;

        let shared = Arc::new(SystemShared {
            node: NodeId::random(),
            config: self.config,
            runtime: runtime.handle().clone(),
            slot: slot.clone(),
            next_local: AtomicU64::new(1),
            next_monitor: AtomicU64::new(1),
            table: ActorTable::new(),
            registry: Registry::default(),
            remote_relations: RemoteRelations::default(),
            transport: RwLock::new(None),
            helpers: Mutex::new(HashMap::new()),
            recorder: crate::observe::Installed::default(),
            live: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            idle: Mutex::new(()),
            idle_changed: Condvar::new(),
            shutdown_requested: AtomicBool::new(false),
            shutdown_notify: Notify::new(),
        });
        // A fresh `OnceLock` was created above, so this set cannot fail.
        let _ = slot.set(Arc::downgrade(&shared));
        Ok(System {
            handle: SystemHandle::from_shared(shared),
            runtime: Some(runtime),
        })
    }
}
