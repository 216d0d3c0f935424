//! [`SystemHandle`], the cheap clonable view of a running system, the
//! thread's current system ([`EnterGuard`]), `Context::system`, and
//! installing a recorder on a system (`SystemHandle::record`).

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::actor::{Actor, Context};
use crate::base::{ActorLabel, Error, NodeId};
use crate::cell::{Mode, Slot, SystemShared};
use crate::host::{Clock, ClockGuard};
use crate::observe::{AlreadyRecording, RECORDING, Recorder, emit_named};

impl<A: Actor> Context<A> {
    /// The system this actor runs in.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// #[derive(Default)]
    /// struct Probe;
    ///
    /// #[actor]
    /// impl Probe {
    ///     #[ask]
    ///     fn mode(&self, ctx: &mut Context<Self>) -> Mode {
    ///         ctx.system().mode()
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let probe = Probe.spawn();
    /// assert_eq!(probe.mode().await?, Mode::Tasks);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn system(&self) -> SystemHandle {
        SystemHandle::from_shared(self.cell.core.system.clone())
    }
}

impl SystemHandle {
    /// Makes this system record: from now on its messages, method runs,
    /// answers, signals and names are events handed to `recorder`.
    ///
    /// A system keeps its recorder until it is dropped; to stop recording,
    /// have the recorder drop what it gets (the `actium-trace` recorders
    /// have a `finish`). Names registered before this call are recorded at
    /// once, so traces can name those actors.
    ///
    /// # Errors
    ///
    /// [`AlreadyRecording`] if the system has a recorder.
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
    /// use std::sync::{Arc, Mutex};
    /// use actium::observe::{Event, Recorder};
    ///
    /// #[derive(Default)]
    /// struct Methods(Mutex<Vec<&'static str>>);
    ///
    /// impl Recorder for Methods {
    ///     fn record(&self, event: Event) {
    ///         if let Ok(mut methods) = self.0.lock() {
    ///             methods.push(event.method);
    ///         }
    ///     }
    /// }
    ///
    /// # actium::launch(Mode::Tasks, async {
    /// let methods = Arc::new(Methods::default());
    /// SystemHandle::current().record(methods.clone()).expect("the first recorder");
    /// let counter = Counter::default().spawn();
    /// counter.get().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn record(&self, recorder: Arc<dyn Recorder>) -> Result<(), AlreadyRecording> {
        let shared = self.shared();
        shared
            .recorder
            .0
            .set(recorder.clone())
            .map_err(|_| AlreadyRecording)?;
        RECORDING.fetch_add(1, Ordering::Relaxed);
        for (name, label) in shared.registry.entries() {
            emit_named(&recorder, label, name);
        }
        Ok(())
    }

    /// Whether this system has a recorder.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// assert!(!SystemHandle::current().is_recording());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_recording(&self) -> bool {
        self.shared().recorder.get().is_some()
    }
}

thread_local! {
    pub(super) static CURRENT: RefCell<Option<Slot>> = const { RefCell::new(None) };
}

/// A cheap, clonable handle to a running system.
#[derive(Clone)]
pub struct SystemHandle {
    pub(crate) shared: Arc<SystemShared>,
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// assert_eq!(system.actor_count(), 0);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Self {
        match Self::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The system running on this thread: inside an actor, the main future
    /// of [`launch`](crate::launch), a task on the system's runtime, or
    /// after [`System::enter`](crate::System::enter).
    ///
    /// # Errors
    ///
    /// [`Error::NoSystem`] anywhere else.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// // Outside a system:
    /// assert!(SystemHandle::try_current().is_err());
    /// actium::launch(Mode::Tasks, async {
    ///     assert!(SystemHandle::try_current().is_ok());
    ///     Ok::<(), actium::Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn try_current() -> Result<Self, Error> {
        CURRENT
            .with_borrow(|slot| slot.as_ref()?.get()?.upgrade())
            .map(SystemHandle::from_shared)
            .ok_or(Error::NoSystem)
    }

    /// The clock every wait in this system reads and sleeps on: real
    /// unless the system was started with another
    /// ([`SystemBuilder::clock`](crate::SystemBuilder::clock)).
    ///
    /// ```
    /// # actium::launch(actium::Mode::Tasks, async {
    /// let clock = actium::SystemHandle::current().clock();
    /// assert!(clock.is_real());
    /// # Ok::<(), actium::Error>(())
    /// # })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn clock(&self) -> Clock {
        self.shared.clock().clone()
    }

    /// This system's node id, the first half of every actor id in it.
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
    /// assert_eq!(counter.id().node(), SystemHandle::current().node());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn node(&self) -> NodeId {
        self.shared.node
    }

    /// The execution model actors get unless their spawner says otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// assert_eq!(SystemHandle::current().mode(), Mode::Tasks);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.shared.config.mode
    }

    /// The deadline of request-replies that set none of their own.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// assert_eq!(SystemHandle::current().default_timeout(), actium::DEFAULT_TIMEOUT);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn default_timeout(&self) -> Duration {
        self.shared.config.default_timeout
    }

    /// How many actors are running.
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
    /// assert_eq!(SystemHandle::current().actor_count(), 1);
    /// # drop(counter);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn actor_count(&self) -> usize {
        self.shared.table.len()
    }

    /// The running actors at this moment, by id.
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
    /// assert_eq!(SystemHandle::current().actors(), [counter.label()]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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

    /// Whether shutdown has begun.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// assert!(!SystemHandle::current().is_shutting_down());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Asks a [`serve_forever`](crate::runtime::serve_forever) system to shut down, as
    /// SIGINT or SIGTERM would. Returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// actium::serve_forever(Mode::Tasks, async {
    ///     // Serves until SIGINT or SIGTERM, or until this:
    ///     SystemHandle::current().request_shutdown();
    ///     Ok::<(), actium::Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn request_shutdown(&self) {
        self.shared.shutdown_requested.store(true, Ordering::SeqCst);
        self.shared.shutdown_notify.notify_one();
    }

    /// Resolves once [`request_shutdown`](SystemHandle::request_shutdown) has
    /// been called.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// system.request_shutdown();
    /// system.shutdown_requested().await; // resolves at once: it was requested
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future before it resolves leaves nothing
    /// behind, and a new call waits again.
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
/// Returned by [`System::enter`](crate::System::enter).
#[must_use = "the system is current only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Slot>,
    _clock: ClockGuard,
    // The guard restores a thread-local, so it must stay on its thread.
    _not_send: PhantomData<*const ()>,
}

pub(super) fn enter_slot(slot: Slot, clock: &Clock) -> EnterGuard {
    let previous = CURRENT.with_borrow_mut(|current| current.replace(slot));
    EnterGuard {
        previous,
        _clock: clock.enter(),
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with_borrow_mut(|current| *current = previous);
    }
}
