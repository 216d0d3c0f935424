//! The state a system shares with every cell: `SystemShared` (actor table,
//! names, helpers, the transport, shutdown flags), its `Config`, [`Mode`],
//! and the default durations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::base::{ActorId, ActorLabel, NodeId};
use crate::cell::{ActorTable, ErasedCell, Registry};
use crate::host::{Clock, Executor, TaskHandle};
use crate::wire::{RemoteRelations, Resolver};

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
    /// A deterministic simulation: every actor (threads-mode ones too) is
    /// a task on the thread that runs the system, time is virtual and
    /// jumps to the next timer when nothing can run, and `seed` decides
    /// which ready task runs next. The same program with the same seed
    /// runs the same way every time; other seeds try other interleavings.
    /// See `docs/SIMULATION.md`.
    Simulated {
        /// Decides every choice the scheduler makes.
        seed: u64,
    },
}

/// Settings fixed when a system starts.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) mode: Mode,
    pub(crate) workers: Option<usize>,
    pub(crate) default_timeout: Duration,
    pub(crate) shutdown_grace: Duration,
    /// What every wait of the system reads and sleeps on.
    pub(crate) clock: Clock,
    /// How a simulation picks the next task.
    pub(crate) exploration: crate::host::Exploration,
    /// The most a simulation delays a task's wake-up.
    pub(crate) jitter: Duration,
    /// Whether actors time their methods and count `Err` answers.
    pub(crate) metrics: bool,
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
            clock: Clock::real(),
            exploration: crate::host::Exploration::Random,
            jitter: Duration::ZERO,
            metrics: false,
        }
    }
}

/// Where a thread finds its system. Filled once the system exists: the
/// runtime's threads start (and record the slot) before that.
pub(crate) type Slot = Arc<OnceLock<Weak<SystemShared>>>;

thread_local! {
    /// The slot of the system whose runtime this thread belongs to (a
    /// worker, or a thread of its blocking pool), or null: read per ask, so
    /// a plain pointer with no destructor.
    static WORKS_FOR: std::cell::Cell<*const OnceLock<Weak<SystemShared>>> =
        const { std::cell::Cell::new(std::ptr::null()) };
}

/// Marks this thread as one of `slot`'s system's runtime threads (`None`:
/// no longer).
pub(crate) fn work_for(slot: Option<&Slot>) {
    WORKS_FOR.set(slot.map_or(std::ptr::null(), Arc::as_ptr));
}

/// State shared by a system's handles, actors and threads.
pub(crate) struct SystemShared {
    pub(crate) node: NodeId,
    pub(crate) config: Config,
    /// Starts every task and thread of the system.
    pub(crate) executor: Executor,
    pub(crate) slot: Slot,
    pub(crate) next_local: AtomicU64,
    next_monitor: AtomicU64,
    pub(crate) table: ActorTable,
    pub(crate) registry: Registry,
    /// Links and monitors that cross to other nodes.
    pub(crate) remote_relations: RemoteRelations,
    /// The network layer, once a node runs on this system.
    transport: RwLock<Option<Arc<dyn Resolver>>>,
    /// Non-actors that remote signals address by id (see `add_helper`).
    helpers: Mutex<HashMap<u64, Arc<dyn ErasedCell>>>,
    /// Set once a recorder is installed (`observe`).
    pub(crate) recorder: crate::observe::Installed,
    /// Held while the system measures (`SystemBuilder::metrics`).
    _measuring: Option<crate::observe::Measuring>,
    /// Started actors that have not exited.
    pub(crate) live: AtomicUsize,
    pub(crate) stopping: AtomicBool,
    idle: Mutex<()>,
    idle_changed: Condvar,
    pub(crate) shutdown_requested: AtomicBool,
    pub(crate) shutdown_notify: Notify,
}

impl SystemShared {
    /// Whether this thread is one of this system's runtime threads, where
    /// its actors' code may run (a caller may run an idle callee's request
    /// itself there: see `call::Help`).
    #[inline]
    pub(crate) fn runs_here(&self) -> bool {
        WORKS_FOR.get() == Arc::as_ptr(&self.slot)
    }

    /// The state of a new system: no actors, no names, no transport.
    /// `slot` is the weak self-reference the runtime's threads read, set
    /// by the caller once the `Arc` exists.
    pub(crate) fn new(config: Config, executor: Executor, slot: Slot) -> Self {
        let node = match &executor {
            // Drawn from the seed, so that a run's ids are its seed's.
            Executor::Simulated { simulation, .. } => NodeId::from_u64(simulation.draw()),
            Executor::Tokio(_) => NodeId::random(),
        };
        let measuring = config.metrics.then(crate::observe::Measuring::start);
        SystemShared {
            node,
            config,
            executor,
            slot,
            next_local: AtomicU64::new(1),
            next_monitor: AtomicU64::new(1),
            table: ActorTable::new(),
            registry: Registry::default(),
            remote_relations: RemoteRelations::default(),
            transport: RwLock::new(None),
            helpers: Mutex::new(HashMap::new()),
            recorder: crate::observe::Installed::default(),
            _measuring: measuring,
            live: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
            idle: Mutex::new(()),
            idle_changed: Condvar::new(),
            shutdown_requested: AtomicBool::new(false),
            shutdown_notify: Notify::new(),
        }
    }

    /// Starts a dormant actor's task.
    pub(crate) fn start_task(&self, life: impl Future<Output = ()> + Send + 'static) {
        self.executor.start(life);
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

    /// Runs a helper task (a timer, say) on the system's executor.
    pub(crate) fn spawn_task(&self, task: impl Future<Output = ()> + Send + 'static) -> TaskHandle {
        self.executor.spawn(task)
    }

    /// The system's clock.
    pub(crate) fn clock(&self) -> &Clock {
        &self.config.clock
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
    ///
    /// This is the host waiting for its threads (shutdown blocks in it),
    /// so `grace` is real time whatever the system's clock: a manual or
    /// simulated clock would stand still while the waiting thread blocks.
    pub(crate) fn wait_idle(&self, grace: Duration) -> bool {
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
