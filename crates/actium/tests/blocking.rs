//! Blocking work in task-mode actors: `#[ask(blocking)]` and
//! `actium::blocking` keep other actors running even with a single worker
//! thread, in both execution models.

mod support;

use std::sync::mpsc;
use std::time::Duration;

use actium::prelude::*;
use support::{Counter, Event, MODES, within};

/// Blocks its thread on a std channel until the test releases it.
struct Blocker {
    release: mpsc::Receiver<()>,
    entered: Event,
}

#[actor]
impl Blocker {
    #[ask(blocking)]
    fn block(&mut self) -> u32 {
        self.entered.fire();
        self.release.recv().expect("released");
        1
    }
}

/// Hands blocking work to the blocking pool and awaits it.
struct Offloader {
    entered: Event,
}

#[actor]
impl Offloader {
    #[ask]
    async fn offload(&self, release: mpsc::Receiver<()>) -> Result<u32, Error> {
        let entered = self.entered.clone();
        actium::blocking(move || {
            entered.fire();
            release.recv().expect("released");
            2
        })
        .await
    }

    #[ask]
    async fn offload_panic(&self) -> Result<u32, Error> {
        actium::blocking(|| panic!("blocking boom")).await
    }
}

/// Runs, in each model with a single worker thread, an actor that blocks
/// until released (`start` returns its pending answer and the event it fires
/// once blocked), and checks that another actor keeps serving meanwhile.
/// Were the worker blocked, `counter` could not run and the test would hit
/// its time limit instead of passing.
fn others_keep_running_while<F>(start: fn(mpsc::Receiver<()>, Event) -> F)
where
    F: std::future::Future<Output = actium::Result<()>> + 'static,
{
    within(Duration::from_secs(60), move || {
        for mode in MODES {
            System::builder()
                .mode(mode)
                .workers(1)
                .launch(async move {
                    let (release, released) = mpsc::channel();
                    let entered = Event::new();
                    let blocked = start(released, entered.clone());
                    entered.wait().await;
                    let counter = Counter::default().spawn();
                    for _ in 0..100 {
                        counter.incr()?;
                    }
                    assert_eq!(counter.get().await?, 100);
                    release.send(()).expect("release");
                    blocked.await?;
                    Ok::<(), Error>(())
                })
                .expect("launch");
        }
    });
}

#[test]
fn a_blocking_method_does_not_stall_other_actors() {
    others_keep_running_while(|release, entered| {
        let blocked = Blocker { release, entered }.spawn().block();
        async move {
            assert_eq!(blocked.await?, 1);
            Ok(())
        }
    });
}

#[test]
fn blocking_work_on_the_pool_does_not_stall_other_actors() {
    others_keep_running_while(|release, entered| {
        let offloaded = Offloader { entered }.spawn().offload(release);
        async move {
            assert_eq!(offloaded.await??, 2);
            Ok(())
        }
    });
}

#[actium::test]
async fn a_panic_in_blocking_work_is_an_error() -> actium::Result<()> {
    let offloader = Offloader {
        entered: Event::new(),
    }
    .spawn();
    let error = offloader.offload_panic().await?.expect_err("panics");
    assert!(
        matches!(&error, Error::BlockingPanicked { message } if message == "blocking boom"),
        "{error:?}"
    );
    Ok(())
}
