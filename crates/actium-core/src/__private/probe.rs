//! Entry points into the runtime's hot paths, for the criterion benchmarks
//! (`cargo bench -p actium-core` and `cargo bench -p actium`). Not public
//! API: reached through `__private::probe`.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use futures_util::FutureExt;

use crate::actor::{Cell, Context, Dispatch, Handled, Handler, MethodInfo, Methods};
use crate::base::{ActorId, ActorLabel};
use crate::call::{Ask, Reply};
use crate::mailbox::{Envelope, Mailbox, Taken};
use crate::runtime::System;

/// A mailbox of numbers, driven by hand.
pub struct MailboxProbe {
    mailbox: Mailbox<u64>,
    batch: VecDeque<Envelope<u64>>,
}

impl Default for MailboxProbe {
    fn default() -> Self {
        MailboxProbe {
            mailbox: Mailbox::new(None),
            batch: VecDeque::new(),
        }
    }
}

impl MailboxProbe {
    /// Queues `n`; false if refused.
    pub fn push(&self, n: u64) -> bool {
        let envelope = Envelope::Message {
            msg: n,
            chain: None,
        };
        self.mailbox.push(envelope).is_ok()
    }

    /// Takes everything queued, as the actor loop does; returns the sum.
    pub fn take_all(&mut self) -> u64 {
        let mut cx = TaskContext::from_waker(Waker::noop());
        let mut sum = 0;
        if let Poll::Ready(Taken::Messages) = self.mailbox.poll_take(&mut self.batch, &mut cx) {
            for envelope in self.batch.drain(..) {
                if let Envelope::Message { msg, .. } = envelope {
                    sum += msg;
                }
            }
        }
        sum
    }

    /// What an actor loop does per request-reply round trip: takes the one
    /// queued message (arming the mailbox), then finds nothing more and
    /// waits, without the lock while nothing came. Returns the message.
    pub fn take_then_wait(&mut self) -> u64 {
        let mut cx = TaskContext::from_waker(Waker::noop());
        let mut got = 0;
        if let Poll::Ready(Taken::Messages) =
            self.mailbox.poll_take_in_loop(&mut self.batch, &mut cx)
        {
            if let Some(Envelope::Message { msg, .. }) = self.batch.pop_front() {
                got = msg;
            }
        }
        if self
            .mailbox
            .poll_take_in_loop(&mut self.batch, &mut cx)
            .is_ready()
        {
            got = u64::MAX;
        }
        got
    }
}

/// One request-reply through a bare reply slot: create, answer, take.
pub fn reply_round_trip(value: u64) -> u64 {
    let (reply, mut slot) = Reply::channel();
    reply.send(value);
    let mut cx = TaskContext::from_waker(Waker::noop());
    match slot.poll_take(&mut cx) {
        Poll::Ready(crate::sync::Outcome::Value(v)) => v,
        _ => u64::MAX,
    }
}

/// One request-reply through the caller's [`Ask`] as a real caller sees
/// it: polled while pending (which registers its deadline), answered,
/// polled again.
pub fn ask_round_trip(value: u64, timeout: Duration) -> u64 {
    let (reply, slot) = Reply::channel();
    let label = ActorLabel::new(ActorId::new(crate::base::NodeId::from_u64(1), 1), "Probe");
    let mut ask = Ask::sent(slot, label, "probe", timeout);
    let mut cx = TaskContext::from_waker(Waker::noop());
    let pending = std::pin::Pin::new(&mut ask).poll(&mut cx).is_pending();
    reply.send(value);
    match std::pin::Pin::new(&mut ask).poll(&mut cx) {
        Poll::Ready(Ok(v)) if pending => v,
        _ => u64::MAX,
    }
}

/// Makes this thread hold deadline registrations back until it parks, as
/// the system's worker threads do (other threads publish each at once).
pub fn batch_deadlines_like_a_worker() {
    crate::host::enable_batching();
}

/// A dispatcher that runs each call on the calling thread, at once: the
/// generated proxy and `handle`, without a mailbox or a scheduler. Only
/// synchronous methods.
pub struct Inline<A: Handler> {
    state: Mutex<(A, Context<A>)>,
}

impl<A: Handler> Inline<A> {
    /// `actor`'s proxy, dispatching inline. The actor's context belongs to
    /// `system`.
    pub fn proxy(actor: A, system: &System) -> A::Methods<Inline<A>> {
        let label = ActorLabel::new(ActorId::new(crate::base::NodeId::from_u64(1), 1), A::NAME);
        let cell = Arc::new(Cell::<A>::new(
            label,
            system.handle().shared().clone(),
            None,
        ));
        let inline = Inline {
            state: Mutex::new((actor, Context::new(cell))),
        };
        <A::Methods<Inline<A>> as Methods<A, Inline<A>>>::new(inline)
    }

    fn deliver(&self, msg: A::Msg) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (actor, ctx) = &mut *state;
        match actor.handle(msg, ctx) {
            Handled::Done(_) => {}
            Handled::Pending(method) => {
                assert!(
                    method.now_or_never().is_some(),
                    "inline dispatch runs synchronous methods only"
                );
            }
        }
    }
}

impl<A: Handler> Dispatch<A> for Inline<A> {
    type Tell<Args: Send + 'static> = ();
    type Ask<Args: Send + 'static, R: Send + 'static> = Option<R>;

    fn tell<Args: Send + 'static>(&self, _: MethodInfo, args: Args, make: fn(Args) -> A::Msg) {
        self.deliver(make(args));
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        _: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Option<R> {
        let (reply, mut slot) = Reply::channel();
        self.deliver(make(args, reply));
        let mut cx = TaskContext::from_waker(Waker::noop());
        match slot.poll_take(&mut cx) {
            Poll::Ready(crate::sync::Outcome::Value(v)) => Some(v),
            _ => None,
        }
    }
}
