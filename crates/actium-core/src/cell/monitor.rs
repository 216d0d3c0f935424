//! [`Monitor`], the handle of a monitor an actor holds on another.

use std::fmt;
use std::sync::Arc;

use crate::base::MonitorRef;
use crate::cell::{ErasedCell, SystemShared};

/// A running monitor, from [`Context::monitor`](crate::actor::Context::monitor).
#[derive(Clone)]
pub struct Monitor {
    id: MonitorRef,
    target: Arc<dyn ErasedCell>,
    watcher: Arc<dyn ErasedCell>,
}

impl Monitor {
    /// `watcher` monitors `target`. The watcher keeps a note of it, so that
    /// its exit removes the monitor (as Erlang's does) instead of leaving
    /// the target holding a dead watcher.
    pub(crate) fn start(
        system: &SystemShared,
        target: Arc<dyn ErasedCell>,
        watcher: Arc<dyn ErasedCell>,
    ) -> Self {
        let id = MonitorRef(system.next_monitor());
        if watcher.core().track_monitor(id, target.clone()) {
            target.add_watcher(id, watcher.clone());
        }
        Monitor {
            id,
            target,
            watcher,
        }
    }

    /// The id that the [`Down`](crate::Down) of this monitor will carry.
    pub fn id(&self) -> MonitorRef {
        self.id
    }

    /// Cancels the monitor (Erlang's `demonitor/1`); returns whether it was
    /// still active. A `Down` already queued is still delivered.
    pub fn cancel(&self) -> bool {
        self.watcher.core().untrack_monitor(self.id);
        self.target.remove_watcher(self.id)
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("id", &self.id)
            .field("target", &self.target.core().label)
            .finish()
    }
}
