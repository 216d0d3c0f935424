//! The one way a system starts tasks and threads.

use std::future::Future;

use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::base::{Error, panic_message};

/// Where a system runs what it starts: actor loops, timers, helper tasks
/// and a node's connections as tasks, threads-mode actors on threads of
/// their own, blocking work on a pool. Everything a system starts goes
/// through here; the real executor is a Tokio runtime.
#[derive(Clone, Debug)]
pub(crate) struct Executor {
    runtime: Handle,
}

impl Executor {
    /// Runs on the Tokio runtime `runtime`.
    pub(crate) fn tokio(runtime: Handle) -> Self {
        Executor { runtime }
    }

    /// Starts `task`; it runs until it finishes or is aborted.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> TaskHandle {
        TaskHandle {
            abort: self.runtime.spawn(task).abort_handle(),
        }
    }

    /// Runs `task` to completion on a new thread named `name`, after
    /// `enter` (which makes the system current there) has run on it.
    ///
    /// # Errors
    ///
    /// The operating system's, if the thread cannot be started.
    pub(crate) fn spawn_thread<G>(
        &self,
        name: String,
        enter: impl FnOnce() -> G + Send + 'static,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let runtime = self.runtime.clone();
        std::thread::Builder::new().name(name).spawn(move || {
            let _entered = enter();
            runtime.block_on(task);
        })?;
        Ok(())
    }

    /// Runs `work` where it may block, and returns its result.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingPanicked`] if `work` panics, [`Error::ShuttingDown`]
    /// if the executor shuts down first.
    pub(crate) async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        match self.runtime.spawn_blocking(work).await {
            Ok(value) => Ok(value),
            Err(error) if error.is_panic() => Err(Error::BlockingPanicked {
                message: panic_message(&*error.into_panic()),
            }),
            Err(_cancelled) => Err(Error::ShuttingDown),
        }
    }
}

/// A task a system started ([`Timer`](crate::Timer)s are built on it):
/// lets it be aborted, and tells whether it finished.
#[derive(Debug, Clone)]
pub struct TaskHandle {
    abort: AbortHandle,
}

impl TaskHandle {
    /// Stops the task at its next await; a task that finished stays so.
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has finished or was aborted.
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }
}
