//! [`SystemHandle`], the cheap clonable view of a running system, the
//! thread's current system ([`EnterGuard`]), `Context::system`, and
//! installing a recorder on a system (`SystemHandle::record`).

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::actor::{Actor, ActorRef, Context, Handler, Spawner};
use crate::base::{ActorLabel, Error, NodeId};
use crate::cell::{Mode, Slot, SystemShared};
use crate::observe::{AlreadyRecording, RECORDING, Recorder, emit_named};

impl<A: Actor> Context<A> {
    /// The system this actor runs in.
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
    pub fn is_recording(&self) -> bool {
        self.shared().recorder.get().is_some()
    }
}

thread_local! {
    pub(crate) static CURRENT: RefCell<Option<Slot>> = const { RefCell::new(None) };
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
    pub fn try_current() -> Result<Self, Error> {
        CURRENT
            .with_borrow(|slot| slot.as_ref()?.get()?.upgrade())
            .map(SystemHandle::from_shared)
            .ok_or(Error::NoSystem)
    }

    /// Starts `actor` in this system with default options.
    ///
    /// Hidden: `actor.spawner().system(&handle).spawn()` is the one way to
    /// pick a system; kept while `actium-trace` still calls it.
    #[doc(hidden)]
    pub fn spawn<A: Handler>(&self, actor: A) -> ActorRef<A> {
        Spawner::new(actor).system(self).spawn()
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

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Asks a [`serve_forever`](crate::runtime::serve_forever) system to shut down, as
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
/// Returned by [`System::enter`](crate::System::enter).
#[must_use = "the system is current only while the guard lives"]
pub struct EnterGuard {
    previous: Option<Slot>,
    // The guard restores a thread-local, so it must stay on its thread.
    _not_send: PhantomData<*const ()>,
}

pub(crate) fn enter_slot(slot: Slot) -> EnterGuard {
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
