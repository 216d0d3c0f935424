//! Starting actors: the one [`Spawner`] builder.

use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::actor::{Handler, PanicPolicy};
use crate::cell::{ErasedCell, Mode, SystemShared};

/// Options for starting one actor; from [`Actor::spawner`](crate::actor::Actor::spawner).
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
    pub(crate) birth: Birth<A>,
    pub(crate) options: SpawnOptions,
    /// The system to spawn into (`Spawner::system`), else the current
    /// one. Its shared state, not a `SystemHandle`: the handle belongs to
    /// `runtime`, above this folder.
    pub(crate) system: Option<Arc<SystemShared>>,
}

#[derive(Clone, Default)]
pub(crate) struct SpawnOptions {
    pub(crate) mode: Option<Mode>,
    pub(crate) capacity: Option<NonZeroUsize>,
    pub(crate) on_panic: Option<PanicPolicy>,
    /// Trap exits from the start, whatever the actor's own default.
    pub(crate) trap_exits: bool,
    pub(crate) linked_to: Option<Arc<dyn ErasedCell>>,
    pub(crate) supervisor: Option<Arc<dyn ErasedCell>>,
}

impl<A: Handler> Spawner<A> {
    /// Starts building the spawn of `actor`; users write `actor.spawner()`.
    pub(crate) fn new(actor: A) -> Self {
        Self::born(Birth::Once(Some(Box::new(actor))))
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
    /// // This actor gets an OS thread of its own in a tasks-mode system.
    /// let counter = Counter::default().spawner().mode(Mode::Threads).spawn();
    /// counter.incr()?;
    /// assert_eq!(counter.get().await?, 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.options.mode = Some(mode);
        self
    }

    /// Bounds the mailbox to `capacity` waiting messages. A one-way call to a
    /// full mailbox fails at once with [`Error::MailboxFull`](crate::Error::MailboxFull) (so does a
    /// request-reply), leaving the caller to retry or drop; unbounded by
    /// default.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero: such a mailbox could take no message.
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
    /// // One message fits; the actor may or may not have taken it yet.
    /// counter.incr()?;
    /// if let Err(error) = counter.incr() {
    ///     assert!(matches!(error, actium::Error::MailboxFull { .. }));
    /// }
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    #[track_caller]
    pub fn capacity(mut self, capacity: usize) -> Self {
        match NonZeroUsize::new(capacity) {
            Some(capacity) => self.options.capacity = Some(capacity),
            None => panic!("a bounded mailbox needs room for at least one message"),
        }
        self
    }

    /// Overrides the actor's [`PanicPolicy`].
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
    /// let counter = Counter::default().spawner().on_panic(PanicPolicy::Stop).spawn();
    /// counter.incr()?;
    /// assert_eq!(counter.get().await?, 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn on_panic(mut self, policy: PanicPolicy) -> Self {
        self.options.on_panic = Some(policy);
        self
    }

    /// Starts the actor trapping exits (Erlang's `process_flag(trap_exit,
    /// true)` at spawn): from its first moment, an exit signal from a
    /// linked actor reaches its `#[on_exit]` hook instead of stopping it —
    /// no window between the spawn and a `ctx.trap_exit(true)` in which a
    /// linked failure kills it. `ctx.trap_exit(false)` turns it off again.
    ///
    /// # Examples
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Keeper {
    ///     seen: Vec<String>,
    /// }
    ///
    /// #[actor]
    /// impl Keeper {
    ///     #[ask]
    ///     fn hire(&mut self, ctx: &mut Context<Self>) -> Result<ActorRef<Doomed>, Error> {
    ///         ctx.spawn_link(Doomed)
    ///     }
    ///
    ///     #[on_exit]
    ///     fn exited(&mut self, exit: Exit) {
    ///         self.seen.push(exit.reason.to_string());
    ///     }
    ///
    ///     #[ask]
    ///     fn seen(&self) -> Vec<String> {
    ///         self.seen.clone()
    ///     }
    /// }
    ///
    /// struct Doomed;
    ///
    /// #[actor]
    /// impl Doomed {
    ///     #[ask]
    ///     fn fail(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.fail("out of luck");
    ///     }
    /// }
    ///
    /// actium::launch(Mode::Tasks, async {
    ///     let keeper = Keeper::default().spawner().trap_exits().spawn();
    ///     let doomed = keeper.hire().await??;
    ///     doomed.fail().await?;
    ///     doomed.stopped().await;
    ///     // The linked failure arrived as a call; the keeper lives on.
    ///     while keeper.seen().await?.is_empty() {
    ///         actium::sleep(std::time::Duration::from_millis(1)).await;
    ///     }
    ///     assert_eq!(keeper.seen().await?, ["error: out of luck"]);
    ///     assert!(keeper.is_alive());
    ///     Ok::<(), Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn trap_exits(mut self) -> Self {
        self.options.trap_exits = true;
        self
    }
}

/// Where an actor's state comes from.
///
/// A `Once` state is boxed until its incarnation starts (a factory's, from
/// when it is made): the actor's loop future holds a `Birth` for the
/// actor's whole life, and an async function keeps room for each place a
/// value passes through (argument, local, the value matched on across an
/// await). Inline, a 392-byte Chord node took room five times, in a
/// 2,520-byte task; boxed, one copy stays, in a task of 1,024 bytes.
pub(crate) enum Birth<A> {
    /// One state, one incarnation.
    Once(Option<Box<A>>),
    /// A fresh state for each incarnation (supervised children).
    Factory(Box<dyn FnMut() -> A + Send>),
}
