//! Timers and sleeping, on the clock of the system they run in (see
//! [`Clock`](crate::Clock)).

use std::sync::Arc;
use std::time::Duration;

use crate::cell::SystemShared;
use crate::host::{Clock, TaskHandle};

/// Waits for `duration` without blocking the thread, on the clock of the
/// system running this code (the real clock outside any system).
///
/// ```
/// # actium::launch(actium::Mode::Tasks, async {
/// actium::sleep(std::time::Duration::from_millis(1)).await;
/// # Ok::<(), actium::Error>(())
/// # })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Cancel safety
///
/// Dropping the future cancels the wait and nothing else.
pub async fn sleep(duration: Duration) {
    let clock = crate::host::thread_clock();
    clock.sleep(duration).await;
}

/// A running one-shot or repeating timer, from
/// [`Context::later`](crate::actor::Context::later) or
/// [`Context::interval`](crate::actor::Context::interval).
#[derive(Debug, Clone)]
pub struct Timer {
    task: TaskHandle,
}

impl Timer {
    /// Cancels the timer; a delivery already under way still completes.
    pub fn cancel(&self) {
        self.task.abort();
    }

    /// Whether the timer has fired for the last time or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    pub(crate) fn task(&self) -> TaskHandle {
        self.task.clone()
    }
}

pub(crate) fn later(
    system: &Arc<SystemShared>,
    delay: Duration,
    fire: impl FnOnce() + Send + 'static,
) -> Timer {
    let clock = system.clock().clone();
    // Due from now, though the task may first run later.
    let due = clock.now().checked_add(delay);
    let task = system.spawn_task(async move {
        match due {
            Some(due) => clock.sleep_until(due).await,
            None => std::future::pending().await,
        }
        fire();
    });
    Timer { task }
}

pub(crate) fn interval(
    system: &Arc<SystemShared>,
    period: Duration,
    mut fire: impl FnMut() + Send + 'static,
) -> Timer {
    let mut ticks = Clock::interval(system.clock(), period);
    let task = system.spawn_task(async move {
        loop {
            ticks.tick().await;
            fire();
        }
    });
    Timer { task }
}
