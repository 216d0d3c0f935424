//! Patient sends: a tell or an ask that waits for room in a bounded
//! mailbox instead of failing with `MailboxFull`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::endpoint::{Endpoint, Target, ask_envelope, refused};
use crate::actor::{Actor, Cell, Dispatch, MethodInfo};
use crate::base::Error;
use crate::call::{Ask, Reply};
use crate::mailbox::Envelope;
use crate::observe::EventKind;

/// Delivers calls like [`Endpoint`], but waits for room in a full bounded
/// mailbox. From [`ActorRef::wait_for_room`].
#[doc(hidden)]
pub struct Patient<A: Actor> {
    pub(crate) endpoint: Endpoint<A>,
}

impl<A: Actor> Dispatch<A> for Patient<A> {
    type Tell<Args: Send + 'static> = SendWhenRoom<A>;
    type Ask<Args: Send + 'static, R: Send + 'static> = AskWhenRoom<A, R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> SendWhenRoom<A> {
        let sending = match &self.endpoint.target {
            Target::Local(cell) => Sending::Waiting {
                cell: cell.clone(),
                envelope: Some(crate::actor::envelope(
                    cell,
                    EventKind::Tell,
                    method.name,
                    make(args),
                    None,
                )),
            },
            // A remote mailbox's room is the remote node's business.
            Target::Remote(remote) => Sending::Sent(Some(
                remote
                    .send::<A>(EventKind::Tell, method.name, || make(args))
                    .map_err(|error| *error),
            )),
        };
        SendWhenRoom {
            method: method.name,
            sending,
            waiting: None,
        }
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> AskWhenRoom<A, R> {
        let cell = match &self.endpoint.target {
            Target::Local(cell) => cell,
            Target::Remote(remote) => {
                return AskWhenRoom {
                    send: None,
                    ask: remote.ask::<A, Args, R>(method, args, make),
                };
            }
        };
        match ask_envelope(cell, method, args, make) {
            Ok((envelope, sent)) => AskWhenRoom {
                send: Some(SendWhenRoom {
                    method: method.name,
                    sending: Sending::Waiting {
                        cell: cell.clone(),
                        envelope: Some(envelope),
                    },
                    waiting: None,
                }),
                ask: sent.ask(cell.core.label, method.name, None),
            },
            Err(failed) => AskWhenRoom {
                send: None,
                ask: failed,
            },
        }
    }
}

/// A one-way call waiting for room in a bounded mailbox; resolves once the
/// message is queued. From [`ActorRef::wait_for_room`](crate::ActorRef::wait_for_room).
///
/// # Cancel safety
///
/// Dropping it before it resolves means the message was not sent.
#[must_use = "nothing is sent unless this is awaited"]
pub struct SendWhenRoom<A: Actor> {
    method: &'static str,
    sending: Sending<A>,
    /// The waker left with the mailbox while waiting for room, to take back
    /// if this is dropped first.
    waiting: Option<std::task::Waker>,
}

enum Sending<A: Actor> {
    Waiting {
        cell: Arc<Cell<A>>,
        envelope: Option<Envelope<A::Msg>>,
    },
    /// Sent already (to another node); the outcome, until taken.
    Sent(Option<Result<(), Error>>),
}

impl<A: Actor> Future for SendWhenRoom<A> {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match &mut this.sending {
            Sending::Waiting { cell, envelope } => match cell.mailbox.poll_push(envelope, cx) {
                Poll::Ready(outcome) => {
                    this.waiting = None;
                    Poll::Ready(outcome.map_err(|(refusal, undelivered)| {
                        refused(cell, refusal, this.method, &undelivered)
                    }))
                }
                Poll::Pending => {
                    if !this
                        .waiting
                        .as_ref()
                        .is_some_and(|waker| waker.will_wake(cx.waker()))
                    {
                        this.waiting = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
            },
            Sending::Sent(outcome) => Poll::Ready(outcome.take().unwrap_or(Ok(()))),
        }
    }
}

impl<A: Actor> Drop for SendWhenRoom<A> {
    fn drop(&mut self) {
        // Woken for room but gone before using it: pass the turn on.
        if let (Some(waker), Sending::Waiting { cell, .. }) = (&self.waiting, &self.sending) {
            cell.mailbox.abandon_wait(waker);
        }
    }
}

// `SendWhenRoom` holds no self-references.
impl<A: Actor> Unpin for SendWhenRoom<A> {}

/// A request-reply waiting for room in a bounded mailbox, then for its
/// answer. From [`ActorRef::wait_for_room`](crate::ActorRef::wait_for_room).
#[must_use = "nothing is sent unless this is awaited"]
pub struct AskWhenRoom<A: Actor, R: Send + 'static> {
    send: Option<SendWhenRoom<A>>,
    ask: Ask<R>,
}

impl<A: Actor, R: Send + 'static> AskWhenRoom<A, R> {
    /// Overrides the deadline. It runs from the first poll and covers the
    /// wait for room as well as the wait for the answer.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.ask = self.ask.timeout(timeout);
        self
    }
}

impl<A: Actor, R: Send + 'static> Future for AskWhenRoom<A, R> {
    type Output = Result<R, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(send) = &mut this.send {
            // The deadline runs while the request waits for room too: the
            // first poll of the answer starts it, and a timeout ends the
            // wait (dropping the request unsent).
            if let Poll::Ready(answer) = Pin::new(&mut this.ask).poll(cx) {
                this.send = None;
                return Poll::Ready(answer);
            }
            match Pin::new(send).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.send = None;
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(())) => this.send = None,
            }
        }
        Pin::new(&mut this.ask).poll(cx)
    }
}

impl<A: Actor, R: Send + 'static> Unpin for AskWhenRoom<A, R> {}
