//! Recording what reaches a cell: signals delivered to it and names given
//! to it (one relaxed atomic load while nothing records).

use std::fmt;

use crate::base::ActorLabel;
use crate::call::handling;
use crate::cell::CellCore;
use crate::observe::{Event, EventKind, MessageId, display_capped, emit, emit_named, is_recording};

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

/// Records that the actor of `core` exited for good, and why.
#[inline]
pub(crate) fn stopped(core: &CellCore, reason: &dyn fmt::Display) {
    if is_recording() {
        stopped_recorded(core, reason);
    }
}

#[cold]
#[inline(never)]
fn stopped_recorded(core: &CellCore, reason: &dyn fmt::Display) {
    if let Some(recorder) = core.system.recorder.get() {
        let mut event = Event::new(EventKind::Stopped, MessageId::next(), "stop");
        event.to = Some(core.label);
        emit(&**recorder, event, || Some(display_capped(reason)));
    }
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
