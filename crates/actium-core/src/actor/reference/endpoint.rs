//! The [`Endpoint`] a reference's proxy calls through: where the actor is
//! (this node or another) and how a tell or an ask reaches it.

use std::sync::Arc;

use crate::actor::{Actor, Cell, Dispatch, MethodInfo};
use crate::base::{ActorLabel, Error};
use crate::call::{Ask, AskTrace, Chain, Help, Reply, Sent, chain, current};
use crate::cell::SystemShared;
use crate::mailbox::{Envelope, Refusal};
use crate::observe::{EventKind, is_recording};
use crate::wire::{OutgoingCall, Peer, TraceContext};

/// Delivers calls to one actor, here or on another node: what an
/// [`ActorRef`] dispatches through.
#[doc(hidden)]
pub struct Endpoint<A: Actor> {
    pub(crate) target: Target<A>,
}

/// Where an endpoint's calls go.
pub(crate) enum Target<A: Actor> {
    /// An actor in this process: calls go to its mailbox.
    Local(Arc<Cell<A>>),
    /// An actor on another node: calls are encoded and handed to its peer.
    Remote(Arc<RemoteTarget>),
}

/// An actor on another node, as a reference made in `system` reaches it.
pub(crate) struct RemoteTarget {
    pub(crate) label: ActorLabel,
    pub(crate) peer: Arc<dyn Peer>,
    pub(crate) system: Arc<SystemShared>,
}

impl<A: Actor> Clone for Endpoint<A> {
    fn clone(&self) -> Self {
        Endpoint {
            target: match &self.target {
                Target::Local(cell) => Target::Local(cell.clone()),
                Target::Remote(remote) => Target::Remote(remote.clone()),
            },
        }
    }
}

impl RemoteTarget {
    /// Encodes the message `make` builds with the actor's generated codec
    /// and sends it.
    #[inline]
    pub(crate) fn send<A: Actor>(
        &self,
        kind: EventKind,
        method: &'static str,
        make: impl FnOnce() -> A::Msg,
    ) -> Result<(), Box<Error>> {
        self.send_traced::<A>(kind, method, make, &mut None)
    }

    /// [`send`](Self::send), also giving the context under which the call
    /// was recorded in `traced`, which is `None` and stays so while nothing
    /// records.
    ///
    /// The error is boxed, so that the result is one word, returned in a
    /// register: a wide result returned through memory makes the caller
    /// wait on the callee's stores, on every remote call
    /// (`docs/BENCHMARKS.md`). The message is built by `make` where it is
    /// encoded, for the same reason: a message built by the caller was
    /// moved on just after it was written.
    #[inline]
    fn send_traced<A: Actor>(
        &self,
        kind: EventKind,
        method: &'static str,
        make: impl FnOnce() -> A::Msg,
        traced: &mut Option<TraceContext>,
    ) -> Result<(), Box<Error>> {
        let sent = crate::wire::with_scratch(|payload| {
            let msg = make();
            // Only a context goes into `traced` (already `None`): the whole
            // `Option` copied just after its tag was written was waited on.
            if let Some(trace) =
                crate::actor::remote_sent::<A>(&self.system, self.label, kind, method, &msg)
            {
                *traced = Some(trace);
            }
            let call = A::encode_call(msg, payload)?;
            self.peer.call(OutgoingCall {
                to: self.label.id(),
                method: call.method,
                payload,
                answer: call.answer.map(|answer| answer.for_actor(self.label)),
                trace: traced.as_ref(),
            })
        });
        if let Err(error) = &sent {
            crate::actor::remote_refused(*traced, &self.system, self.label, method, kind, error);
        }
        sent
    }

    pub(crate) fn ask<A: Actor, Args, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let (reply, slot) = Reply::channel();
        let timeout = method.timeout.unwrap_or(self.system.config.default_timeout);
        let mut trace = None;
        match self.send_traced::<A>(
            EventKind::Ask,
            method.name,
            || make(args, reply),
            &mut trace,
        ) {
            Ok(()) => Ask::sent(slot, self.label, method.name, timeout)
                .traced(crate::actor::remote_ask_trace(trace, &self.system)),
            Err(error) => Ask::failed(*error, self.label, method.name),
        }
    }
}

/// The error of a message `cell`'s mailbox refused, recorded as refused if
/// it was recorded as sent.
pub(crate) fn refused<A: Actor>(
    cell: &Cell<A>,
    refusal: Refusal,
    method: &'static str,
    undelivered: &Envelope<A::Msg>,
) -> Error {
    let error = match refusal {
        Refusal::Closed => Error::ActorStopped {
            actor: cell.core.label,
            method,
        },
        Refusal::Full => Error::MailboxFull {
            actor: cell.core.label,
            method,
            capacity: cell.mailbox.capacity().unwrap_or(usize::MAX),
        },
    };
    crate::actor::refused(undelivered, &cell.core.system, cell.core.label, &error);
    error
}

/// The parts of an ask sent from here to `cell`, before its message is
/// built: the caller's chain, the reply the message carries, and the rest
/// of the ask ([`Sent`]); or the ask failed at once if the call would
/// close a cycle of waiting actors. Inlined, so that the parts stay in
/// registers until the ask is made whole.
#[inline(always)]
fn ask_parts<A: Actor, R: Send + 'static>(
    cell: &Cell<A>,
    method: MethodInfo,
) -> Result<(Chain, Reply<R>, Sent<R>), Ask<R>> {
    let label = cell.core.label;
    let (chain, awaiting) = current::outgoing_chain();
    if let Err(deadlock) = chain::check(&chain, label, method.name) {
        return Err(Ask::failed(deadlock, label, method.name));
    }
    let (reply, slot) = Reply::channel();
    let timeout = method
        .timeout
        .unwrap_or(cell.core.system.config.default_timeout);
    let sent = Sent {
        slot,
        timeout,
        awaiting,
        trace: None,
    };
    Ok((chain, reply, sent))
}

/// An ask ready to queue: its envelope, and the rest of the ask.
type Prepared<M, R> = (Envelope<M>, Sent<R>);

/// Builds the envelope of an ask sent from here, with the caller's chain,
/// and the rest of the ask ([`Sent`]), or fails at once if the call would
/// close a cycle of waiting actors: for an ask that waits for room before
/// it is queued.
pub(super) fn ask_envelope<A: Actor, Args, R: Send + 'static>(
    cell: &Cell<A>,
    method: MethodInfo,
    args: Args,
    make: fn(Args, Reply<R>) -> A::Msg,
) -> Result<Prepared<A::Msg, R>, Ask<R>> {
    let (chain, reply, mut sent) = ask_parts(cell, method)?;
    let envelope =
        crate::actor::envelope(cell, EventKind::Ask, method.name, make(args, reply), chain);
    sent.trace = crate::actor::ask_trace(&envelope, &cell.core.system);
    Ok((envelope, sent))
}

/// Queues an ask's message while this process records: stamped, and its
/// trace kept in `trace` so that a timeout is recorded too. Out of line,
/// so that the envelope of an ask nobody records is made in the call to
/// the mailbox's push, not kept on the stack to be looked at first (it
/// was then copied wide just after it was written narrow).
#[cold]
#[inline(never)]
fn push_recorded<A: Actor>(
    cell: &Cell<A>,
    method: &'static str,
    msg: A::Msg,
    chain: Chain,
    trace: &mut Option<Box<AskTrace>>,
) -> Result<(), (Refusal, Envelope<A::Msg>)> {
    let envelope = crate::actor::envelope(cell, EventKind::Ask, method, msg, chain);
    *trace = crate::actor::ask_trace(&envelope, &cell.core.system);
    cell.mailbox.push(envelope)
}

impl<A: Actor> Endpoint<A> {
    /// Queues the one-way message `make` builds (where it is queued or
    /// encoded, not moved there: see `RemoteTarget::send_traced`).
    #[inline]
    pub(crate) fn push(
        &self,
        method: &'static str,
        make: impl FnOnce() -> A::Msg,
    ) -> Result<(), Error> {
        match &self.target {
            Target::Local(cell) => {
                // A one-way message never blocks its sender, so it carries
                // no chain.
                let envelope = crate::actor::envelope(cell, EventKind::Tell, method, make(), None);
                cell.mailbox
                    .push(envelope)
                    .map_err(|(refusal, undelivered)| refused(cell, refusal, method, &undelivered))
            }
            Target::Remote(remote) => remote
                .send::<A>(EventKind::Tell, method, make)
                .map_err(|error| *error),
        }
    }
}

impl<A: Actor> Dispatch<A> for Endpoint<A> {
    type Tell<Args: Send + 'static> = Result<(), Error>;
    type Ask<Args: Send + 'static, R: Send + 'static> = Ask<R>;

    #[inline]
    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> Result<(), Error> {
        self.push(method.name, || make(args))
    }

    #[inline(always)]
    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        let cell = match &self.target {
            Target::Local(cell) => cell,
            Target::Remote(remote) => return remote.ask::<A, Args, R>(method, args, make),
        };
        let (chain, reply, mut sent) = match ask_parts(cell, method) {
            Ok(parts) => parts,
            Err(failed) => return failed,
        };
        let msg = make(args, reply);
        let pushed = if is_recording() {
            push_recorded(cell, method.name, msg, chain, &mut sent.trace)
        } else {
            cell.mailbox.push(Envelope::Message { msg, chain })
        };
        let help: Option<Arc<dyn Help>> = match pushed {
            // The callee's loop stands idle, this thread may run its code,
            // the method does not block, and the caller is an `async`
            // method with nothing else to do while it waits: its first poll
            // may run the request itself rather than wait for the loop (see
            // `actor::standby`).
            Ok(())
                if cell.standby.is_offered()
                    && !method.blocking
                    && cell.core.system.runs_here()
                    && current::may_run_callee() =>
            {
                Some(cell.clone())
            }
            Ok(()) => {
                cell.standby.note_asked();
                None
            }
            Err((refusal, undelivered)) => {
                return Ask::failed(
                    refused(cell, refusal, method.name, &undelivered),
                    cell.core.label,
                    method.name,
                );
            }
        };
        sent.ask(cell.core.label, method.name, help)
    }
}
