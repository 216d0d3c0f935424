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
    /// still active. No `Down` of it is queued after this returns, but one
    /// queued already is still delivered; [`cancel_and_flush`](Monitor::cancel_and_flush)
    /// removes that one too.
    pub fn cancel(&self) -> bool {
        let active = self.watcher.core().untrack_monitor(self.id);
        self.target.remove_watcher(self.id);
        active
    }

    /// Cancels the monitor and removes its `Down` if one waits to be
    /// handled (Erlang's `demonitor(Ref, [flush, info])`): after this, the
    /// watcher's `#[on_down]` hook, or its `Inbox`, never sees a `Down` of
    /// this monitor. Says which of the three cases it found.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::Cancelled;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let peer = Peer.spawn();
    /// let watcher = actium::spawn(move |mut inbox: Inbox| async move {
    ///     let monitor = inbox.monitor(&peer);
    ///     peer.kill();
    ///     peer.stopped().await; // its Down is queued now
    ///     assert_eq!(monitor.cancel_and_flush(), Cancelled::Flushed);
    ///     assert!(inbox.recv_as::<Down>(Duration::from_millis(10)).await.is_err());
    ///     assert_eq!(monitor.cancel_and_flush(), Cancelled::Inactive);
    /// });
    /// assert_eq!(watcher.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn cancel_and_flush(&self) -> Cancelled {
        let found = self.watcher.core().cancel_monitor(self.id);
        if found == Cancelled::Active {
            self.target.remove_watcher(self.id);
        }
        found
    }
}

/// What [`Monitor::cancel_and_flush`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cancelled {
    /// The monitor was active: the actor had not exited (or its exit had
    /// not reached the watcher). No `Down` of it will come.
    Active,
    /// The monitored actor had exited and its `Down` waited in the
    /// watcher's queue: it was removed unseen.
    Flushed,
    /// The monitor had been cancelled before, or its `Down` was already
    /// handed to the watcher.
    Inactive,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("id", &self.id)
            .field("target", &self.target.core().label)
            .finish()
    }
}
