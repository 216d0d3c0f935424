//! The actor loop: how one actor takes messages and runs its methods.
//!
//! The same future runs in both execution models: as a Tokio task (tasks
//! mode) or driven by `Handle::block_on` on the actor's own OS thread
//! (threads mode). It owns the actor's state, so methods get `&mut self`
//! without locks: one message at a time, by construction.
//!
//! An actor's life is one or more *incarnations*: a supervised actor whose
//! incarnation ends waits for its supervisor's decision and may start again
//! from its factory, in the same cell — same id, same mailbox, same
//! references.

mod dormant;
mod guard;
mod open;
mod parallel;
mod standby;
#[cfg(test)]
mod tests;

pub(crate) use dormant::dormant;
pub(crate) use guard::ExitGuard;
pub(crate) use guard::guarded;
pub(crate) use parallel::{Boxed, Inline, Reentry};

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::FutureExt;
use open::open_into;
use standby::{Next, Withdraw, offers, poll_standing_by, reclaimed};

use crate::actor::{
    Actor, Birth, Cell, Context, Handled, Handler, Outcome, PanicPolicy, Panicked, State, Unusual,
};
use crate::base::{ExitReason, Signal, panic_message};
use crate::call::{Frame, current};
use crate::cell::{CellCore, Decision, Doing};
use crate::mailbox::{Envelope, Mailbox, Taken, control};
use crate::observe::is_recording;

/// A batch buffer that grew past this many slots is dropped once empty, so a
/// past burst does not pin memory in an idle actor.
const SHRINK_ABOVE: usize = 1024;

/// How many messages of one batch share a unit of Tokio's cooperative
/// budget (128 units a poll): a loop that never runs dry yields after at
/// most 512 messages. One unit a message, as a Tokio channel spends, made
/// it yield every 128, and the yields kept Tokio waking the other worker
/// (an `eventfd` write): about a tenth of a one-way message's time when a
/// batch is long (BENCHMARKS.md, "The actor loop's yields").
const MESSAGES_PER_UNIT: usize = 4;

impl<A> Birth<A> {
    fn next(&mut self) -> Option<Result<Box<A>, String>> {
        match self {
            Birth::Once(actor) => actor.take().map(Ok),
            Birth::Factory(factory) => Some(
                catch_unwind(AssertUnwindSafe(factory))
                    .map(Box::new)
                    .map_err(|payload| panic_message(&*payload)),
            ),
        }
    }
}

/// The whole life of one actor, until it exits for good, with its
/// reentrant loop kept as `R` says.
pub(crate) fn run<A: Handler, R: Reentry<A>>(
    birth: Birth<A>,
    cell: Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
) -> impl Future<Output = ()> + Send {
    let frame = Frame::new(cell.core.label, true, None);
    // Only a system that measures pays for the clock: per poll of the
    // actor's task, not per message.
    let timed = cell.core.system.config.metrics.then(|| cell.clone());
    Timed {
        life: current::scope(frame, live::<A, R>(birth, cell, policy)),
        cell: timed,
    }
}

pin_project_lite::pin_project! {
    /// An actor's life, timed while it runs when its system measures: the
    /// time its task spends being polled (its methods, hooks and loop; not
    /// what it awaits) adds up in its `busy` counter.
    struct Timed<F, A: Actor> {
        #[pin]
        life: F,
        cell: Option<Arc<Cell<A>>>,
    }
}

impl<F: Future, A: Actor> Future for Timed<F, A> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        match this.cell {
            None => this.life.poll(cx),
            Some(cell) => {
                let began = std::time::Instant::now();
                let polled = this.life.poll(cx);
                cell.stats.busy(began.elapsed());
                polled
            }
        }
    }
}

async fn live<A: Handler, R: Reentry<A>>(
    mut birth: Birth<A>,
    cell: Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
) {
    let guard = ExitGuard::new(&cell);
    // Only supervised children are born from a factory (and every one
    // is); their supervisor waits for each incarnation to start before it
    // goes on. Known here, so that the loop does not ask the cell's
    // relations (a lock) whether there is a supervisor.
    let supervised = matches!(birth, Birth::Factory(_));
    // Whether the mailbox is closed for good when the loop ends: an
    // unsupervised actor's incarnation closes it, and only an `on_stop`
    // (which may await, and leave the loop's waker in the mailbox) runs
    // after that, so the exit guard closes it again only then.
    let mut closed = false;
    let reason = loop {
        let reason = match birth.next() {
            Some(Ok(actor)) => {
                let reason = incarnation::<A, R>(actor, &cell, policy, supervised).await;
                closed = !supervised && !A::HAS_ON_STOP;
                reason
            }
            Some(Err(message)) => ExitReason::Panicked(format!("{message} (in the factory)")),
            None => break ExitReason::Normal,
        };
        if !supervised {
            break reason;
        }
        // Only supervised actors wait for a verdict: boxed, so the others
        // do not carry its room.
        match Box::pin(verdict(&cell, &reason)).await {
            Some(Decision::Restart) => {
                cell.core.count(|counts| counts.restarts += 1);
                cell.mailbox.clear_control(control::STOP | control::KILL);
                // The next incarnation starts as a new Erlang process
                // would: trapping exits only if its type always does, not
                // because the last incarnation called `trap_exit`.
                cell.core.set_trap_exits(A::TRAPS_EXITS);
            }
            Some(Decision::Exit(reason)) => break reason,
            None => break reason,
        }
    };
    guard.exit(reason, closed);
}

/// What follows an incarnation: nothing for an unsupervised actor (`None`),
/// else its supervisor's decision.
async fn verdict<A: Handler>(cell: &Cell<A>, reason: &ExitReason) -> Option<Decision> {
    let supervisor = cell.core.supervisor()?;
    CellCore::relations(&mut cell.core.lock()).last_exit = Some(reason.clone());
    cell.core.incarnation_ended(reason);
    // A supervisor that has already exited will decide nothing: its reason
    // is the verdict — unless it gave one before it went. (One that exits
    // later reaches this actor through their link.)
    if let Some(gone) = supervisor.core().exit_reason() {
        cell.core.decide(Decision::Exit(gone));
    }
    Some(poll_fn(|cx| cell.core.poll_decision(cx)).await)
}

/// One incarnation: `on_start`, the messages, `on_stop`.
///
/// This future is most of an idle actor's memory, so it is kept flat:
/// everything a plain actor does between messages is inline, while what is
/// rare or optional — the hooks, signal hooks, and the reentrant loop in
/// an actor that has no parallel methods — is boxed and costs a pointer.
async fn incarnation<A: Handler, R: Reentry<A>>(
    actor: Box<A>,
    cell: &Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
    supervised: bool,
) -> ExitReason {
    // Out of its box into this future: one copy, next to the loop's own
    // state, and a pointer fewer to follow per message.
    let mut actor = *actor;
    let mut ctx = Context::new(cell.clone());
    let started = if A::HAS_ON_START {
        cell.core.set_doing(Doing::STARTING);
        let start = Box::pin(AssertUnwindSafe(actor.on_start(&mut ctx)).catch_unwind());
        guarded(&cell.mailbox, start).await
    } else {
        Some(Ok(Ok(())))
    };
    let has_started = matches!(started, Some(Ok(Ok(()))));
    if supervised && has_started {
        cell.core.mark_started();
    }
    let reason = match started {
        Some(Ok(Ok(()))) => match ctx.take_stop() {
            Some(reason) => reason,
            None if A::REENTRANT => {
                let state = Box::new(State { actor, ctx });
                let (back, reason) = R::serve(state, cell, policy).await;
                let State { actor: a, ctx: c } = *back;
                actor = a;
                ctx = c;
                reason
            }
            None => serve(&mut actor, &mut ctx, cell, policy).await,
        },
        Some(Ok(Err(message))) => ExitReason::Error(message),
        Some(Err(payload)) => {
            ExitReason::Panicked(format!("{} (in `on_start`)", panic_message(&*payload)))
        }
        None => cell.core.requested_reason(),
    };

    ctx.cancel_timers();
    if !supervised {
        // No further incarnation: answer what is queued (with ActorStopped)
        // before `on_stop`, so callers are not kept waiting.
        cell.close_mailbox();
    }
    // `on_stop` undoes what a successful `on_start` did (as OTP's
    // `terminate` follows a successful `init`), and a killed actor runs no
    // more code (Erlang's `kill`): a kill before it skips it, one during it
    // abandons it at its next await, and the actor exits as killed.
    if A::HAS_ON_STOP && has_started {
        cell.core.set_doing(Doing::STOPPING);
        let stopping = Box::pin(AssertUnwindSafe(actor.on_stop(&mut ctx, &reason)).catch_unwind());
        match guarded(&cell.mailbox, stopping).await {
            Some(Ok(())) => {}
            Some(Err(payload)) => {
                tracing::warn!(actor = %cell.core.label, message = %panic_message(&*payload), "`on_stop` panicked");
            }
            None => {
                crate::cell::drop_contained(actor, cell.core.label, "the actor's state");
                return cell.core.requested_reason();
            }
        }
    }
    crate::cell::drop_contained(actor, cell.core.label, "the actor's state");
    reason
}

/// What one step of the loop decided.
enum Step {
    Continue,
    Exit(ExitReason),
}

/// Takes messages until a stop is requested or a method stops the actor;
/// messages taken but not handled go back to the mailbox (for a next
/// incarnation, or to be answered with ActorStopped when it closes).
async fn serve<A: Handler>(
    actor: &mut A,
    ctx: &mut Context<A>,
    cell: &Cell<A>,
    policy: Option<PanicPolicy>,
) -> ExitReason {
    let mut batch: VecDeque<Envelope<A::Msg>> = VecDeque::new();
    // Whether the frame holds a request's chain; tells and top-level asks
    // carry none, so most messages skip the frame entirely.
    let mut chained = false;
    // Whether the loop lends its state to callers while idle (see
    // `actor::standby`); if so, the offer is withdrawn however this ends.
    let offering = offers(cell);
    let _withdraw = offering.then(|| Withdraw(cell));
    let reason = loop {
        // Only a flag comes out of the poll: the envelope is taken here, so
        // that it is not copied through the poll's return value.
        let next = if offering {
            // `reclaimed` first: no reference to the actor or its context
            // is made while a caller may have them.
            poll_fn(|cx| {
                reclaimed(cell, cx)
                    .unwrap_or_else(|| poll_standing_by(cell, actor, ctx, &mut batch, cx))
            })
            .await
        } else if poll_fn(|cx| poll_next(&cell.mailbox, &mut batch, cx)).await {
            Next::Message
        } else {
            Next::Stop
        };
        let outcome = match next {
            Next::Message => {
                let Some(started) = take(&mut batch, actor, ctx, cell, &mut chained) else {
                    continue;
                };
                match started {
                    Started::Done(Outcome::Done) => Finished::Done,
                    Started::Done(outcome) => Finished::Outcome(Some(outcome)),
                    Started::Method(method) => {
                        Finished::Outcome(guarded(&cell.mailbox, method).await)
                    }
                    Started::Signal(signal) => Finished::Signal(signal),
                }
            }
            Next::Stop => break cell.core.requested_reason(),
            Next::Exit(reason) => break *reason,
            // A caller ran a request while the loop stood idle, and left
            // the rest of it to the loop.
            Next::Returned(outcome) => Finished::Outcome(Some(outcome)),
        };
        let outcome = match outcome {
            Finished::Done => {
                if let Some(reason) = ctx.take_stop() {
                    break reason;
                }
                continue;
            }
            Finished::Outcome(outcome) => outcome,
            // Rare: boxed, so the loop's idle size does not include it.
            Finished::Signal(signal) => {
                cell.core.set_doing(Doing::SIGNAL);
                Box::pin(signal_hook(actor, ctx, *signal, &cell.mailbox)).await
            }
        };
        let step = match outcome {
            Some(Outcome::Done) => Step::Continue,
            // Only reentrant actors start parallel tasks; if one appears
            // here, running it to completion keeps the plain-method order.
            Some(Outcome::Unusual(unusual)) => match *unusual {
                Unusual::Parallel(task) => match guarded(&cell.mailbox, task).await {
                    Some(outcome) => settle(outcome, cell, policy),
                    None => Step::Exit(cell.core.requested_reason()),
                },
                Unusual::Panicked(panic) => settle_panic(panic, cell, policy),
            },
            None => Step::Exit(cell.core.requested_reason()),
        };
        if let Step::Exit(reason) = step {
            break reason;
        }
        if let Some(reason) = ctx.take_stop() {
            break reason;
        }
    };
    cell.mailbox.requeue(batch);
    reason
}

/// What [`take`] made of an envelope.
enum Started<'a> {
    /// A synchronous method ran.
    Done(Outcome),
    /// An `async` method's future, for the loop to drive.
    Method(Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>),
    /// A signal, for its hook.
    Signal(Box<Signal>),
}

/// How far [`serve`] got with a message before looking at the actor again.
enum Finished {
    /// A method ran to completion (the common case).
    Done,
    /// A method ended otherwise, or was killed (`None`).
    Outcome(Option<Outcome>),
    /// A signal, for its hook.
    Signal(Box<Signal>),
}

/// Takes the batch's first envelope and starts handling it (`None`: the
/// batch is empty). Handled in a plain function, with no await in sight,
/// so that the common synchronous method does not copy the envelope and
/// its outcome in and out of [`serve`]'s state. A plain message is taken
/// apart as it is read from the batch: taken whole and moved on, it was
/// copied wide just after it was written narrow, and the loop waited on
/// those stores.
#[inline(always)]
fn take<'a, A: Handler>(
    batch: &mut VecDeque<Envelope<A::Msg>>,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    cell: &Cell<A>,
    chained: &mut bool,
) -> Option<Started<'a>> {
    let plain = matches!(batch.front(), Some(Envelope::Message { .. }));
    if !plain || is_recording() {
        let envelope = batch.pop_front()?;
        if let Some(signal) = open_into(envelope, batch, &cell.core, chained) {
            cell.stats.handled();
            return Some(Started::Signal(signal));
        }
    }
    let Some(Envelope::Message { msg, chain }) = batch.pop_front() else {
        unreachable!("the batch's front is a plain message");
    };
    cell.stats.handled();
    // The only call of the method here, so that it is inlined once.
    Some(start(msg, chain, actor, ctx, &cell.core, chained))
}

/// Starts handling one message for [`serve`]: sets the frame's incoming
/// chain and runs the method as far as it goes without awaiting.
#[inline(always)]
fn start<'a, A: Handler>(
    msg: A::Msg,
    chain: crate::call::Chain,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    core: &crate::cell::CellCore,
    chained: &mut bool,
) -> Started<'a> {
    if *chained || chain.is_some() {
        *chained = chain.is_some();
        current::set_incoming(chain);
    }
    core.set_doing(Doing::method(A::method_index(&msg)));
    match actor.handle(msg, ctx) {
        Handled::Done(outcome) => Started::Done(outcome),
        Handled::Pending(method) => Started::Method(method),
    }
}

/// Waits until [`serve`]'s batch holds its next message (`true`), or a
/// stop is requested (`false`): checked before every message, so "stop
/// after the current message" holds.
///
/// Every take from the mailbox, and every [`MESSAGES_PER_UNIT`]th message
/// of a batch, spends one unit of Tokio's cooperative budget, so an actor
/// whose mailbox never runs dry still yields to others. Doing it here
/// rather than with a separate `consume_budget().await` saves a future and
/// a poll per message.
/// Between messages a busy worker also hands over its held-back deadlines
/// once a tick has passed, since it may not park for a while.
#[inline(always)]
fn poll_next<M>(
    mailbox: &Mailbox<M>,
    batch: &mut VecDeque<Envelope<M>>,
    cx: &mut TaskContext<'_>,
) -> Poll<bool> {
    if mailbox.control() != 0 {
        return Poll::Ready(false);
    }
    let budget = if batch.len() % MESSAGES_PER_UNIT == 0 {
        Some(std::task::ready!(tokio::task::coop::poll_proceed(cx)))
    } else {
        None
    };
    if batch.is_empty() {
        if batch.capacity() > SHRINK_ABOVE {
            *batch = VecDeque::new();
        }
        match mailbox.poll_take_in_loop(batch, cx) {
            Poll::Ready(Taken::Messages) => {}
            Poll::Ready(Taken::Stop) => return Poll::Ready(false),
            // Nothing taken: dropping `budget` gives the unit back.
            Poll::Pending => return Poll::Pending,
        }
    }
    // The caller takes the message at once.
    if let Some(budget) = budget {
        budget.made_progress();
    }
    crate::host::publish_if_due();
    Poll::Ready(true)
}

/// Applies the panic policy to a finished method; without one set, the
/// actor stops if anyone would hear of it (see [`PanicPolicy`]).
fn settle<A: Handler>(outcome: Outcome, cell: &Cell<A>, policy: Option<PanicPolicy>) -> Step {
    match outcome {
        Outcome::Done => Step::Continue,
        Outcome::Unusual(unusual) => match *unusual {
            Unusual::Parallel(_) => Step::Continue,
            Unusual::Panicked(panic) => settle_panic(panic, cell, policy),
        },
    }
}

/// [`settle`] for a method that panicked.
fn settle_panic<A: Handler>(panic: Panicked, cell: &Cell<A>, policy: Option<PanicPolicy>) -> Step {
    cell.core.count(|counts| counts.panics += 1);
    let Panicked { method, message } = panic;
    tracing::warn!(actor = %cell.core.label, method, %message, "method panicked");
    let policy = policy.unwrap_or_else(|| {
        if cell.core.is_watched() {
            PanicPolicy::Stop
        } else {
            PanicPolicy::Resume
        }
    });
    match policy {
        PanicPolicy::Resume => Step::Continue,
        PanicPolicy::Stop => Step::Exit(ExitReason::Panicked(format!("{message} (in `{method}`)"))),
    }
}

/// Runs the `#[on_exit]` / `#[on_down]` hook for a signal.
async fn signal_hook<A: Handler, M>(
    actor: &mut A,
    ctx: &mut Context<A>,
    signal: Signal,
    mailbox: &Mailbox<M>,
) -> Option<Outcome> {
    if let Signal::Down(down) = &signal {
        // Flushed by `Monitor::cancel_and_flush` while it waited: unseen.
        if !ctx.erased_cell().core().take_down(down.monitor) {
            return Some(Outcome::Done);
        }
    }
    let (method, hook): (&'static str, Pin<Box<dyn Future<Output = ()> + Send + '_>>) = match signal
    {
        Signal::Exit(exit) => ("on_exit", Box::pin(actor.on_exit(ctx, exit))),
        Signal::Down(down) => ("on_down", Box::pin(actor.on_down(ctx, down))),
    };
    match guarded(mailbox, AssertUnwindSafe(hook).catch_unwind()).await? {
        Ok(()) => Some(Outcome::Done),
        Err(payload) => Some(Outcome::panicked(Panicked {
            method,
            message: panic_message(&*payload),
        })),
    }
}
