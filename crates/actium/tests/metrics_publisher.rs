//! `SystemHandle::publish_metrics_every` (issue 18): the system's snapshot
//! reaches the process's `metrics` recorder on an interval of the
//! system's own clock — here a manual one, so each round happens when the
//! test moves time on and not before. One test: the recorder is the
//! process's global one.
#![cfg(feature = "metrics")]

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::{ManualClock, System};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

const PERIOD: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Worker;

#[actor]
impl Worker {
    #[ask]
    fn work(&self) {}
}

/// The `actium_messages_handled_total` counter of the actors of type
/// `Worker`, if published.
fn handled(snapshotter: &Snapshotter) -> Option<u64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .find(|(key, _, _, _)| {
            let key = key.key();
            key.name() == "actium_messages_handled_total"
                && key
                    .labels()
                    .any(|label| label.key() == "actor_type" && label.value() == "Worker")
        })
        .and_then(|(_, _, _, value)| match value {
            DebugValue::Counter(count) => Some(count),
            _ => None,
        })
}

/// Yields until at least one wait is pending on `clock` (the publisher's
/// next round), so that advancing the clock makes it due.
async fn until_pending(clock: &ManualClock) {
    while clock.pending() < 1 {
        tokio::task::yield_now().await;
    }
}

/// Yields until the published count is `expected`.
async fn until_published(snapshotter: &Snapshotter, expected: u64) {
    while handled(snapshotter) != Some(expected) {
        tokio::task::yield_now().await;
    }
}

#[test]
fn the_snapshot_is_published_each_period_of_the_systems_clock() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");
    support::within(Duration::from_secs(60), move || {
        let clock = ManualClock::new();
        let system = System::builder()
            .clock(clock.clone())
            .metrics(true)
            .start()
            .expect("system");
        let outcome: actium::Result<()> = system.block_on(async {
            let worker = Worker.spawn();
            worker.work().await?;
            let publishing = SystemHandle::current().publish_metrics_every(PERIOD);
            until_pending(&clock).await;
            // Nothing is published before the first period has passed.
            assert_eq!(handled(&snapshotter), None);

            clock.advance(PERIOD);
            until_published(&snapshotter, 1).await;

            worker.work().await?;
            worker.work().await?;
            until_pending(&clock).await;
            clock.advance(PERIOD);
            until_published(&snapshotter, 3).await;

            publishing.abort();
            Ok(())
        });
        system.shutdown();
        outcome.expect("test");
    });
}
