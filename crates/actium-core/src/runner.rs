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

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};

use crate::actor::{Actor, Handled, Handler, Outcome, PanicPolicy, Panicked};
use crate::cell::{Cell, Decision, Doing};
use crate::context::Context;
use crate::current::{self, Frame};
use crate::error::panic_message;
use crate::exit::ExitReason;
use crate::mailbox::{Envelope, Mailbox, Taken, control};
use crate::observe;
use crate::reentrant::{Parallel, State};
use crate::signal::Signal;

/// A batch buffer that grew past this many slots is dropped once empty, so a
/// past burst does not pin memory in an idle actor.
const SHRINK_ABOVE: usize = 1024;

/// Where an actor's state comes from.
pub(crate) enum Birth<A> {
    /// One state, one incarnation.
    Once(Option<A>),
    /// A fresh state for each incarnation (supervised children).
    Factory(Box<dyn FnMut() -> A + Send>),
}

impl<A> Birth<A> {
    fn next(&mut self) -> Option<Result<A, String>> {
        match self {
            Birth::Once(actor) => actor.take().map(Ok),
            Birth::Factory(factory) => Some(
                catch_unwind(AssertUnwindSafe(factory)).map_err(|payload| panic_message(&*payload)),
            ),
        }
    }
}

/// The whole life of one actor, until it exits for good.
pub(crate) fn run<A: Handler>(
    birth: Birth<A>,
    cell: Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
) -> impl Future<Output = ()> + Send {
    let frame = Frame::new(cell.core.label, true, None);
    current::scope(frame, live(birth, cell, policy))
}

/// A dormant actor: a waker, parked in its mailbox, that starts the actor's
/// task on the first delivery — a message, a signal or a stop request.
///
/// Until then the actor costs its cell and this waker, not a task: a
/// system can hold a million idle actors in a few hundred megabytes. It
/// holds the cell weakly (the system's table holds it strongly), so a
/// mailbox never keeps its own cell alive.
pub(crate) fn dormant<A: Handler>(
    birth: Birth<A>,
    cell: &Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
) -> std::task::Waker {
    std::task::Waker::from(Arc::new(Dormant {
        birth: std::sync::Mutex::new(Some(birth)),
        cell: Arc::downgrade(cell),
        policy,
    }))
}

struct Dormant<A: Handler> {
    birth: std::sync::Mutex<Option<Birth<A>>>,
    cell: std::sync::Weak<Cell<A>>,
    policy: Option<PanicPolicy>,
}

impl<A: Handler> std::task::Wake for Dormant<A> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let birth = self
            .birth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let (Some(birth), Some(cell)) = (birth, self.cell.upgrade()) {
            let system = cell.core.system.clone();
            system.start_task(run(birth, cell, self.policy));
        }
    }
}

async fn live<A: Handler>(mut birth: Birth<A>, cell: Arc<Cell<A>>, policy: Option<PanicPolicy>) {
    let guard = ExitGuard::new(cell.clone());
    // Only supervised children are born from a factory; their supervisor
    // waits for each incarnation to start before it goes on.
    let supervised = matches!(birth, Birth::Factory(_));
    let reason = loop {
        let reason = match birth.next() {
            Some(Ok(actor)) => incarnation(actor, &cell, policy, supervised).await,
            Some(Err(message)) => ExitReason::Panicked(format!("the factory panicked: {message}")),
            None => break ExitReason::Normal,
        };
        if cell.core.supervisor().is_none() {
            break reason;
        }
        // Only supervised actors wait for a verdict: boxed, so the others
        // do not carry its room.
        match Box::pin(verdict(&cell, &reason)).await {
            Some(Decision::Restart) => {
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
    guard.exit(reason);
}

/// What follows an incarnation: nothing for an unsupervised actor (`None`),
/// else its supervisor's decision.
async fn verdict<A: Handler>(cell: &Cell<A>, reason: &ExitReason) -> Option<Decision> {
    let supervisor = cell.core.supervisor()?;
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
/// rare or optional — the hooks, signal hooks, a reentrant actor's loop —
/// is boxed and costs a pointer.
async fn incarnation<A: Handler>(
    mut actor: A,
    cell: &Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
    supervised: bool,
) -> ExitReason {
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
                let (back, reason) = Box::pin(serve_reentrant(state, cell, policy)).await;
                let State { actor: a, ctx: c } = *back;
                actor = a;
                ctx = c;
                reason
            }
            None => serve(&mut actor, &mut ctx, cell, policy).await,
        },
        Some(Ok(Err(message))) => ExitReason::Error(message),
        Some(Err(payload)) => {
            ExitReason::Panicked(format!("`on_start` panicked: {}", panic_message(&*payload)))
        }
        None => cell.core.requested_reason(),
    };

    ctx.cancel_timers();
    if cell.core.supervisor().is_none() {
        // No further incarnation: answer what is queued (with ActorStopped)
        // before `on_stop`, so callers are not kept waiting.
        crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
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
    let reason = loop {
        // Only a flag comes out of the poll: the envelope is taken here, so
        // that it is not copied through the poll's return value.
        if !poll_fn(|cx| poll_next(&cell.mailbox, &mut batch, cx)).await {
            break cell.core.requested_reason();
        }
        let Some(envelope) = batch.pop_front() else {
            continue;
        };
        // Handled in a plain function, with no await in sight, so that the
        // common synchronous method does not copy the envelope and its
        // outcome in and out of this future's state.
        let outcome = match start(envelope, actor, ctx, &cell.core, &mut chained) {
            Started::Done(Outcome::Done) => Finished::Done,
            Started::Done(outcome) => Finished::Outcome(Some(outcome)),
            Started::Method(method) => Finished::Outcome(guarded(&cell.mailbox, method).await),
            Started::Signal(signal) => Finished::Signal(signal),
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
            Some(Outcome::Parallel(task)) => match guarded(&cell.mailbox, task).await {
                Some(outcome) => settle(outcome, cell, policy),
                None => Step::Exit(cell.core.requested_reason()),
            },
            Some(outcome) => settle(outcome, cell, policy),
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

/// What [`start`] made of a message.
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

/// Starts handling one envelope for [`serve`]: sets the frame's incoming
/// chain and runs the method as far as it goes without awaiting.
#[inline(always)]
fn start<'a, A: Handler>(
    envelope: Envelope<A::Msg>,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    core: &crate::cell::CellCore,
    chained: &mut bool,
) -> Started<'a> {
    match observe::open(envelope, core) {
        Envelope::Message { msg, chain } => {
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
        Envelope::Signal(signal) => {
            // A hook serves no request: its asks carry no old chain.
            if *chained {
                *chained = false;
                current::set_incoming(None);
            }
            Started::Signal(signal)
        }
        Envelope::Traced(_) => unreachable!("`observe::open` unpacks recorded messages"),
    }
}

/// Waits until [`serve`]'s batch holds its next message (`true`), or a
/// stop is requested (`false`): checked before every message, so "stop
/// after the current message" holds.
///
/// Every message spends one unit of Tokio's cooperative budget, as a
/// message taken from Tokio's own channels does, so an actor whose mailbox
/// never runs dry still yields to others. Doing it here rather than with a
/// separate `consume_budget().await` saves a future and a poll per message.
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
    let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
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
    budget.made_progress();
    crate::deadline::publish_if_due();
    Poll::Ready(true)
}

/// Like [`serve`], for actors with `parallel` methods: between messages the
/// loop polls the parallel methods in flight, lending them the state.
async fn serve_reentrant<A: Handler>(
    mut state: Box<State<A>>,
    cell: &Cell<A>,
    policy: Option<PanicPolicy>,
) -> (Box<State<A>>, ExitReason) {
    let lend = state.ctx.lend();
    let mut owned = Some(state);
    let mut in_flight: FuturesUnordered<Parallel<A>> = FuturesUnordered::new();
    // A parallel method just started, not yet polled.
    let mut fresh: Option<Parallel<A>> = None;
    let mut batch: VecDeque<Envelope<A::Msg>> = VecDeque::new();
    let reason = 'serve: loop {
        // Wait for the next message, driving parallel methods meanwhile.
        let next = poll_fn(|cx| {
            let mut finished = Vec::new();
            if fresh.is_some() || !in_flight.is_empty() {
                // Lend the state for exactly the duration of this poll.
                if let Some(lent) = owned.take() {
                    lend.put(lent);
                }
                // A method that just started takes its first turn here,
                // before the next message: requests start in the order
                // they came, as plain ones do. Left to `in_flight`, it
                // would queue behind methods that woke themselves, and
                // `FuturesUnordered` may yield before reaching it. (Pushed
                // there, it is polled once more at once: a spurious poll,
                // harmless.)
                if let Some(mut task) = fresh.take() {
                    match Pin::new(&mut task).poll(cx) {
                        Poll::Ready(outcome) => finished.push(outcome),
                        Poll::Pending => in_flight.push(task),
                    }
                }
                while let Poll::Ready(Some(outcome)) = in_flight.poll_next_unpin(cx) {
                    finished.push(outcome);
                }
                owned = lend.take();
            }
            if !finished.is_empty() {
                return Poll::Ready(Next::Finished(finished));
            }
            if cell.mailbox.control() != 0 {
                return Poll::Ready(Next::Stop);
            }
            if let Some(envelope) = batch.pop_front() {
                return Poll::Ready(Next::Envelope(envelope));
            }
            match cell.mailbox.poll_take_in_loop(&mut batch, cx) {
                Poll::Ready(Taken::Messages) => match batch.pop_front() {
                    Some(envelope) => Poll::Ready(Next::Envelope(envelope)),
                    None => Poll::Pending,
                },
                Poll::Ready(Taken::Stop) => Poll::Ready(Next::Stop),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        // `owned` is refilled right after every lending: `Reentrant` only
        // borrows the state from the slot, never takes it.
        let Some(State { actor, ctx }) = owned.as_deref_mut() else {
            unreachable!("the reentrant state is returned after every poll")
        };
        let outcomes = match next.opened(&cell.core) {
            Next::Stop => break 'serve cell.core.requested_reason(),
            Next::Finished(outcomes) => outcomes,
            Next::Envelope(Envelope::Message { msg, chain }) => {
                current::set_incoming(chain);
                cell.core.set_doing(Doing::method(A::method_index(&msg)));
                let outcome = match actor.handle(msg, ctx) {
                    Handled::Done(outcome) => Some(outcome),
                    Handled::Pending(method) => guarded(&cell.mailbox, method).await,
                };
                match outcome {
                    Some(Outcome::Parallel(task)) => {
                        fresh = Some(Parallel::new(task, lend.clone()));
                        Vec::new()
                    }
                    Some(outcome) => vec![(outcome, None)],
                    None => break 'serve cell.core.requested_reason(),
                }
            }
            Next::Envelope(Envelope::Signal(signal)) => {
                current::set_incoming(None);
                cell.core.set_doing(Doing::SIGNAL);
                match signal_hook(actor, ctx, *signal, &cell.mailbox).await {
                    Some(outcome) => vec![(outcome, None)],
                    None => break 'serve cell.core.requested_reason(),
                }
            }
            Next::Envelope(Envelope::Traced(_)) => {
                unreachable!("`observe::open` unpacks recorded messages")
            }
        };
        let mut stop = None;
        for (outcome, requested) in outcomes {
            if let Step::Exit(reason) = settle(outcome, cell, policy) {
                break 'serve reason;
            }
            // A parallel method that stopped its actor has returned now.
            stop = stop.or(requested);
        }
        if let Some(reason) = stop.or_else(|| ctx.take_stop()) {
            break 'serve reason;
        }
        crate::deadline::publish_if_due();
        tokio::task::consume_budget().await;
    };
    // Parallel methods still in flight are dropped: their callers get
    // `ActorStopped`. Messages taken but not handled go back.
    drop(fresh);
    drop(in_flight);
    cell.mailbox.requeue(batch);
    match owned {
        Some(back) => state = back,
        None => unreachable!("the reentrant state is returned after every poll"),
    }
    (state, reason)
}

enum Next<M> {
    Envelope(Envelope<M>),
    /// Parallel methods that returned, each with the stop it requested.
    Finished(Vec<(Outcome, Option<ExitReason>)>),
    Stop,
}

impl<M> Next<M> {
    /// Unpacks a recorded message (see `observe::open`).
    fn opened(self, core: &crate::cell::CellCore) -> Self {
        match self {
            Next::Envelope(envelope) => Next::Envelope(observe::open(envelope, core)),
            other => other,
        }
    }
}

/// Applies the panic policy to a finished method; without one set, the
/// actor stops if anyone would hear of it (see [`PanicPolicy`]).
fn settle<A: Handler>(outcome: Outcome, cell: &Cell<A>, policy: Option<PanicPolicy>) -> Step {
    match outcome {
        Outcome::Done | Outcome::Parallel(_) => Step::Continue,
        Outcome::Panicked(panic) => {
            let Panicked { method, message } = *panic;
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
                PanicPolicy::Stop => Step::Exit(ExitReason::Panicked(format!(
                    "`{method}` panicked: {message}"
                ))),
            }
        }
    }
}

/// Runs the `#[on_exit]` / `#[on_down]` hook for a signal.
async fn signal_hook<A: Handler, M>(
    actor: &mut A,
    ctx: &mut Context<A>,
    signal: Signal,
    mailbox: &Mailbox<M>,
) -> Option<Outcome> {
    let (method, hook): (&'static str, Pin<Box<dyn Future<Output = ()> + Send + '_>>) = match signal
    {
        Signal::Exit(exit) => ("on_exit", Box::pin(actor.on_exit(ctx, exit))),
        Signal::Down(down) => ("on_down", Box::pin(actor.on_down(ctx, down))),
    };
    match guarded(mailbox, AssertUnwindSafe(hook).catch_unwind()).await? {
        Ok(()) => Some(Outcome::Done),
        Err(payload) => Some(Outcome::Panicked(Box::new(Panicked {
            method,
            message: panic_message(&*payload),
        }))),
    }
}

/// Polls `future` to completion unless the actor is killed first; a kill
/// drops it at its next await. Resolves to `None` when killed.
pub(crate) fn guarded<M, F: Future>(mailbox: &Mailbox<M>, future: F) -> Guarded<'_, M, F> {
    Guarded { mailbox, future }
}

pin_project_lite::pin_project! {
    /// The future of [`guarded`]: the method's future, pinned in place (no
    /// allocation per message).
    pub(crate) struct Guarded<'a, M, F> {
        mailbox: &'a Mailbox<M>,
        #[pin]
        future: F,
    }
}

impl<M, F: Future> Future for Guarded<'_, M, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.mailbox.control() & control::KILL != 0 {
            return Poll::Ready(None);
        }
        match this.future.poll(cx) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending => {
                if this.mailbox.register_running(cx.waker()) {
                    Poll::Ready(None)
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

/// Makes sure a started actor is reported exited exactly once, even if its
/// loop is dropped mid-method (its runtime shut down) or unwinds.
pub(crate) struct ExitGuard<A: Actor> {
    cell: Option<Arc<Cell<A>>>,
}

impl<A: Actor> ExitGuard<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>) -> Self {
        ExitGuard { cell: Some(cell) }
    }

    pub(crate) fn exit(mut self, reason: ExitReason) {
        if let Some(cell) = self.cell.take() {
            crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
            cell.core.exited(reason);
        }
    }
}

impl<A: Actor> Drop for ExitGuard<A> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
            cell.core.exited(ExitReason::Killed);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cell::tests::{Idle, cell};

    /// The loop future and the cell are what a running actor costs; this
    /// guards them against a change that quietly inlines something large
    /// (sizes, not timings: they do not depend on the machine's load).
    #[test]
    fn an_actors_loop_and_cell_stay_small() {
        let system = crate::System::builder().start().expect("system");
        let life = super::run(super::Birth::Once(Some(Idle)), cell(&system, 1), None);
        let loop_bytes = std::mem::size_of_val(&life);
        let cell_bytes = std::mem::size_of::<crate::cell::Cell<Idle>>();
        assert!(
            loop_bytes <= 640,
            "the actor loop future grew to {loop_bytes} bytes"
        );
        assert!(cell_bytes <= 256, "the cell grew to {cell_bytes} bytes");
    }
}
