//! Deadlines: every request-reply has one — the system default, a method's
//! `#[ask(timeout = "..")]`, or a per-call `.timeout(d)`, most specific
//! first — and missing it gives `Error::Timeout`.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::{Event, MODES, within};

struct Stall {
    release: Event,
}

#[actor]
impl Stall {
    /// Waits until the test releases it.
    #[ask]
    async fn wait_default(&self) -> u32 {
        self.release.wait().await;
        1
    }

    #[ask(timeout = "30ms")]
    async fn wait_short(&self) -> u32 {
        self.release.wait().await;
        2
    }

    #[ask]
    fn quick(&self) -> u32 {
        3
    }
}

fn timeout_of(error: &Error) -> Duration {
    match error {
        Error::Timeout { timeout, .. } => *timeout,
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn the_system_default_deadline_applies_to_every_ask() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            System::builder()
                .mode(mode)
                .default_timeout(Duration::from_millis(40))
                .launch(async {
                    let release = Event::new();
                    let stall = Stall {
                        release: release.clone(),
                    }
                    .spawn();
                    let error = stall.wait_default().await.expect_err("times out");
                    assert_eq!(timeout_of(&error), Duration::from_millis(40));
                    assert!(
                        error
                            .to_string()
                            .contains("did not answer `wait_default` within 40ms")
                    );
                    release.fire();
                    Ok::<(), Error>(())
                })
                .expect("launch");
        }
    });
}

#[actium::test]
async fn a_method_deadline_beats_the_default() -> actium::Result<()> {
    let release = Event::new();
    let stall = Stall {
        release: release.clone(),
    }
    .spawn();
    let error = stall.wait_short().await.expect_err("times out");
    assert_eq!(timeout_of(&error), Duration::from_millis(30));
    release.fire();
    Ok(())
}

#[actium::test]
async fn a_call_deadline_beats_the_method_deadline() -> actium::Result<()> {
    let release = Event::new();
    let stall = Stall {
        release: release.clone(),
    }
    .spawn();
    let error = stall
        .wait_short()
        .timeout(Duration::from_millis(5))
        .await
        .expect_err("times out");
    assert_eq!(timeout_of(&error), Duration::from_millis(5));
    release.fire();
    Ok(())
}

#[actium::test]
async fn an_answer_within_the_deadline_is_returned() -> actium::Result<()> {
    let stall = Stall {
        release: Event::new(),
    }
    .spawn();
    assert_eq!(stall.quick().timeout(Duration::from_secs(30)).await?, 3);
    Ok(())
}

#[actium::test]
async fn an_actor_keeps_serving_after_a_caller_timed_out() -> actium::Result<()> {
    let release = Event::new();
    let stall = Stall {
        release: release.clone(),
    }
    .spawn();
    assert!(stall.wait_short().await.is_err());
    release.fire();
    // The timed-out request still runs to completion; later calls are served.
    assert_eq!(stall.quick().await?, 3);
    Ok(())
}

#[test]
fn a_deadline_past_the_end_of_time_means_no_deadline() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            System::builder()
                .mode(mode)
                .default_timeout(Duration::from_millis(20))
                .launch(async {
                    let release = Event::new();
                    let stall = Stall {
                        release: release.clone(),
                    }
                    .spawn();
                    let mut answer = std::pin::pin!(stall.wait_default().timeout(Duration::MAX));
                    // Five times the default deadline passes without a
                    // timeout (nor an overflow)...
                    tokio::select! {
                        early = &mut answer => panic!("answered before the release: {early:?}"),
                        () = actium::sleep(Duration::from_millis(100)) => {}
                    }
                    // ...and the answer still comes.
                    release.fire();
                    assert_eq!(answer.await?, 1);
                    Ok::<(), Error>(())
                })
                .expect("launch");
        }
    });
}
