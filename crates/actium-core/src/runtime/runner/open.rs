//! Opening what the actor loop takes: a recorded message makes its stamp
//! the frame's current one, and a signal is handed back for its hook. The
//! plain loop sends a plain message here only while this process records
//! (see `take`); the reentrant loop sends every envelope through `open`.
use std::collections::VecDeque;

use crate::base::Signal;
use crate::call::current;
use crate::cell::CellCore;
use crate::mailbox::{Envelope, Traced};
use crate::observe::is_recording;

/// Any envelope `take` does not start directly: a signal, a recorded
/// message, or any message while this process records. A message is
/// opened and put back at the batch's front, plain, for `take` to start;
/// a signal is handed back.
#[inline(never)]
pub(super) fn open_into<M>(
    envelope: Envelope<M>,
    batch: &mut VecDeque<Envelope<M>>,
    core: &CellCore,
    chained: &mut bool,
) -> Option<Box<Signal>> {
    match open(envelope, core) {
        Envelope::Message { msg, chain } => {
            batch.push_front(Envelope::Message { msg, chain });
            None
        }
        Envelope::Signal(signal) => {
            // A hook serves no request: its asks carry no old chain.
            if *chained {
                *chained = false;
                current::set_incoming(None);
            }
            Some(signal)
        }
        Envelope::Traced(_) => unreachable!("`runner::open` unpacks recorded messages"),
    }
}

/// Opens an envelope the actor loop took: a stamped one makes its message
/// the frame's current one, so what the method does is recorded against it.
#[inline]
pub(super) fn open<M>(envelope: Envelope<M>, core: &CellCore) -> Envelope<M> {
    // One test on the reentrant loop's path while nothing records (the
    // plain loop tests before it comes here: see `take`).
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
