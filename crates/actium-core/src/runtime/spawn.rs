//! Spawning: starting an actor's loop on the system's runtime
//! (`SystemShared::spawn`), the [`Spawner`](crate::Spawner)'s `spawn`,
//! `try_spawn` and `system`, and `Context::spawn_link`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::handle::enter_slot;
use crate::actor::{Actor, ActorRef, Birth, Cell, Context, Handler, SpawnOptions, Spawner};
use crate::base::{ActorId, ActorLabel, Error, ExitReason};
use crate::cell::{CellCore, ErasedCell, Mode, SystemShared};
use crate::runtime::{SystemHandle, runner};

impl<A: Actor> Context<A> {
    /// Spawns `actor` in this actor's system and links it to this actor,
    /// atomically: the child cannot exit unnoticed before the link exists.
    ///
    /// # Errors
    ///
    /// As [`Spawner::try_spawn`](crate::actor::Spawner::try_spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// struct Worker;
    ///
    /// #[actor]
    /// impl Worker {
    ///     #[ask]
    ///     fn ping(&self) {}
    /// }
    ///
    /// struct Boss;
    ///
    /// #[actor]
    /// impl Boss {
    ///     /// A worker that lives and dies with this boss.
    ///     #[ask]
    ///     fn hire(&self, ctx: &mut Context<Self>) -> Result<ActorRef<Worker>, Error> {
    ///         ctx.spawn_link(Worker)
    ///     }
    /// }
    ///
    /// actium::launch(Mode::Tasks, async {
    ///     let boss = Boss.spawn();
    ///     let worker = boss.hire().await??;
    ///     worker.ping().await?;
    ///     Ok::<(), Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn spawn_link<B: Handler>(&self, actor: B) -> Result<ActorRef<B>, Error> {
        crate::actor::Spawner::new(actor)
            .system(&self.system())
            .linked_to(self.erased_cell())
            .try_spawn()
    }
}

impl<A: Handler> Spawner<A> {
    /// Spawns into `system` instead of the current one.
    ///
    /// # Examples
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// struct Echo;
    ///
    /// #[actor]
    /// impl Echo {
    ///     #[ask]
    ///     fn echo(&self, text: String) -> String {
    ///         text
    ///     }
    /// }
    ///
    /// // From plain code that is in no system.
    /// let system = actium::System::builder().start()?;
    /// let echo = Echo.spawner().system(system.handle()).spawn();
    /// assert_eq!(echo.echo("hi".into()).wait()?, "hi");
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn system(mut self, system: &SystemHandle) -> Self {
        self.system = Some(system.shared().clone());
        self
    }

    /// Starts the actor and returns its reference.
    ///
    /// If the system is shutting down, or (threads mode) the OS refuses a
    /// new thread, the failure is logged and the reference is to an actor
    /// that has already stopped: calls to it fail with
    /// [`Error::ActorStopped`], and [`ActorRef::stopped`] gives the reason.
    /// Use [`try_spawn`](Spawner::try_spawn) to handle that as an error.
    ///
    /// # Panics
    ///
    /// Panics if no system was given and none runs on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Counter {
    ///     n: u64,
    /// }
    ///
    /// #[actor]
    /// impl Counter {
    ///     #[ask]
    ///     fn incr(&mut self) -> u64 {
    ///         self.n += 1;
    ///         self.n
    ///     }
    /// }
    ///
    /// actium::launch(Mode::Tasks, async {
    ///     let counter = Counter::default().spawner().capacity(100).spawn();
    ///     assert_eq!(counter.incr().await?, 1);
    ///     Ok::<(), Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn(self) -> ActorRef<A> {
        match self.start() {
            Ok(actor) => actor,
            Err(Failure::NoSystem) => panic!("{}", Error::NoSystem),
            Err(Failure::Refused(actor, error)) => {
                tracing::warn!(%actor, %error, "actor could not start");
                actor
            }
        }
    }

    /// Starts the actor and returns its reference.
    ///
    /// # Errors
    ///
    /// [`Error::NoSystem`] without a system, [`Error::ShuttingDown`] during
    /// shutdown, [`Error::Startup`] if its thread cannot be created.
    ///
    /// # Examples
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// struct Idle;
    ///
    /// #[actor]
    /// impl Idle {}
    ///
    /// // Outside any system this is an error, not a panic.
    /// assert!(matches!(Idle.spawner().try_spawn(), Err(Error::NoSystem)));
    /// ```
    pub fn try_spawn(self) -> Result<ActorRef<A>, Error> {
        match self.start() {
            Ok(actor) => Ok(actor),
            Err(Failure::NoSystem) => Err(Error::NoSystem),
            Err(Failure::Refused(_, error)) => Err(error),
        }
    }

    fn start(self) -> Result<ActorRef<A>, Failure<A>> {
        let system = match self.system {
            Some(system) => system,
            // The handle's own count, moved out: not cloned, then dropped.
            None => {
                SystemHandle::try_current()
                    .map_err(|_| Failure::NoSystem)?
                    .shared
            }
        };
        system
            .spawn(self.birth, self.options)
            .map_err(|(actor, error)| Failure::Refused(actor, error))
    }
}

enum Failure<A: Handler> {
    NoSystem,
    Refused(ActorRef<A>, Error),
}

impl SystemShared {
    /// Starts a method actor. On failure the returned reference is to an
    /// actor that has already stopped, so it is still safe to use.
    pub(crate) fn spawn<A: Handler>(
        self: &Arc<Self>,
        birth: Birth<A>,
        options: SpawnOptions,
    ) -> Result<ActorRef<A>, (ActorRef<A>, Error)> {
        // Only an actor that runs the reentrant loop holds it inline in
        // its future (see `runner::Reentry`); a constant, so each actor
        // type compiles one branch.
        if A::REENTRANT {
            self.spawn_keeping::<A, runner::Inline>(birth, options)
        } else {
            self.spawn_keeping::<A, runner::Boxed>(birth, options)
        }
    }

    /// [`spawn`](Self::spawn), with the actor's reentrant loop kept as `R`
    /// says.
    fn spawn_keeping<A: Handler, R: runner::Reentry<A>>(
        self: &Arc<Self>,
        birth: Birth<A>,
        options: SpawnOptions,
    ) -> Result<ActorRef<A>, (ActorRef<A>, Error)> {
        debug_assert_eq!(
            R::INLINE,
            A::REENTRANT,
            "the reentrant loop inline exactly in actors with parallel methods"
        );
        let policy = options.on_panic.or(A::PANIC_POLICY);
        let trap_exits = options.trap_exits;
        let mode = options.mode.unwrap_or(self.config.mode);
        // A supervised child is started at once: its supervisor waits for
        // it to start before it starts the next.
        let dormant = mode != Mode::Threads && !A::HAS_ON_START && options.supervisor.is_none();
        // The actor loop knows it is supervised by how it is born.
        debug_assert_eq!(
            matches!(birth, Birth::Factory(_)),
            options.supervisor.is_some(),
            "only a supervised child is born from a factory"
        );
        self.spawn_with(options, move |cell| {
            if A::TRAPS_EXITS || trap_exits {
                // Before anyone can link to it.
                cell.core.set_trap_exits(true);
            }
            if dormant {
                // Nothing to run before its first message: the actor waits
                // as a cell, and its task starts when mail (or a signal)
                // arrives.
                cell.mailbox
                    .park(runner::dormant::<A, R>(birth, cell, policy));
                return None;
            }
            Some(runner::run::<A, R>(birth, cell.clone(), policy))
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
        // Made (or parked) before anyone can see the cell, so that no
        // delivery can come before it.
        let life = start(&cell);
        // Relations exist before the actor runs, so it cannot exit unseen.
        // The table's count of the cell is the one made for a link, if
        // any; the reference returned takes `cell` itself, last: one
        // count made here per spawn, not two made and one given back.
        let mut erased: Option<Arc<dyn ErasedCell>> = None;
        if let Some(supervisor) = &options.supervisor {
            cell.core.set_supervisor(supervisor.clone());
            cell.core.set_parent(supervisor.core().id());
            CellCore::link(erased.get_or_insert_with(|| cell.clone()), supervisor);
        }
        if let Some(parent) = &options.linked_to {
            cell.core.set_parent(parent.core().id());
            CellCore::link(erased.get_or_insert_with(|| cell.clone()), parent);
        }

        if self.stopping.load(Ordering::SeqCst) {
            cell.close_mailbox();
            cell.core.exited(ExitReason::Shutdown);
            return Err((ActorRef::from_cell(cell), Error::ShuttingDown));
        }
        self.live.fetch_add(1, Ordering::SeqCst);
        self.table
            .insert(local, erased.unwrap_or_else(|| cell.clone()));
        // Shutdown may have begun between the check above and the insert and
        // missed this actor in its sweep; then stop it here.
        if self.stopping.load(Ordering::SeqCst) {
            cell.request_stop(ExitReason::Shutdown);
        }

        let Some(life) = life else {
            return Ok(ActorRef::from_cell(cell));
        };
        match options.mode.unwrap_or(self.config.mode) {
            Mode::Tasks | Mode::Simulated { .. } => {
                self.executor.start(life);
            }
            Mode::Threads => {
                let slot = self.slot.clone();
                let clock = self.clock().clone();
                let started = self.executor.spawn_thread(
                    format!("actium-{label}"),
                    move || enter_slot(slot, &clock),
                    life,
                );
                if let Err(error) = started {
                    cell.close_mailbox();
                    cell.core.exited(ExitReason::Error(format!(
                        "could not start its thread: {error}"
                    )));
                    return Err((ActorRef::from_cell(cell), Error::Startup(Arc::new(error))));
                }
            }
        }
        Ok(ActorRef::from_cell(cell))
    }
}
