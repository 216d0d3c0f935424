//! Where the runtime records: the hooks the send path, the actor loop, the
//! generated code, links and the registry call. Each starts with one
//! relaxed load ([`is_recording`]); the work behind it is out of line and
//! marked cold, so the hot paths keep their shape while nothing records.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Event, EventKind, MessageId, Recorder, Stamp, display_capped, is_recording};
use crate::actor::Actor;
use crate::cell::{Cell, CellCore};
use crate::chain::Chain;
use crate::current;
use crate::id::ActorLabel;
use crate::mailbox::{Envelope, Traced};

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
    // The sender's own system records the send if the sender is a recording
    // actor; otherwise the receiver's does.
    let (from, parent, recorder) = current::observing(|actor, handling| {
        (
            Some(actor),
            handling.stamp.map(|stamp| stamp.id),
            handling.recorder.clone(),
        )
    })
    .unwrap_or((None, None, None));
    let Some(recorder) = recorder.or_else(|| cell.core.system.recorder.get().cloned()) else {
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

/// Opens an envelope the actor loop took: a stamped one makes its message
/// the frame's current one, so what the method does is recorded against it.
#[inline]
pub(crate) fn open<M>(envelope: Envelope<M>, core: &CellCore) -> Envelope<M> {
    // One test on the loop's path while nothing records.
    if matches!(envelope, Envelope::Traced(_)) || is_recording() {
        return open_recorded(envelope, core);
    }
    envelope
}

#[cold]
#[inline(never)]
fn open_recorded<M>(envelope: Envelope<M>, core: &CellCore) -> Envelope<M> {
    match envelope {
        Envelope::Traced(traced) => {
            let Traced { msg, chain, stamp } = *traced;
            current::set_handling(Some(stamp), core.system.recorder.get());
            Envelope::Message { msg, chain }
        }
        other => {
            if is_recording() {
                // An unstamped message (sent before recording began) must
                // not be attributed to the previous one.
                current::set_handling(None, core.system.recorder.get());
            }
            other
        }
    }
}

/// The recorder and message of the running method, when there is one to
/// record against.
fn handling() -> Option<(ActorLabel, Stamp, Arc<dyn Recorder>)> {
    current::observing(|actor, handling| Some((actor, handling.stamp?, handling.recorder.clone()?)))
        .flatten()
}

fn emit(recorder: &dyn Recorder, mut event: Event, detail: impl FnOnce() -> Option<String>) {
    // The recorder is user code, and it is called from places a panic must
    // not leave (an activation's `Drop`, the actor loop between messages):
    // a panicking recorder loses the event, with a log line, and nothing
    // else.
    let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if recorder.wants(&event) {
            event.detail = detail();
            recorder.record(event);
        }
    }));
    if let Err(payload) = recorded {
        tracing::error!(
            message = %crate::error::panic_message(&*payload),
            "the recorder panicked; the event is lost"
        );
    }
}

/// One method run, recorded: `Start` when it begins, `End` when it is
/// dropped; a `tracing` span with the message's context is entered while
/// it runs.
pub(crate) struct Activation {
    actor: ActorLabel,
    stamp: Stamp,
    recorder: Arc<dyn Recorder>,
    span: tracing::Span,
}

impl Activation {
    /// Begins recording a method run, if its message is recorded.
    #[inline]
    pub(crate) fn start() -> Option<Activation> {
        if !is_recording() {
            return None;
        }
        Self::start_recorded()
    }

    #[cold]
    #[inline(never)]
    fn start_recorded() -> Option<Activation> {
        let (actor, stamp, recorder) = handling()?;
        let mut event = Event::new(EventKind::Start, stamp.id, stamp.method);
        event.from = stamp.from;
        event.to = Some(actor);
        emit(&*recorder, event, || None);
        let span = tracing::info_span!(
            "actium.message",
            actor = %actor,
            method = stamp.method,
            kind = stamp.kind.as_str(),
            id = %stamp.id,
            from = tracing::field::Empty,
        );
        if let Some(from) = stamp.from {
            span.record("from", tracing::field::display(from));
        }
        Some(Activation {
            actor,
            stamp,
            recorder,
            span,
        })
    }
}

impl Drop for Activation {
    fn drop(&mut self) {
        let mut event = Event::new(EventKind::End, self.stamp.id, self.stamp.method);
        event.from = self.stamp.from;
        event.to = Some(self.actor);
        emit(&*self.recorder, event, || None);
    }
}

/// Runs a synchronous method body as one recorded activation.
#[inline]
pub(crate) fn activated<R>(body: impl FnOnce() -> R) -> R {
    match Activation::start() {
        None => body(),
        Some(activation) => activation.span.in_scope(body),
    }
}

pin_project_lite::pin_project! {
    /// An async method body run as one recorded activation: it starts at
    /// the first poll (when the frame says which message it handles) and
    /// the span is entered for every poll.
    pub(crate) struct Activated<F> {
        #[pin]
        body: F,
        first: bool,
        // Boxed: every async method's future carries this room.
        activation: Option<Box<Activation>>,
    }
}

/// Wraps an async method body; see [`Activated`].
pub(crate) fn activated_async<F: Future>(body: F) -> Activated<F> {
    Activated {
        body,
        first: true,
        activation: None,
    }
}

impl<F: Future> Future for Activated<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if std::mem::take(this.first) {
            *this.activation = Activation::start().map(Box::new);
        }
        let poll = match this.activation {
            None => this.body.poll(cx),
            Some(activation) => activation.span.in_scope(|| this.body.poll(cx)),
        };
        if poll.is_ready() {
            // Ends the activation now, not when the future is dropped.
            *this.activation = None;
        }
        poll
    }
}

/// Records the answer of the running ask, described by `describe` (which
/// also says whether the answer is an `Err`).
#[inline]
pub(crate) fn answered<R>(value: &R, describe: fn(&R, &mut String) -> bool) {
    if is_recording() {
        answered_recorded(value, describe);
    }
}

#[cold]
#[inline(never)]
fn answered_recorded<R>(value: &R, describe: fn(&R, &mut String) -> bool) {
    let Some((actor, stamp, recorder)) = handling() else {
        return;
    };
    if stamp.kind != EventKind::Ask {
        return;
    }
    let mut detail = String::new();
    let is_error = describe(value, &mut detail);
    let kind = if is_error {
        EventKind::Error
    } else {
        EventKind::Reply
    };
    let mut event = Event::new(kind, stamp.id, stamp.method);
    event.from = Some(actor);
    event.to = stamp.from;
    emit(&*recorder, event, || Some(detail));
}

/// Records that the running method panicked: an error answer to an ask's
/// caller, or an error on the actor itself for a one-way method.
#[inline]
pub(crate) fn panicked(message: &str) {
    if is_recording() {
        panicked_recorded(message);
    }
}

#[cold]
#[inline(never)]
fn panicked_recorded(message: &str) {
    let Some((actor, stamp, recorder)) = handling() else {
        return;
    };
    let mut event = Event::new(EventKind::Error, stamp.id, stamp.method);
    event.from = Some(actor);
    event.to = if stamp.kind == EventKind::Ask {
        stamp.from
    } else {
        Some(actor)
    };
    emit(&*recorder, event, || {
        Some(display_capped(&format_args!("panicked: {message}")))
    });
}

/// Records an exit or down signal from `from` reaching the actor of `to`.
#[inline]
pub(crate) fn signal(to: &CellCore, kind: EventKind, from: ActorLabel, reason: &dyn fmt::Display) {
    if is_recording() {
        signal_recorded(to, kind, from, reason);
    }
}

#[cold]
#[inline(never)]
fn signal_recorded(to: &CellCore, kind: EventKind, from: ActorLabel, reason: &dyn fmt::Display) {
    let Some(recorder) = to.system.recorder.get() else {
        return;
    };
    let method = if kind == EventKind::Down {
        "down"
    } else {
        "exit"
    };
    let mut event = Event::new(kind, MessageId::next(), method);
    event.parent = handling().map(|(_, stamp, _)| stamp.id);
    event.from = Some(from);
    event.to = Some(to.label);
    emit(&**recorder, event, || Some(display_capped(reason)));
}

/// Records that the actor of `core` was registered as `name`.
#[inline]
pub(crate) fn named(core: &CellCore, name: &str) {
    if is_recording() {
        if let Some(recorder) = core.system.recorder.get() {
            emit_named(recorder, core.label, name.to_owned());
        }
    }
}

pub(super) fn emit_named(recorder: &Arc<dyn Recorder>, label: ActorLabel, name: String) {
    let mut event = Event::new(EventKind::Named, MessageId::next(), "register");
    event.to = Some(label);
    emit(&**recorder, event, || Some(name));
}

/// A call about to leave for another node: recorded as sent by the
/// sender's recorder (or its system's), and the context the other node
/// needs to record its handling under the same message id. `None` while
/// nothing records.
#[inline]
pub(crate) fn remote_sent<A: Actor>(
    system: &crate::system::SystemShared,
    to: ActorLabel,
    kind: EventKind,
    method: &'static str,
    msg: &A::Msg,
) -> Option<crate::transport::TraceContext> {
    if !is_recording() {
        return None;
    }
    remote_sent_recorded::<A>(system, to, kind, method, msg)
}

#[cold]
#[inline(never)]
fn remote_sent_recorded<A: Actor>(
    system: &crate::system::SystemShared,
    to: ActorLabel,
    kind: EventKind,
    method: &'static str,
    msg: &A::Msg,
) -> Option<crate::transport::TraceContext> {
    let (from, parent, recorder) = current::observing(|actor, handling| {
        (
            Some(actor),
            handling.stamp.map(|stamp| stamp.id),
            handling.recorder.clone(),
        )
    })
    .unwrap_or((None, None, None));
    let recorder = recorder.or_else(|| system.recorder.get().cloned())?;
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
    Some(crate::transport::TraceContext { message: id, from })
}

/// The envelope of a call that arrived from another node: stamped with
/// the sender's message id when the sender recorded it and this process
/// records, so this node's events about it share that id.
#[inline]
pub(crate) fn remote_envelope<M>(
    msg: M,
    trace: Option<crate::transport::TraceContext>,
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
