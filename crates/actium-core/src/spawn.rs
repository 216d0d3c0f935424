//! Starting actors: the one [`Spawner`] builder.

use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::actor::{Handler, PanicPolicy};
use crate::cell::ErasedCell;
use crate::error::Error;
use crate::reference::ActorRef;
use crate::runner::Birth;
use crate::system::{Mode, SystemHandle};

/// Options for starting one actor; from [`Actor::spawner`](crate::Actor::spawner).
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Worker;
///
/// #[actor]
/// impl Worker {
///     #[tell]
///     fn work(&mut self, _item: u32) {}
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let worker = Worker
///         .spawner()
///         .capacity(64)            // bounded mailbox
///         .mode(Mode::Threads)     // this one gets its own OS thread
///         .on_panic(PanicPolicy::Stop)
///         .spawn();
///     worker.work(1)?;
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
#[must_use = "nothing is spawned until `spawn` or `try_spawn` is called"]
pub struct Spawner<A: Handler> {
    birth: Birth<A>,
    options: SpawnOptions,
    system: Option<SystemHandle>,
}

#[derive(Clone, Default)]
pub(crate) struct SpawnOptions {
    pub(crate) mode: Option<Mode>,
    pub(crate) capacity: Option<NonZeroUsize>,
    pub(crate) on_panic: Option<PanicPolicy>,
    pub(crate) linked_to: Option<Arc<dyn ErasedCell>>,
    pub(crate) supervisor: Option<Arc<dyn ErasedCell>>,
}

impl<A: Handler> Spawner<A> {
    /// Starts building the spawn of `actor`.
    pub fn new(actor: A) -> Self {
        Self::born(Birth::Once(Some(actor)))
    }

    pub(crate) fn born(birth: Birth<A>) -> Self {
        Spawner {
            birth,
            options: SpawnOptions::default(),
            system: None,
        }
    }

    pub(crate) fn linked_to(mut self, parent: Arc<dyn ErasedCell>) -> Self {
        self.options.linked_to = Some(parent);
        self
    }

    pub(crate) fn supervised_by(mut self, supervisor: Arc<dyn ErasedCell>) -> Self {
        self.options.supervisor = Some(supervisor);
        self
    }

    /// Runs this actor under `mode` whatever the system's default is — for
    /// instance a thread of its own for an actor that calls blocking code.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.options.mode = Some(mode);
        self
    }

    /// Bounds the mailbox to `capacity` waiting messages. A one-way call to a
    /// full mailbox fails at once with [`Error::MailboxFull`] (so does a
    /// request-reply), leaving the caller to retry or drop; unbounded by
    /// default.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero: such a mailbox could take no message.
    pub fn capacity(mut self, capacity: usize) -> Self {
        match NonZeroUsize::new(capacity) {
            Some(capacity) => self.options.capacity = Some(capacity),
            None => panic!("a bounded mailbox needs room for at least one message"),
        }
        self
    }

    /// Overrides the actor's [`PanicPolicy`].
    pub fn on_panic(mut self, policy: PanicPolicy) -> Self {
        self.options.on_panic = Some(policy);
        self
    }

    /// Spawns into `system` instead of the current one.
    pub fn system(mut self, system: &SystemHandle) -> Self {
        self.system = Some(system.clone());
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
            None => SystemHandle::try_current().map_err(|_| Failure::NoSystem)?,
        };
        system
            .shared()
            .spawn(self.birth, self.options)
            .map_err(|(actor, error)| Failure::Refused(actor, error))
    }
}

enum Failure<A: Handler> {
    NoSystem,
    Refused(ActorRef<A>, Error),
}
