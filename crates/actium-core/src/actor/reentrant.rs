//! Reentrant ("parallel") methods.
//!
//! A plain method holds `&mut self` across its awaits, so the actor serves
//! nothing else until it returns: strict one-at-a-time order. A `parallel`
//! method instead receives a [`Reentrant<Self>`] handle and reaches the
//! state only inside synchronous closures:
//!
//! ```text
//! #[ask(parallel)]
//! async fn find_successor(mut this: Reentrant<Self>, id: u64) -> NodeRef {
//!     let next = this.with(|node| node.closest_preceding(id)); // state, no await
//!     next.find_successor(id).await                             // await, no state
//! }
//! ```
//!
//! While it awaits, the actor loop goes on taking messages — including calls
//! that come back from the actor it is waiting on (A → B → A). State is
//! still touched by one method at a time, and the compiler enforces it: a
//! closure passed to [`with`](Reentrant::with) cannot await, and cannot
//! return a borrow of the state, so no borrow lives across an await point.
//!
//! How: the loop owns the state. Only while it polls its in-flight parallel
//! methods does it lend the state to them, through a slot that
//! [`with`](Reentrant::with) opens; plain methods run while no parallel one
//! is being polled. `with` runs its closure under the slot's lock, which
//! is never held across an await; and only the lending thread ever takes
//! it while the state is lent (a `with` on another thread, or nested in
//! another, panics before it would wait), so it cannot deadlock.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context as TaskContext, Poll};

use crate::actor::{Actor, ActorRef, Cell, Context, Outcome, ParallelTask};
use crate::base::{ActorId, ExitReason};

/// The actor's state and context, owned by the loop.
pub(crate) struct State<A: Actor> {
    pub(crate) actor: A,
    pub(crate) ctx: Context<A>,
}

/// Where the loop lends the state to parallel methods while it polls them.
pub(crate) struct Lend<A: Actor> {
    /// The state while lent.
    slot: Mutex<Option<Box<State<A>>>>,
    /// The thread lending the state (see [`here`]), or 0: only code polled
    /// by the actor loop on that thread — the actor's own parallel methods
    /// — may borrow it, never a task they spawned onto another thread.
    /// Written only by the thread lending at the time, so a relaxed look
    /// tells any thread whether it is the lender: a thread finds its own
    /// name here only while it is.
    lender: AtomicUsize,
    /// The thread running a `with` call on the state, or 0: read the same
    /// way, it tells a `with` nested in another from a first one.
    borrower: AtomicUsize,
}

thread_local! {
    /// Its address names this thread among the live ones, as a `ThreadId`
    /// does, without the reference count `std::thread::current` pays per
    /// call: the loop names the lending thread once per poll, and a method
    /// once per `with`. A thread that exits frees its address for a new
    /// one; the loop takes the state back within the poll that lent it, on
    /// the lending thread, even if the poll unwinds (`runner::parallel`'s
    /// `Reclaim`), so no lender outlives its lending.
    static HERE: u8 = const { 0 };
}

/// This thread's name among live threads (see [`HERE`]).
fn here() -> usize {
    HERE.with(|here| std::ptr::from_ref(here) as usize)
}

impl<A: Actor> Lend<A> {
    pub(crate) fn new() -> Self {
        Lend {
            slot: Mutex::new(None),
            lender: AtomicUsize::new(0),
            borrower: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Box<State<A>>>> {
        // A panic inside `with` poisons the lock but leaves the state whole
        // (the panic is caught and reported per the actor's policy).
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn put(&self, state: Box<State<A>>) {
        *self.lock() = Some(state);
        self.lender.store(here(), Ordering::Relaxed);
    }

    pub(crate) fn take(&self) -> Option<Box<State<A>>> {
        self.lender.store(0, Ordering::Relaxed);
        self.lock().take()
    }

    /// Takes a stop requested through the lent context, if any.
    fn take_stop(&self) -> Option<ExitReason> {
        self.lock().as_mut()?.ctx.take_stop()
    }
}

/// A parallel method in flight, holding any stop it requested until it
/// returns.
///
/// `Context::stop` stops the actor once the current method returns. For a
/// parallel method that is the method itself, not whatever the loop
/// handles next: left in the context, the request would stop the actor
/// after the next message or the next other parallel method to finish,
/// and drop the method that asked. So each poll moves the request here.
pub(crate) struct Parallel<A: Actor> {
    task: ParallelTask,
    lend: Arc<Lend<A>>,
    stop: Option<ExitReason>,
}

impl<A: Actor> Parallel<A> {
    pub(crate) fn new(task: ParallelTask, lend: Arc<Lend<A>>) -> Self {
        Parallel {
            task,
            lend,
            stop: None,
        }
    }
}

impl<A: Actor> Future for Parallel<A> {
    /// The method's outcome, and the stop it requested.
    type Output = (Outcome, Option<ExitReason>);

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = this.task.as_mut().poll(cx);
        // Only this method's sections ran during that poll (the state is
        // lent to one method at a time), so a new request is its own. The
        // first one wins, as in `Context::stop_with`.
        if let Some(reason) = this.lend.take_stop() {
            this.stop.get_or_insert(reason);
        }
        polled.map(|outcome| (outcome, this.stop.take()))
    }
}

/// Clears a lend's borrower when a `with` call ends, even if it unwinds.
struct Borrowing<'a> {
    borrower: &'a AtomicUsize,
}

impl Drop for Borrowing<'_> {
    fn drop(&mut self) {
        self.borrower.store(0, Ordering::Relaxed);
    }
}

/// The handle a `parallel` method gets instead of `&self`: the state is
/// reached through [`with`](Reentrant::with), between awaits.
pub struct Reentrant<A: Actor> {
    lend: Arc<Lend<A>>,
    cell: Arc<Cell<A>>,
}

impl<A: Actor> Reentrant<A> {
    pub(crate) fn new(lend: Arc<Lend<A>>, cell: Arc<Cell<A>>) -> Self {
        Reentrant { lend, cell }
    }

    /// Runs `f` on the actor's state and returns its result. `f` cannot
    /// await, and its result cannot borrow the state.
    ///
    /// # Panics
    ///
    /// Panics if called on a thread other than the one running the
    /// actor's own parallel method — from a task the handle was moved
    /// into, or a thread `f` of another `with` waits for — because the
    /// state belongs to the actor loop and is lent only to its methods,
    /// on the loop's thread; and if called inside another `with` of the
    /// same actor (through another handle), because the state is borrowed
    /// already.
    ///
    /// `f` runs while the state's lock is held; nothing else takes that
    /// lock meanwhile, so a slow `f` holds up only the actor's own loop,
    /// as any synchronous code in a method does.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut A) -> R) -> R {
        self.with_context(|actor, _ctx| f(actor))
    }

    /// Like [`with`](Reentrant::with), also giving the actor's [`Context`]
    /// (for timers, links, stopping).
    ///
    /// # Panics
    ///
    /// As [`with`](Reentrant::with).
    pub fn with_context<R>(&mut self, f: impl FnOnce(&mut A, &mut Context<A>) -> R) -> R {
        // `f` runs under the slot's lock: one lock for the whole call. Both
        // checks come first, on words that only the thread lending (and
        // borrowing) at the time writes, so that no `with` ever waits for
        // that lock while another runs `f`: a `with` nested inside `f`
        // (through another handle) finds its own thread as the borrower,
        // and one on another thread finds it is not the lender; each
        // panics with a clear message.
        let me = here();
        if self.lend.borrower.load(Ordering::Relaxed) == me {
            panic!(
                "Reentrant::with called inside another `with` of {}: the state is already \
                 borrowed",
                self.cell.core.label
            );
        }
        if self.lend.lender.load(Ordering::Relaxed) != me {
            panic!(
                "Reentrant::with used outside {}'s own parallel method: the state is lent only \
                 to the actor's methods, not to tasks they spawn",
                self.cell.core.label
            );
        }
        let mut lent = self.lend.lock();
        // The lender puts the state in before it names itself, and names no
        // one before it takes the state out; nothing else empties the slot.
        let Some(State { actor, ctx }) = lent.as_deref_mut() else {
            unreachable!(
                "the state of {} is in its slot while lent",
                self.cell.core.label
            )
        };
        // Dropped before the lock is: the mark never outlives it.
        self.lend.borrower.store(me, Ordering::Relaxed);
        let _borrowing = Borrowing {
            borrower: &self.lend.borrower,
        };
        // A panic in `f` leaves the state in the slot, whole, for the loop
        // to take back after the poll; it is reported per the actor's
        // policy.
        f(actor, ctx)
    }

    /// A reference to this actor.
    pub fn myself(&self) -> ActorRef<A> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.core.id()
    }
}
