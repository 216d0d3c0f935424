//! The actor loop: how one actor takes messages and runs its methods.
//!
//! The same future runs in both execution models: as a Tokio task (tasks
//! mode) or driven by `Handle::block_on` on the actor's own OS thread
//! (threads mode). It owns the actor's state, so methods get `&mut self`
//! without locks: one message at a time, by construction.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::actor::{Actor, Outcome, PanicPolicy};
use crate::cell::Cell;
use crate::context::Context;
use crate::current::{self, Frame};
use crate::error::panic_message;
use crate::exit::ExitReason;
use crate::mailbox::{Envelope, Taken};

/// A batch buffer that grew past this many slots is dropped once empty, so a
/// past burst does not pin memory in an idle actor.
const SHRINK_ABOVE: usize = 1024;

/// The whole life of one actor, from `on_start` to exit.
pub(crate) fn run<A: Actor>(
    actor: A,
    cell: Arc<Cell<A>>,
    policy: PanicPolicy,
) -> impl Future<Output = ()> + Send {
    let frame = Frame::new(cell.core.label, true, None);
    current::scope(frame, live(actor, cell, policy))
}

async fn live<A: Actor>(mut actor: A, cell: Arc<Cell<A>>, policy: PanicPolicy) {
    let guard = ExitGuard {
        cell: Some(cell.clone()),
    };
    let cell = &cell;
    let mut ctx = Context::new(cell.clone());

    let reason = match AssertUnwindSafe(actor.on_start(&mut ctx))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => match ctx.take_stop() {
            Some(reason) => reason,
            None => serve(&mut actor, &mut ctx, cell, policy).await,
        },
        Ok(Err(message)) => ExitReason::Error(message),
        Err(payload) => {
            ExitReason::Panicked(format!("`on_start` panicked: {}", panic_message(&*payload)))
        }
    };

    // From here on the actor takes no messages; dropping what is queued
    // answers every pending caller with `ActorStopped`.
    ctx.cancel_timers();
    drop(cell.mailbox.close());
    let stopping = AssertUnwindSafe(actor.on_stop(&mut ctx, &reason)).catch_unwind();
    if let Err(payload) = stopping.await {
        tracing::warn!(actor = %cell.core.label, message = %panic_message(&*payload), "`on_stop` panicked");
    }
    drop(actor);
    guard.exit(reason);
}

/// Takes messages until a stop is requested or a method stops the actor.
async fn serve<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    cell: &Cell<A>,
    policy: PanicPolicy,
) -> ExitReason {
    let mut batch: VecDeque<Envelope<A::Msg>> = VecDeque::new();
    // Whether the frame currently holds a request's chain; tells and
    // top-level asks carry none, so most messages skip the frame entirely.
    let mut chained = false;
    loop {
        if cell.mailbox.stop_requested() {
            return cell.core.requested_reason();
        }
        let Some(Envelope { msg, chain }) = batch.pop_front() else {
            if batch.capacity() > SHRINK_ABOVE {
                batch = VecDeque::new();
            }
            match poll_fn(|cx| cell.mailbox.poll_take(&mut batch, cx)).await {
                Taken::Messages => continue,
                Taken::Stop => return cell.core.requested_reason(),
            }
        };
        if chained || chain.is_some() {
            chained = chain.is_some();
            current::set_incoming(chain);
        }
        match actor.handle(msg, ctx).await {
            Outcome::Done => {}
            Outcome::Panicked { method, message } => {
                tracing::warn!(actor = %cell.core.label, method, %message, "method panicked");
                if policy == PanicPolicy::Stop {
                    return ExitReason::Panicked(format!("`{method}` panicked: {message}"));
                }
            }
        }
        if let Some(reason) = ctx.take_stop() {
            return reason;
        }
        // Yield to the scheduler now and then when the mailbox never runs
        // dry, exactly as Tokio's own channels do.
        tokio::task::consume_budget().await;
    }
}

/// Makes sure a started actor is reported exited exactly once, even if its
/// loop is dropped mid-method (its runtime shut down) or unwinds.
struct ExitGuard<A: Actor> {
    cell: Option<Arc<Cell<A>>>,
}

impl<A: Actor> ExitGuard<A> {
    fn exit(mut self, reason: ExitReason) {
        if let Some(cell) = self.cell.take() {
            cell.core.exited(reason);
        }
    }
}

impl<A: Actor> Drop for ExitGuard<A> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            drop(cell.mailbox.close());
            cell.core.exited(ExitReason::Killed);
        }
    }
}
