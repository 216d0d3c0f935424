//! Waiting for a remote actor's exit: what `ActorRef::stopped` does for an
//! actor on another node.
//!
//! A monitor needs a local watcher that `Down` signals can find by id, so
//! the wait registers a small watcher in the system's actor table (it is
//! not an actor: it runs nothing and is not counted as live) for as long
//! as it waits.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::base::{ActorLabel, Down, ExitReason, MonitorRef, Signal};
use crate::cell::{CellCore, ErasedCell};

/// Resolves with a remote actor's exit reason. From [`watch_exit`].
pub(crate) struct ExitWatch {
    watcher: Arc<Watcher>,
    target: Arc<dyn ErasedCell>,
    monitor: MonitorRef,
}

struct Watcher {
    core: CellCore,
    state: Mutex<(Option<ExitReason>, Option<Waker>)>,
}

/// Monitors `target` (a stand-in for a remote actor) until it exits.
pub(crate) fn watch_exit(target: Arc<dyn ErasedCell>) -> ExitWatch {
    let system = target.core().system.clone();
    let watcher = system.add_helper(|label: ActorLabel| Watcher {
        core: CellCore::new(label, system.clone()),
        state: Mutex::new((None, None)),
    });
    let monitor = MonitorRef(system.next_monitor());
    target.add_watcher(monitor, watcher.clone());
    ExitWatch {
        watcher,
        target,
        monitor,
    }
}

impl Future for ExitWatch {
    type Output = ExitReason;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ExitReason> {
        let mut state = self.watcher.lock();
        if let Some(reason) = &state.0 {
            return Poll::Ready(reason.clone());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for ExitWatch {
    fn drop(&mut self) {
        let done = self.watcher.lock().0.is_some();
        if !done {
            self.target.remove_watcher(self.monitor);
        }
        let core = &self.watcher.core;
        core.system.remove_helper(core.id().local());
    }
}

impl Watcher {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<ExitReason>, Option<Waker>)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ErasedCell for Watcher {
    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, _reason: ExitReason) {}

    fn kill(&self, _reason: ExitReason) {}

    fn end_incarnation(&self) {}

    fn deliver_down(&self, down: Down) {
        let waker = {
            let mut state = self.lock();
            state.0.get_or_insert(down.reason);
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn push_signal(&self, _signal: Signal) {}

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
