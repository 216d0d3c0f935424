//! An idle actor standing by for its callers: the state its loop lends to
//! a caller that would otherwise wake it, so that the caller runs the
//! request itself.
//!
//! In tasks mode a request-reply costs two wake-ups of tasks (the actor's
//! loop, then the caller), and on a multi-threaded Tokio runtime a woken
//! task often moves to the other worker: a system call to wake it, and
//! caches left behind. So an actor loop with nothing to do, before it is
//! suspended, *offers* its state (pointers to the actor and its `Context`,
//! which live in the suspended loop future) through [`Standby`]. A caller
//! that sent a request from one of the system's workers and finds, at the
//! first poll of its [`Ask`](crate::Ask), the callee's loop still offering,
//! takes the state, runs its request on its own thread if it is the only
//! message queued (`runtime::runner::standby::visit`), and gives it
//! back. The loop takes it back at the start of its next poll; a loop
//! polled while a caller has it waits to be woken (`sync::Offer`), its
//! waker kept where a kill finds it too (the mailbox's `running` waker).
//!
//! Only what the loop would do anyway runs this way: the caller's own
//! request, alone in the queue, to a plain synchronous method
//! (`Handler::runs_inline`), while nothing records; anything else (others'
//! requests, an `async`, `parallel` or `blocking` method, a signal) is
//! the loop's, woken by its push. What the caller cannot finish — a panic to
//! apply the panic policy to, a stop — it hands back to the loop (an
//! [`Outcome`] in [`Leave::ToLoop`]), which does it next. A caller polled
//! as an `async` method's future never keeps that future: it borrows the
//! actor, which only the loop may lend for longer than a call.

use std::cell::UnsafeCell;
use std::task::{Context as TaskContext, Waker};
use std::time::Duration;

use crate::actor::{Actor, Cell, Context, Outcome};
use crate::call::Help;
use crate::host::Stopwatch;
use crate::mailbox::Mailbox;
use crate::sync::Offer;
use std::sync::atomic::{AtomicBool, Ordering};

/// How a caller runs an idle loop's requests: the loop's function for its
/// actor type, which knows the type's handler (`Cell<A>` knows only
/// `Actor`).
pub(crate) type Visit<A> = fn(&Cell<A>, &mut A, &mut Context<A>, &mut TaskContext<'_>) -> Leave;

/// How a caller leaves an idle loop's state.
pub(crate) enum Leave {
    /// Offered again: the loop stands idle as before.
    Offered,
    /// Kept for the loop, which must look before anything else: at what it
    /// is handed back, or at its context (a method asked to stop). Only
    /// after the caller took a queued message, so a push since the offer
    /// has woken the loop.
    ToLoop(Option<Outcome>),
}

/// An actor's state as its idle loop lends it (see the module docs).
pub(crate) struct Standby<A: Actor> {
    offer: Offer,
    /// Whether anyone asked this actor yet: the loop of an actor only told
    /// (a ring, a pipeline) never offers, and pays one load per wait.
    asked: AtomicBool,
    desk: UnsafeCell<Desk<A>>,
}

/// What the party that has the state (per `offer`) may read and write.
struct Desk<A: Actor> {
    actor: *mut A,
    ctx: *mut Context<A>,
    visit: Option<Visit<A>>,
    /// Boxed: rare (a panic, a stop), and the cell stays small.
    returned: Option<Box<Outcome>>,
}

// SAFETY: the desk is read and written only by the party that has the
// state under `offer`'s protocol (the loop, or the one caller that took
// it), and each hand-over is a release/acquire pair on `offer`; what the
// pointers point to is `Send` (`A: Send`, and `Context<A>` lives in the
// loop's `Send` future), and is touched only by whoever has the state.
unsafe impl<A: Actor> Send for Standby<A> {}
// SAFETY: as above.
unsafe impl<A: Actor> Sync for Standby<A> {}

impl<A: Actor> Standby<A> {
    pub(crate) fn new() -> Self {
        Standby {
            offer: Offer::new(),
            asked: AtomicBool::new(false),
            desk: UnsafeCell::new(Desk {
                actor: std::ptr::null_mut(),
                ctx: std::ptr::null_mut(),
                visit: None,
                returned: None,
            }),
        }
    }

    /// Whether the loop offers its state now (a hint, for a caller about
    /// to wait).
    #[inline]
    pub(crate) fn is_offered(&self) -> bool {
        self.offer.is_offered()
    }

    /// Notes that the actor is asked, so that its loop offers from now on.
    #[inline]
    pub(crate) fn note_asked(&self) {
        // Read first: after the first ask, no write to a shared line.
        if !self.asked.load(Ordering::Relaxed) {
            self.asked.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the loop should offer its state while idle: once asked.
    #[inline]
    pub(crate) fn is_asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    /// The loop, about to be suspended with nothing to do, offers `actor`
    /// and `ctx` to callers, who run them with `visit`.
    ///
    /// # Safety
    ///
    /// The loop has the state (it reclaimed it in this poll); it touches
    /// neither `actor` nor `ctx` until [`reclaim`](Self::reclaim) gives them
    /// back, and calls [`withdraw`](Self::withdraw) before either goes away.
    #[inline]
    pub(crate) unsafe fn offer(&self, actor: &mut A, ctx: &mut Context<A>, visit: Visit<A>) {
        // SAFETY: the loop has the state, so nobody else reads the desk.
        let desk = unsafe { &mut *self.desk.get() };
        desk.actor = actor;
        desk.ctx = ctx;
        desk.visit = Some(visit);
        self.offer.offer();
    }

    /// The loop takes its state back: `None` while a caller has it (`waker`
    /// is woken when it gives it back), else what a caller handed back.
    #[inline]
    pub(crate) fn reclaim(
        &self,
        waker: &Waker,
        mailbox: &Mailbox<A::Msg>,
    ) -> Option<Option<Outcome>> {
        // Stored even with a kill pending (which `register_running` would
        // not): the giver must find it, and the loop sees the kill once its
        // state is back.
        let wait = || mailbox.park_running(waker);
        if !self.offer.reclaim(wait) {
            return None;
        }
        // SAFETY: the loop has the state again.
        Some(unsafe { (*self.desk.get()).returned.take() }.map(|outcome| *outcome))
    }

    /// The loop ends (or its future is dropped): no caller may take the
    /// state any more. Waits for a caller that has it to give it back, and
    /// returns what it handed back, to be dropped before the actor.
    pub(crate) fn withdraw(&self) -> Option<Outcome> {
        self.offer.withdraw();
        // SAFETY: withdrawn, the loop has the state for good.
        unsafe { (*self.desk.get()).returned.take() }.map(|outcome| *outcome)
    }
}

impl<A: Actor> Help for Cell<A> {
    fn help(&self, cx: &mut TaskContext<'_>, timeout: Duration) -> Duration {
        // Checked again at the poll: the ask may have moved to another
        // thread since it was sent.
        if !self.core.system.runs_here() {
            return Duration::ZERO;
        }
        let standby = &self.standby;
        if !standby.offer.take() {
            return Duration::ZERO;
        }
        // The system's clock, not `Instant`: under a virtual clock, only
        // virtual time counts towards the caller's deadline.
        let clock = self.core.system.clock();
        let stopwatch = Stopwatch::start(clock, timeout);
        // Given back even if a request unwinds out of `visit`.
        let mut back = GiveBack {
            standby,
            mailbox: &self.mailbox,
            leave: Leave::Offered,
        };
        // SAFETY: taken: until it is given back, the desk and the actor and
        // context it points to are this caller's alone (the loop is
        // suspended and reclaims first; another caller cannot take it),
        // and the loop withdraws before they go away. `visit` was set with
        // the pointers, by the loop that offered them.
        back.leave = crate::call::current::running_for_caller(|| unsafe {
            let desk = &mut *standby.desk.get();
            match desk.visit {
                Some(visit) => visit(self, &mut *desk.actor, &mut *desk.ctx, cx),
                None => Leave::Offered,
            }
        });
        drop(back);
        stopwatch.at_least()
    }
}

/// Gives the state back to the loop as the caller leaves it.
struct GiveBack<'a, A: Actor> {
    standby: &'a Standby<A>,
    mailbox: &'a Mailbox<A::Msg>,
    leave: Leave,
}

impl<A: Actor> Drop for GiveBack<'_, A> {
    fn drop(&mut self) {
        let to_loop = match std::mem::replace(&mut self.leave, Leave::Offered) {
            Leave::Offered => false,
            Leave::ToLoop(returned) => {
                // SAFETY: still taken, so the desk is ours.
                unsafe { (*self.standby.desk.get()).returned = returned.map(Box::new) };
                true
            }
        };
        if self.standby.offer.give_back(to_loop) {
            // The loop was polled meanwhile and waits for its state.
            self.mailbox.wake_running();
        }
    }
}
