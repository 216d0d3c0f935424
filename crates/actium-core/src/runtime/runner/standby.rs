//! The loop's side of standing by (see `actor::standby`): how an idle
//! loop offers its state and takes it back, and how a caller runs the
//! loop's requests meanwhile.

use std::collections::VecDeque;
use std::task::{Context as TaskContext, Poll};

use crate::actor::{Cell, Context, Handled, Handler, Leave, Outcome};
use crate::base::ExitReason;
use crate::call::{Frame, within};
use crate::cell::Doing;
use crate::mailbox::Envelope;
use crate::observe::is_recording;

/// What the loop found when it looked. Two words, so that a poll returns
/// it in registers (see `Outcome`).
pub(super) enum Next {
    /// A message is first in the batch.
    Message,
    /// A stop was requested, or the mailbox closed.
    Stop,
    /// A method a caller ran asked to stop the actor. Boxed: rare.
    Exit(Box<ExitReason>),
    /// How a method a caller ran ended, for the loop to act on (a
    /// panic, for the panic policy).
    Returned(Outcome),
}

const _: () = assert!(size_of::<Poll<Next>>() <= 2 * size_of::<usize>());

/// Whether `cell`'s loop offers its state while idle: only a loop that
/// runs as a task on the system's workers (tasks mode: an actor of threads
/// mode runs its methods on its own thread, and a simulation decides
/// itself what runs when), and not while the system times its actors'
/// polls (time spent in a caller's poll would not count).
pub(super) fn offers<A: Handler>(cell: &Cell<A>) -> bool {
    !cell.core.system.config.metrics && cell.core.system.runs_here()
}

/// The loop takes its state back at the start of a poll: `Some` if the
/// poll must end here (a caller has the state, or handed back how a
/// method it ran ended), `None` if the loop has its state and goes on
/// ([`poll_standing_by`]).
///
/// Called before the loop makes any reference to its actor or context: a
/// new `&mut` to either, even unused, would invalidate the pointers a
/// caller may be running the actor through (Rust's aliasing rules, which
/// Miri's Stacked Borrows checks), so none is made until the state is
/// back.
#[inline]
pub(super) fn reclaimed<A: Handler>(cell: &Cell<A>, cx: &TaskContext<'_>) -> Option<Poll<Next>> {
    match cell.standby.reclaim(cx.waker(), &cell.mailbox) {
        None => Some(Poll::Pending),
        Some(Some(outcome)) => Some(Poll::Ready(Next::Returned(outcome))),
        Some(None) => None,
    }
}

/// The loop's wait for its next message (`poll_next`), once it has its
/// state back ([`reclaimed`]), offering the state before it is suspended
/// with nothing to do.
#[inline]
pub(super) fn poll_standing_by<A: Handler>(
    cell: &Cell<A>,
    actor: &mut A,
    ctx: &mut Context<A>,
    batch: &mut VecDeque<Envelope<A::Msg>>,
    cx: &mut TaskContext<'_>,
) -> Poll<Next> {
    if let Some(reason) = ctx.take_stop() {
        return Poll::Ready(Next::Exit(Box::new(reason)));
    }
    match super::poll_next(&cell.mailbox, batch, cx) {
        Poll::Ready(true) => Poll::Ready(Next::Message),
        Poll::Ready(false) => Poll::Ready(Next::Stop),
        Poll::Pending => {
            if batch.is_empty() && cell.standby.is_asked() {
                // SAFETY: reclaimed before this was called, so the loop has
                // its state; it is now suspended, and makes no reference to
                // `actor` or `ctx` again until `reclaimed` at its next poll
                // gave them back; `serve` withdraws the offer before it
                // returns or is dropped, and so before either goes away.
                unsafe { cell.standby.offer(actor, ctx, visit::<A>) };
            }
            Poll::Pending
        }
    }
}

/// Withdraws the loop's offer when `serve` ends or its future is dropped,
/// and drops what a caller handed back before the actor it borrows.
pub(super) struct Withdraw<'a, A: Handler>(pub(super) &'a Cell<A>);

impl<A: Handler> Drop for Withdraw<'_, A> {
    fn drop(&mut self) {
        drop(self.0.standby.withdraw());
    }
}

/// Runs, on a waiting caller's thread, the caller's own request to
/// `cell`'s idle loop, as the loop would: in the actor's frame, for one
/// unit of the caller's cooperative budget, and only if it is the one
/// message queued and a plain synchronous method
/// (`Handler::runs_inline`). Anything else is the loop's (woken by its
/// push): others' requests, which a caller never runs, and `async`,
/// `parallel` and `blocking` methods.
///
/// Visits never nest, so they need no bound on depth: a request run here
/// is a synchronous method run inside `call::current::running_for_caller`,
/// where no ask it makes runs its callee (`current::may_run_callee` is
/// false there), and `Ask::wait` never does. (In a simulation,
/// `Ask::wait` polls other actors' loops, which could ask again, but
/// simulated threads never offer, so no visit happens there at all.)
fn visit<A: Handler>(
    cell: &Cell<A>,
    actor: &mut A,
    ctx: &mut Context<A>,
    cx: &mut TaskContext<'_>,
) -> Leave {
    // Recording stamps each message in the loop's frame: left to the loop.
    if is_recording() {
        return Leave::Offered;
    }
    let Poll::Ready(budget) = tokio::task::coop::poll_proceed(cx) else {
        return Leave::Offered;
    };
    // A `blocking` method may hold its thread for long: never the
    // caller's, which has its own work to go back to; an `async` one
    // leaves a future that borrows the actor, which only the loop may
    // keep. The loop runs both.
    let Some((msg, chain)) = cell.mailbox.take_only_message(A::runs_inline) else {
        return Leave::Offered;
    };
    budget.made_progress();
    cell.stats.handled();
    let index = A::method_index(&msg);
    cell.core.set_doing(Doing::method(index));
    let frame = Frame::new(cell.core.label, true, chain);
    let (state, context) = (&mut *actor, &mut *ctx);
    match within(&frame, move || state.handle(msg, context)) {
        Handled::Done(Outcome::Done) => {}
        Handled::Done(outcome) => return Leave::ToLoop(Some(outcome)),
        Handled::Pending(method) => {
            // `runs_inline` said this message was synchronous: a
            // hand-written `Handler` that says so wrongly loses the method,
            // and its actor is told as for a panic, never left holding a
            // borrow.
            drop(method);
            return Leave::ToLoop(Some(Outcome::panicked(crate::actor::Panicked {
                method: A::METHODS.get(usize::from(index)).copied().unwrap_or("?"),
                message: "Handler::runs_inline accepted an async method".to_owned(),
            })));
        }
    }
    if ctx.stop_requested() {
        return Leave::ToLoop(None);
    }
    // Almost always the caller's own request, now answered. (Another's, if
    // the loop ran the caller's and took another's push between the
    // caller's look at its answer and its taking the state: one request,
    // as the loop would have run it.)
    Leave::Offered
}
