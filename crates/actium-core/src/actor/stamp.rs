//! Stamping what an actor sends: the recording hooks of the send path, local
//! (`envelope`) and remote (`remote_sent`, `remote_envelope`). The other
//! hooks live with what they touch (`call/activation.rs`,
//! `cell/record.rs`, `runtime/runner`). Each starts with one relaxed load
//! ([`is_recording`]); the work behind it is out of line and marked cold,
//! so the hot paths keep their shape while nothing records.

use std::sync::Arc;

use crate::actor::{Actor, Cell};
use crate::base::{ActorLabel, Error};
use crate::call::{AskTrace, Chain, current};
use crate::cell::SystemShared;
use crate::mailbox::{Envelope, Traced};
use crate::observe::{Event, EventKind, MessageId, Recorder, Stamp, emit, is_recording};

/// The envelope of a message about to be sent to `cell`: plain while
/// nothing records, else stamped and recorded as sent.
#[inline]
pub(crate) fn envelope<A: Actor>(
    cell: &Cell<A>,
    kind: EventKind,
    method: &'static str,
    msg: A::Msg,
    chain: Chain,
) -> Envelope<A::Msg> {
    if !is_recording() {
        return Envelope::Message { msg, chain };
    }
    sent(cell, kind, method, msg, chain)
}

#[cold]
#[inline(never)]
fn sent<A: Actor>(
    cell: &Cell<A>,
    kind: EventKind,
    method: &'static str,
    msg: A::Msg,
    chain: Chain,
) -> Envelope<A::Msg> {
    let (from, parent, recorder) = sender(&cell.core.system);
    let Some(recorder) = recorder else {
        return Envelope::Message { msg, chain };
    };
    let id = MessageId::next();
    let mut event = Event::new(kind, id, method);
    event.parent = parent;
    event.from = from;
    event.to = Some(cell.core.label);
    emit(&*recorder, event, || {
        let mut detail = String::new();
        A::describe(&msg, &mut detail);
        Some(detail)
    });
    let stamp = Stamp {
        id,
        from,
        method,
        kind,
    };
    Envelope::Traced(Box::new(Traced { msg, chain, stamp }))
}

/// A call about to leave for another node: recorded as sent by the
/// sender's recorder (or its system's), and the context the other node
/// needs to record its handling under the same message id. `None` while
/// nothing records.
#[inline]
pub(super) fn remote_sent<A: Actor>(
    system: &crate::cell::SystemShared,
    to: ActorLabel,
    kind: EventKind,
    method: &'static str,
    msg: &A::Msg,
) -> Option<crate::wire::TraceContext> {
    if !is_recording() {
        return None;
    }
    remote_sent_recorded::<A>(system, to, kind, method, msg)
}

#[cold]
#[inline(never)]
fn remote_sent_recorded<A: Actor>(
    system: &crate::cell::SystemShared,
    to: ActorLabel,
    kind: EventKind,
    method: &'static str,
    msg: &A::Msg,
) -> Option<crate::wire::TraceContext> {
    let (from, parent, recorder) = sender(system);
    let recorder = recorder?;
    let id = MessageId::next();
    let mut event = Event::new(kind, id, method);
    event.parent = parent;
    event.from = from;
    event.to = Some(to);
    emit(&*recorder, event, || {
        let mut detail = String::new();
        A::describe(msg, &mut detail);
        Some(detail)
    });
    Some(crate::wire::TraceContext { message: id, from })
}

/// The envelope of a call that arrived from another node: stamped with
/// the sender's message id when the sender recorded it and this process
/// records, so this node's events about it share that id.
#[inline]
pub(super) fn remote_envelope<M>(
    msg: M,
    trace: Option<&crate::wire::TraceContext>,
    method: &'static str,
    kind: EventKind,
) -> Envelope<M> {
    match trace {
        Some(trace) if is_recording() => Envelope::Traced(Box::new(Traced {
            msg,
            chain: None,
            stamp: Stamp {
                id: trace.message,
                from: trace.from,
                method,
                kind,
            },
        })),
        _ => Envelope::Message { msg, chain: None },
    }
}

/// Who is sending from here (`None` outside any actor), the message it
/// is handling, and the recorder the send goes to: the sender's system
/// records it if the sender is a recording actor, otherwise `system` (the
/// receiver's, or the one the reference was made in) does.
fn sender(
    system: &SystemShared,
) -> (
    Option<ActorLabel>,
    Option<MessageId>,
    Option<Arc<dyn Recorder>>,
) {
    let (from, parent, recorder) = current::observing(|actor, handling| {
        (
            Some(actor),
            handling.stamp.map(|stamp| stamp.id),
            handling.recorder.clone(),
        )
    })
    .unwrap_or((None, None, None));
    (
        from,
        parent,
        recorder.or_else(|| system.recorder.get().cloned()),
    )
}

/// What the `Ask` of a recorded request needs to record its caller's
/// timeout; `None` for a request nobody records.
#[inline]
pub(super) fn ask_trace<M>(envelope: &Envelope<M>, system: &SystemShared) -> Option<Box<AskTrace>> {
    match envelope {
        Envelope::Traced(traced) => traced_ask(traced.stamp.id, traced.stamp.from, system),
        _ => None,
    }
}

/// The same for a request sent to another node, from the context it
/// carries.
#[inline]
pub(super) fn remote_ask_trace(
    trace: Option<crate::wire::TraceContext>,
    system: &SystemShared,
) -> Option<Box<AskTrace>> {
    trace.and_then(|trace| traced_ask(trace.message, trace.from, system))
}

#[cold]
#[inline(never)]
fn traced_ask(
    id: MessageId,
    from: Option<ActorLabel>,
    system: &SystemShared,
) -> Option<Box<AskTrace>> {
    let recorder = sender(system).2?;
    Some(Box::new(AskTrace { id, from, recorder }))
}

/// Records that a recorded message was refused before it reached `to`;
/// nothing for a message nobody records.
#[inline]
pub(super) fn refused<M>(
    envelope: &Envelope<M>,
    system: &SystemShared,
    to: ActorLabel,
    why: &Error,
) {
    if let Envelope::Traced(traced) = envelope {
        refused_recorded(&traced.stamp, system, to, why);
    }
}

/// Records that a call to another node was refused before it left (no
/// connection, a full outbox, a value that cannot be encoded).
#[inline]
pub(super) fn remote_refused(
    trace: Option<crate::wire::TraceContext>,
    system: &SystemShared,
    to: ActorLabel,
    method: &'static str,
    kind: EventKind,
    why: &Error,
) {
    if let Some(trace) = trace {
        let stamp = Stamp {
            id: trace.message,
            from: trace.from,
            method,
            kind,
        };
        refused_recorded(&stamp, system, to, why);
    }
}

#[cold]
#[inline(never)]
fn refused_recorded(stamp: &Stamp, system: &SystemShared, to: ActorLabel, why: &Error) {
    let Some(recorder) = sender(system).2 else {
        return;
    };
    let mut event = Event::new(EventKind::Refused, stamp.id, stamp.method);
    event.from = stamp.from;
    event.to = Some(to);
    emit(&*recorder, event, || Some(why.to_string()));
}
