//! A simulated task: what the scheduler reads of it, its future inline,
//! and its waker.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::ArcWake;

use super::future::{FutureCell, Turn};
use super::{DRIVING, EnterHook, Exploration, Shared, Simulation, lock};
use crate::base::panic_message;
use crate::host::entered::{enter, leave};

/// A task of a simulation, whatever its future's type: the ready set,
/// the groups and [`TaskHandle`](crate::host::executor::TaskHandle)s
/// hold tasks as `Arc<dyn Runnable>`. A poll goes through the one call to
/// [`run`](Runnable::run), compiled for each type of future, which lends
/// the task to the poll as a waker of its own type.
pub(crate) trait Runnable: Send + Sync + 'static {
    /// What the scheduler reads of the task.
    fn header(&self) -> &Header;

    /// Polls the task once in `simulation`, unless it finished, was
    /// aborted (its future is dropped instead), or is being polled further
    /// up this thread's stack (a nested `block_on`), in its system: the
    /// one entered already, or entered now in its place.
    fn run(self: Arc<Self>, simulation: &Simulation);

    /// Aborts the task and marks it finished (nothing wakes it again),
    /// and drops its future now; if it is being polled, its poller drops
    /// it once the poll returns.
    fn kill(&self);
}

/// One task of a simulation, whose future is an `F`.
pub(super) struct SimTask<F> {
    /// First, so that it is dropped first: its destructors run while the
    /// hook and the simulation's handle are there, as they did when the
    /// future was boxed apart.
    future: FutureCell<F>,
    header: Header,
}

/// What the scheduler reads of a task.
pub(crate) struct Header {
    pub(super) id: u64,
    pub(super) priority: AtomicU64,
    pub(super) queued: AtomicBool,
    /// Woken while it was being polled further up this thread's stack.
    woken_while_polled: AtomicBool,
    finished: AtomicBool,
    aborted: AtomicBool,
    enter: Option<EnterHook>,
    simulation: Weak<Shared>,
}

impl<F: Future<Output = ()> + Send + 'static> SimTask<F> {
    /// A task, queued already, of the simulation `simulation`.
    pub(super) fn new(
        future: F,
        id: u64,
        priority: u64,
        enter: Option<EnterHook>,
        simulation: Weak<Shared>,
    ) -> Self {
        SimTask {
            future: FutureCell::new(future),
            header: Header {
                id,
                priority: AtomicU64::new(priority),
                queued: AtomicBool::new(true),
                woken_while_polled: AtomicBool::new(false),
                finished: AtomicBool::new(false),
                aborted: AtomicBool::new(false),
                enter,
                simulation,
            },
        }
    }

    /// See [`Runnable::run`]; what does not depend on `F` is in
    /// [`Header`]'s methods, compiled once.
    fn poll(self: &Arc<Self>, simulation: &Simulation) {
        let header = &self.header;
        // SAFETY: the cell lies in the task's `Arc` until it is dropped.
        let Some(mut turn) = (unsafe { self.future.turn() }) else {
            header.woken_while_busy();
            return;
        };
        if !header.enter_system() {
            self.end(turn);
            return;
        }
        // Borrowed, not cloned: a poll costs no count of the task. A future
        // that keeps the waker clones it then.
        let waker = futures_util::task::waker_ref(self);
        let mut cx = Context::from_waker(&waker);
        let polled = catch_unwind(AssertUnwindSafe(|| turn.poll(&mut cx)));
        if matches!(simulation.shared.strategy, Exploration::Pct { .. }) {
            simulation.lower_if_due(header);
        }
        if header.ends(polled) {
            self.end(turn);
        } else {
            // Given back before a wake-up below can run it again.
            drop(turn);
            if header.take_woken_while_polled() {
                ArcWake::wake_by_ref(self);
            }
        }
    }

    /// Marks the task finished, and drops its future with the turn its
    /// caller holds.
    fn end(&self, turn: Turn<'_, F>) {
        self.header.finished.store(true, Ordering::SeqCst);
        // Dropping a finished or aborted future runs its destructors now,
        // on the simulation's thread, as Tokio does on abort.
        turn.finish();
    }
}

impl<F: Future<Output = ()> + Send + 'static> Runnable for SimTask<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(self: Arc<Self>, simulation: &Simulation) {
        self.poll(simulation);
    }

    fn kill(&self) {
        self.header.aborted.store(true, Ordering::SeqCst);
        // Finished at once, even while a poll further up the stack holds
        // the turn: a wake-up during the rest of that poll queues nothing.
        self.header.finished.store(true, Ordering::SeqCst);
        // SAFETY: the cell lies in the task's `Arc` until it is dropped.
        if let Some(turn) = unsafe { self.future.turn() } {
            self.end(turn);
        }
    }
}

impl dyn Runnable {
    /// Stops the task before its next poll.
    pub(crate) fn abort(self: &Arc<Self>) {
        let header = self.header();
        if header.finished.load(Ordering::SeqCst) || header.aborted.swap(true, Ordering::SeqCst) {
            return;
        }
        // Run it once more so that it is dropped at a point the seed
        // chose, not inside whoever aborted it.
        if header.marks_queued() {
            schedule(self.clone(), header.simulation.as_ptr());
        }
    }

    /// Whether it finished or was aborted.
    pub(crate) fn is_finished(&self) -> bool {
        let header = self.header();
        header.finished.load(Ordering::SeqCst) || header.aborted.load(Ordering::SeqCst)
    }
}

impl Header {
    /// A poll found the future out: polled further up this thread's
    /// stack, so that poll runs it again when it returns.
    fn woken_while_busy(&self) {
        if !self.finished.load(Ordering::SeqCst) {
            self.woken_while_polled.store(true, Ordering::SeqCst);
        }
    }

    /// Whether a nested poll found the future out since the last look,
    /// which it clears. Looked at before it is cleared, as it almost never
    /// is set.
    #[inline]
    fn take_woken_while_polled(&self) -> bool {
        self.woken_while_polled.load(Ordering::SeqCst)
            && self.woken_while_polled.swap(false, Ordering::SeqCst)
    }

    /// Enters the task's system for a poll; `false`, outside every
    /// system, if the task was aborted: its destructors run there, as
    /// before a poll.
    #[inline]
    fn enter_system(&self) -> bool {
        if self.aborted.load(Ordering::SeqCst) {
            leave();
            return false;
        }
        match &self.enter {
            Some(hook) => enter(hook),
            None => leave(),
        }
        true
    }

    /// Whether the task ends after a poll that returned `polled`: it is
    /// done, it panicked (logged here), or it was aborted meanwhile.
    #[inline]
    fn ends(&self, polled: std::thread::Result<Poll<()>>) -> bool {
        match polled {
            Ok(Poll::Pending) => self.aborted.load(Ordering::SeqCst),
            Ok(Poll::Ready(())) => true,
            Err(panic) => {
                self.panicked(&*panic);
                true
            }
        }
    }

    /// Logs the panic a poll of the task ended in.
    #[cold]
    fn panicked(&self, panic: &(dyn Any + Send)) {
        tracing::error!(
            task = self.id,
            panic = %panic_message(panic),
            "a simulated task panicked"
        );
    }

    /// Marks the task queued; whether it was neither queued already nor
    /// finished, so that the caller puts it in the ready set.
    #[inline]
    fn marks_queued(&self) -> bool {
        !self.finished.load(Ordering::SeqCst) && !self.queued.swap(true, Ordering::SeqCst)
    }
}

/// A task's waker: made by [`futures_util::task::waker_ref`], which lends
/// it to a poll without counting a reference to the task.
impl<F: Future<Output = ()> + Send + 'static> ArcWake for SimTask<F> {
    fn wake(self: Arc<Self>) {
        if self.header.marks_queued() {
            let simulation = self.header.simulation.as_ptr();
            schedule(self, simulation);
        }
    }

    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.header.marks_queued() {
            schedule(arc_self.clone(), arc_self.header.simulation.as_ptr());
        }
    }
}

/// Puts `task`, just marked queued, in its simulation's ready set, or on
/// its clock for the jitter; drops it if its simulation is gone. `ours`
/// is where its simulation lies (the address its `Weak` points to): given
/// apart, so that the common case reads no field of the task through
/// its vtable.
fn schedule(task: Arc<dyn Runnable>, ours: *const Shared) {
    // Woken on the thread that drives its simulation, as nearly every
    // wake-up is: that simulation is at hand, and no count of it is taken.
    let mut task = Some(task);
    let _exiting = DRIVING.try_with(|driving| {
        if let Some(simulation) = &*driving.borrow() {
            let ours = std::ptr::eq(ours, &*simulation.shared);
            if let Some(task) = task.take_if(|_| ours) {
                simulation.shared.schedule(task);
            }
        }
    });
    if let Some(task) = task {
        if let Some(simulation) = task.header().simulation.upgrade() {
            simulation.schedule(task);
        }
    }
}

impl Shared {
    /// See [`schedule`].
    fn schedule(&self, task: Arc<dyn Runnable>) {
        if !self.jitter.is_zero() {
            let spread = u64::try_from(self.jitter.as_nanos()).unwrap_or(u64::MAX);
            let delay = lock(&self.state).rng.u64(0..=spread);
            if delay > 0 {
                let at = self.clock.now() + Duration::from_nanos(delay);
                self.clock.call_at(at, Box::new(move || enqueue(task)));
                return;
            }
        }
        lock(&self.state).ready.push_back(task);
    }
}

/// Puts a woken task in the ready set (after its jitter, if any).
fn enqueue(task: Arc<dyn Runnable>) {
    let header = task.header();
    if header.finished.load(Ordering::SeqCst) {
        return;
    }
    if let Some(simulation) = header.simulation.upgrade() {
        lock(&simulation.state).ready.push_back(task);
    }
}
