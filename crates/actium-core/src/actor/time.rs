//! Time: sleeping and timers.
//!
//! Everything time-related in Actium goes through this module, so that a
//! simulated clock can replace Tokio's in one place.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::cell::SystemShared;

/// Waits for `duration` without blocking the thread.
pub async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// A running one-shot or repeating timer, from
/// [`Context::later`](crate::actor::Context::later) or
/// [`Context::interval`](crate::actor::Context::interval).
#[derive(Debug, Clone)]
pub struct Timer {
    abort: AbortHandle,
}

impl Timer {
    /// Cancels the timer; a delivery already under way still completes.
    pub fn cancel(&self) {
        self.abort.abort();
    }

    /// Whether the timer has fired for the last time or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.abort.is_finished()
    }

    pub(crate) fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }
}

pub(crate) fn later(
    system: &Arc<SystemShared>,
    delay: Duration,
    fire: impl FnOnce() + Send + 'static,
) -> Timer {
    let abort = system.spawn_task(async move {
        tokio::time::sleep(delay).await;
        fire();
    });
    Timer { abort }
}

pub(crate) fn interval(
    system: &Arc<SystemShared>,
    period: Duration,
    mut fire: impl FnMut() + Send + 'static,
) -> Timer {
    // A zero period would spin; tokio's interval panics on it.
    let period = period.max(Duration::from_millis(1));
    let abort = system.spawn_task(async move {
        // A period past the end of time never ticks (instead of overflowing
        // and silently ending the timer's task).
        let Some(first) = Instant::now().checked_add(period) else {
            return std::future::pending().await;
        };
        let mut ticks = tokio::time::interval_at(first, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            fire();
        }
    });
    Timer { abort }
}
