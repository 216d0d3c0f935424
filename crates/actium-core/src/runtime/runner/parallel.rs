//! Serving a reentrant actor: its `#[parallel]` methods run concurrently
//! with each other while exclusive ones wait their turn for the state.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::guard::guarded;
use super::{Step, settle, signal_hook};
use crate::actor::{Cell, Handled, Handler, Lend, Outcome, PanicPolicy, Parallel, State, Unusual};
use crate::base::ExitReason;
use crate::call::current;
use crate::cell::Doing;
use crate::mailbox::{Envelope, Taken};

/// Where an incarnation keeps the reentrant loop's future.
///
/// Which values an async function keeps across its awaits is decided once
/// for every `A`, before `A::REENTRANT` is known: a branch that the
/// constant rules out still takes room. So the choice is made by type, at
/// spawn (`SystemShared::spawn`): [`Inline`] for an actor with parallel
/// methods, [`Boxed`] for the others. Either serves any actor correctly;
/// only where the loop lies differs.
pub(crate) trait Reentry<A: Handler>: 'static {
    /// Whether the loop lies inline: what `spawn` chooses for an actor
    /// with parallel methods.
    const INLINE: bool;

    /// The reentrant loop, until the actor stops; gives the state back.
    fn serve(
        state: Box<State<A>>,
        cell: &Cell<A>,
        policy: Option<PanicPolicy>,
    ) -> impl Future<Output = (Box<State<A>>, ExitReason)> + Send;
}

/// The reentrant loop in a box of its own, made when it starts: an actor
/// without parallel methods never starts it, and its future keeps only a
/// pointer's room for it.
pub(crate) enum Boxed {}

/// The reentrant loop inline in the actor's future: a poll of an actor
/// with parallel methods follows one pointer fewer.
pub(crate) enum Inline {}

impl<A: Handler> Reentry<A> for Boxed {
    const INLINE: bool = false;

    fn serve(
        state: Box<State<A>>,
        cell: &Cell<A>,
        policy: Option<PanicPolicy>,
    ) -> impl Future<Output = (Box<State<A>>, ExitReason)> + Send {
        Box::pin(serve_reentrant(state, cell, policy))
    }
}

impl<A: Handler> Reentry<A> for Inline {
    const INLINE: bool = true;

    fn serve(
        state: Box<State<A>>,
        cell: &Cell<A>,
        policy: Option<PanicPolicy>,
    ) -> impl Future<Output = (Box<State<A>>, ExitReason)> + Send {
        serve_reentrant(state, cell, policy)
    }
}

/// Like [`serve`], for actors with `parallel` methods: between messages the
/// loop polls the parallel methods in flight, lending them the state.
pub(super) async fn serve_reentrant<A: Handler>(
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
            let finished = drive_parallel(cx, &lend, &mut owned, &mut fresh, &mut in_flight);
            if !finished.is_empty() {
                return Poll::Ready(Next::Finished(finished));
            }
            poll_mailbox(cx, cell, &mut batch)
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
                    Some(Outcome::Unusual(unusual)) => match *unusual {
                        Unusual::Parallel(task) => {
                            fresh = Some(Parallel::new(task, lend.clone()));
                            Vec::new()
                        }
                        panicked => vec![(Outcome::Unusual(Box::new(panicked)), None)],
                    },
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
                unreachable!("`runner::open` unpacks recorded messages")
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
        crate::host::publish_if_due();
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

/// One turn for the parallel methods in flight (and the one just started),
/// with the state lent to them for exactly that turn; returns the outcomes
/// of those that finished.
fn drive_parallel<A: Handler>(
    cx: &mut Context<'_>,
    lend: &Lend<A>,
    owned: &mut Option<Box<State<A>>>,
    fresh: &mut Option<Parallel<A>>,
    in_flight: &mut FuturesUnordered<Parallel<A>>,
) -> Vec<(Outcome, Option<ExitReason>)> {
    let mut finished = Vec::new();
    if fresh.is_some() || !in_flight.is_empty() {
        // Lend the state for exactly the duration of this poll: taken back
        // when `reclaim` drops, even if a poll unwinds, so that the lender's
        // name never outlives the lending.
        let reclaim = Reclaim { lend, owned };
        if let Some(lent) = reclaim.owned.take() {
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
        drop(reclaim);
    }
    finished
}

/// Takes the lent state back into the loop's hands when dropped.
struct Reclaim<'a, A: Handler> {
    lend: &'a Lend<A>,
    owned: &'a mut Option<Box<State<A>>>,
}

impl<A: Handler> Drop for Reclaim<'_, A> {
    fn drop(&mut self) {
        *self.owned = self.lend.take();
    }
}

/// The next message or stop request from the mailbox, taking a batch when
/// the one taken before is used up.
fn poll_mailbox<A: Handler>(
    cx: &mut Context<'_>,
    cell: &Cell<A>,
    batch: &mut VecDeque<Envelope<A::Msg>>,
) -> Poll<Next<A::Msg>> {
    if cell.mailbox.control() != 0 {
        return Poll::Ready(Next::Stop);
    }
    if let Some(envelope) = batch.pop_front() {
        cell.stats.handled();
        return Poll::Ready(Next::Envelope(envelope));
    }
    match cell.mailbox.poll_take_in_loop(batch, cx) {
        Poll::Ready(Taken::Messages) => match batch.pop_front() {
            Some(envelope) => {
                cell.stats.handled();
                Poll::Ready(Next::Envelope(envelope))
            }
            None => Poll::Pending,
        },
        Poll::Ready(Taken::Stop) => Poll::Ready(Next::Stop),
        Poll::Pending => Poll::Pending,
    }
}

enum Next<M> {
    Envelope(Envelope<M>),
    /// Parallel methods that returned, each with the stop it requested.
    Finished(Vec<(Outcome, Option<ExitReason>)>),
    Stop,
}

impl<M> Next<M> {
    /// Unpacks a recorded message (see `runner::open`).
    fn opened(self, core: &crate::cell::CellCore) -> Self {
        match self {
            Next::Envelope(envelope) => Next::Envelope(super::open::open(envelope, core)),
            other => other,
        }
    }
}
