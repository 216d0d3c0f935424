//! Recording a method run against the current frame: its activation,
//! its answer and its panic (one relaxed atomic load while nothing
//! records).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::current::handling;
use crate::base::ActorLabel;
use crate::observe::{Event, EventKind, Recorder, Stamp, display_capped, emit, is_recording};

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
pub(crate) fn answered<R>(value: &R, describe: fn(&R, Option<&mut String>) -> bool) {
    if is_recording() {
        answered_recorded(value, describe);
    }
}

#[cold]
#[inline(never)]
fn answered_recorded<R>(value: &R, describe: fn(&R, Option<&mut String>) -> bool) {
    let Some((actor, stamp, recorder)) = handling() else {
        return;
    };
    if stamp.kind != EventKind::Ask {
        return;
    }
    let mut detail = String::new();
    let is_error = describe(value, Some(&mut detail));
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
