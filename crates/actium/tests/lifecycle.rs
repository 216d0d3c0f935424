//! Lifecycle: `on_start` / `on_stop` hooks, stopping an actor from outside or
//! from itself, exit reasons, and what pending callers get.

mod support;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium::prelude::*;
use support::{Gate, within};

type Journal = Arc<Mutex<Vec<String>>>;

struct Hooked {
    journal: Journal,
}

#[actor]
impl Hooked {
    #[on_start]
    async fn start(&mut self, ctx: &mut Context<Self>) {
        actium::sleep(Duration::ZERO).await;
        self.note(format!("start {}", ctx.id() == ctx.myself().id()));
    }

    #[tell]
    fn work(&mut self) {
        self.note("work".into());
    }

    #[ask]
    fn ping(&self) {}

    #[ask]
    fn finish(&mut self, ctx: &mut Context<Self>) -> &'static str {
        ctx.stop();
        "finishing"
    }

    #[ask]
    fn fail(&mut self, ctx: &mut Context<Self>, why: String) {
        ctx.fail(why);
    }

    #[on_stop]
    fn stop(&mut self, reason: &ExitReason) {
        self.note(format!("stop {reason}"));
    }

    fn note(&self, line: String) {
        self.journal.lock().expect("journal").push(line);
    }
}

fn hooked() -> (Hooked, Journal) {
    let journal = Journal::default();
    (
        Hooked {
            journal: journal.clone(),
        },
        journal,
    )
}

fn lines(journal: &Journal) -> Vec<String> {
    journal.lock().expect("journal").clone()
}

#[actium::test]
async fn hooks_run_before_the_first_and_after_the_last_message() -> actium::Result<()> {
    let (actor, journal) = hooked();
    let actor = actor.spawn();
    actor.work()?;
    actor.ping().await?;
    actor.stop();
    assert_eq!(actor.stopped().await, ExitReason::Stopped);
    assert_eq!(lines(&journal), ["start true", "work", "stop stopped"]);
    assert!(!actor.is_alive());
    Ok(())
}

#[actium::test]
async fn a_method_can_stop_its_own_actor_after_answering() -> actium::Result<()> {
    let (actor, journal) = hooked();
    let actor = actor.spawn();
    assert_eq!(actor.finish().await?, "finishing");
    assert_eq!(actor.stopped().await, ExitReason::Normal);
    assert_eq!(
        lines(&journal).last().map(String::as_str),
        Some("stop normal")
    );
    Ok(())
}

#[actium::test]
async fn a_method_can_fail_its_actor_with_a_message() -> actium::Result<()> {
    let (actor, _journal) = hooked();
    let actor = actor.spawn();
    actor.fail("disk gone".into()).await?;
    assert_eq!(actor.stopped().await, ExitReason::Error("disk gone".into()));
    Ok(())
}

struct Misconfigured;

#[actor]
impl Misconfigured {
    #[on_start]
    fn check(&mut self) -> Result<(), String> {
        Err("no configuration file".into())
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

struct Crashing;

#[actor]
impl Crashing {
    #[on_start]
    fn start(&mut self) {
        panic!("cannot start");
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

#[actium::test]
async fn a_failing_on_start_stops_the_actor_with_its_error() -> actium::Result<()> {
    let actor = Misconfigured.spawn();
    let error = actor.ping().await.expect_err("never started");
    assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    assert_eq!(
        actor.stopped().await,
        ExitReason::Error("no configuration file".into())
    );
    Ok(())
}

#[actium::test]
async fn a_panicking_on_start_stops_the_actor_with_the_panic() -> actium::Result<()> {
    let actor = Crashing.spawn();
    assert!(actor.ping().await.is_err());
    match actor.stopped().await {
        ExitReason::Panicked(message) => assert!(message.contains("cannot start"), "{message}"),
        other => panic!("expected a panicked exit, got {other:?}"),
    }
    Ok(())
}

#[actium::test]
async fn stop_finishes_the_current_message_and_answers_queued_callers() -> actium::Result<()> {
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawn();
    let current = gate.hold();
    entered.wait().await;
    let queued: Vec<_> = (0..3).map(|_| gate.handled()).collect();
    gate.stop();
    open.fire();
    assert_eq!(current.await?, 1, "the message being handled completes");
    for answer in queued {
        let error = answer.await.expect_err("never handled");
        assert!(
            matches!(
                error,
                Error::ActorStopped {
                    method: "handled",
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert_eq!(gate.stopped().await, ExitReason::Stopped);
    Ok(())
}

#[test]
fn a_second_stop_request_keeps_the_first_reason() {
    within(Duration::from_secs(60), || {
        for mode in support::MODES {
            let system = System::builder().mode(mode).start().expect("system");
            let (gate, open, entered) = Gate::new();
            let gate = gate.spawner().system(system.handle()).spawn();
            let busy = gate.hold();
            system.block_on(entered.wait());
            // Asked to stop while busy; then the system shuts down, which
            // asks again with another reason (`Shutdown`).
            gate.stop();
            open.fire();
            system.shutdown();
            assert_eq!(busy.wait().expect("the current message completes"), 1);
            let mut stopped = std::pin::pin!(gate.stopped());
            let reason = stopped
                .as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
            assert_eq!(
                reason,
                std::task::Poll::Ready(ExitReason::Stopped),
                "{mode:?}"
            );
        }
    });
}

#[actium::test]
async fn on_stop_runs_only_after_a_successful_on_start_and_not_after_a_kill() -> actium::Result<()>
{
    let journal = Journal::default();
    let refused = Refusing {
        journal: journal.clone(),
    }
    .spawn();
    assert!(matches!(refused.stopped().await, ExitReason::Error(_)));
    let (killed, killed_journal) = hooked();
    let killed = killed.spawn();
    killed.ping().await?;
    killed.kill();
    assert_eq!(killed.stopped().await, ExitReason::Killed);
    // Erlang: `terminate` follows a successful `init` only, and a killed
    // process runs nothing more.
    assert!(lines(&journal).is_empty(), "{:?}", lines(&journal));
    assert_eq!(lines(&killed_journal), ["start true"]);
    Ok(())
}

/// Fails to start; would journal a stop.
struct Refusing {
    journal: Journal,
}

#[actor]
impl Refusing {
    #[on_start]
    fn start(&mut self) -> Result<(), String> {
        Err("refused".into())
    }

    #[on_stop]
    fn stop(&mut self) {
        self.journal.lock().expect("journal").push("stop".into());
    }

    #[ask]
    fn ping(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_dropped_inside_async_code_shuts_down_without_panicking() {
    // A system built and dropped by async code of another runtime (a tokio
    // test, a web handler): dropping a Tokio runtime there would panic.
    let system = System::builder().start().expect("system");
    let (actor, journal) = hooked();
    let actor = actor.spawner().system(system.handle()).spawn();
    actor.work().expect("sent");
    drop(system);
    assert_eq!(
        lines(&journal).last().map(String::as_str),
        Some("stop shutdown")
    );
}

#[test]
fn launch_returns_the_main_futures_result() {
    within(Duration::from_secs(60), || {
        for mode in support::MODES {
            let answer = actium::launch(mode, async { Ok::<_, Error>(42) });
            assert_eq!(answer.expect("launch"), 42);

            #[derive(Debug, PartialEq)]
            enum AppError {
                Actium,
                Mine,
            }
            impl From<Error> for AppError {
                fn from(_: Error) -> Self {
                    AppError::Actium
                }
            }
            let failed = actium::launch(mode, async { Err::<(), _>(AppError::Mine) });
            assert_eq!(failed, Err(AppError::Mine));
        }
    });
}

#[test]
fn shutdown_answers_every_pending_caller() {
    within(Duration::from_secs(60), || {
        for mode in support::MODES {
            let system = System::builder()
                .mode(mode)
                .shutdown_grace(Duration::from_millis(100))
                .start()
                .expect("system");
            let (gate, _open, entered) = Gate::new();
            let gate = gate.spawner().system(system.handle()).spawn();
            // `hold` never returns: the gate is never opened, so shutdown
            // must give up on it after the grace period, and kill it.
            let stuck = gate.hold();
            let queued = gate.handled();
            system.block_on(entered.wait());
            system.shutdown();
            assert!(matches!(stuck.wait(), Err(Error::ActorStopped { .. })));
            assert!(matches!(queued.wait(), Err(Error::ActorStopped { .. })));
            assert!(!gate.is_alive());
        }
    });
}

#[test]
fn shutdown_answers_the_caller_of_a_method_still_running_after_the_grace() {
    within(Duration::from_secs(60), || {
        for mode in support::MODES {
            let system = System::builder()
                .mode(mode)
                .shutdown_grace(Duration::from_millis(50))
                .start()
                .expect("system");
            let (gate, _open, entered) = Gate::new();
            let gate = gate.spawner().system(system.handle()).spawn();
            let stuck = gate.hold();
            let queued = gate.handled();
            // `hold` is running (and never returns) before shutdown begins:
            // in threads mode it used to outlive the runtime on its thread,
            // and both callers waited for their deadlines.
            system.block_on(entered.wait());
            system.shutdown();
            let answers = [stuck.wait().map(drop), queued.wait().map(drop)];
            for answer in answers {
                assert!(
                    matches!(answer, Err(Error::ActorStopped { .. })),
                    "{mode:?}: {answer:?}"
                );
            }
        }
    });
}

#[test]
fn shutdown_stops_idle_actors_with_the_shutdown_reason_and_runs_on_stop() {
    within(Duration::from_secs(60), || {
        for mode in support::MODES {
            let system = System::builder().mode(mode).start().expect("system");
            let (actor, journal) = hooked();
            let actor = actor.spawner().system(system.handle()).spawn();
            actor.work().expect("sent");
            system.shutdown();
            assert_eq!(
                lines(&journal).last().map(String::as_str),
                Some("stop shutdown")
            );
            assert!(matches!(actor.work(), Err(Error::ActorStopped { .. })));
        }
    });
}

/// A waker that counts nothing but its references: `Arc::strong_count`
/// says whether anyone still holds a clone of it.
struct Probe;

impl std::task::Wake for Probe {
    fn wake(self: Arc<Self>) {}
}

#[actium::test]
async fn a_stopped_wait_given_up_leaves_no_waker_behind() -> actium::Result<()> {
    let counter = support::Counter::default().spawn();
    let probe = Arc::new(Probe);
    for _ in 0..100 {
        let mut stopped = counter.stopped();
        let waker = std::task::Waker::from(probe.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(std::pin::Pin::new(&mut stopped).poll(&mut cx).is_pending());
    }
    // Every wait was dropped before the actor stopped: none may keep a
    // clone of its waker (and whatever the waker keeps alive) until then.
    assert_eq!(
        Arc::strong_count(&probe),
        1,
        "a given-up wait kept its waker"
    );
    // Giving up through a timeout leaves the wait that stays working.
    for _ in 0..10 {
        let gave_up = tokio::time::timeout(Duration::from_millis(1), counter.stopped()).await;
        assert!(gave_up.is_err(), "the actor still runs");
    }
    let waiting = counter.stopped();
    counter.stop();
    assert_eq!(waiting.await, ExitReason::Stopped);
    Ok(())
}
