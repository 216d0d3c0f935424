//! [`ExitedCell`]: what a reference points to when the actor it names had
//! already exited before the reference arrived (an `AnyRef` decoded from
//! a message after its actor stopped).

use std::any::Any;
use std::sync::Arc;

use crate::base::{ActorLabel, ExitReason, Signal};
use crate::cell::{CellCore, ErasedCell, SystemShared};

/// A cell that has exited with `noproc`: linking to it or monitoring it
/// delivers `noproc` at once, as for any exited actor; stopping it does
/// nothing.
pub(crate) struct ExitedCell {
    core: CellCore,
}

impl ExitedCell {
    pub(crate) fn new(label: ActorLabel, system: Arc<SystemShared>) -> Arc<Self> {
        let cell = Arc::new(ExitedCell {
            core: CellCore::new(label, system),
        });
        // Never ran: no exit is recorded, and nothing links to it yet.
        cell.core.born_exited(ExitReason::NoProc);
        cell
    }
}

impl ErasedCell for ExitedCell {
    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, _reason: ExitReason) {}

    fn kill(&self, _reason: ExitReason) {}

    fn end_incarnation(&self) {}

    fn push_signal(&self, _signal: Signal) {}

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
