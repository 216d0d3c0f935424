//! Execution models: the same actor and caller code on tasks and on threads,
//! per-actor overrides, and blocking calls from outside any runtime.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::{Counter, MODES, within};

#[derive(Default)]
struct Where;

#[actor]
impl Where {
    #[ask]
    fn thread_name(&self) -> String {
        std::thread::current().name().unwrap_or_default().to_owned()
    }
}

/// Makes a *blocking* call from inside its own method.
struct Relay {
    counter: ActorRef<Counter>,
}

#[actor]
impl Relay {
    #[ask]
    fn relay(&self) -> Result<u64, Error> {
        self.counter.get().wait()
    }
}

#[actium::test(threads)]
async fn in_threads_mode_each_actor_has_its_own_thread() -> actium::Result<()> {
    let a = Where.spawn().thread_name().await?;
    let b = Where.spawn().thread_name().await?;
    assert!(a.starts_with("actium-Where#"), "{a}");
    assert!(b.starts_with("actium-Where#"), "{b}");
    assert_ne!(a, b);
    Ok(())
}

#[actium::test(tasks)]
async fn in_tasks_mode_actors_run_on_the_worker_pool() -> actium::Result<()> {
    assert_eq!(Where.spawn().thread_name().await?, "actium-worker");
    let own = Where.spawner().mode(Mode::Threads).spawn();
    assert!(own.thread_name().await?.starts_with("actium-Where#"));
    Ok(())
}

#[test]
fn a_plain_main_thread_can_wait_for_an_answer() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            let system = System::builder().mode(mode).start().expect("system");
            let counter = Counter::default().spawner().system(system.handle()).spawn();
            counter.incr().expect("sent");
            assert_eq!(counter.get().wait().expect("answer"), 1);
            system.shutdown();
        }
    });
}

#[test]
fn a_blocking_wait_inside_a_task_mode_actor_does_not_stall_the_only_worker() {
    within(Duration::from_secs(60), || {
        System::builder()
            .mode(Mode::Tasks)
            .workers(1)
            .launch(async {
                let counter = Counter::default().spawn();
                counter.incr()?;
                let relay = Relay { counter }.spawn();
                assert_eq!(relay.relay().await??, 1);
                Ok::<(), Error>(())
            })
            .expect("launch");
    });
}

#[test]
fn an_ask_can_be_awaited_from_a_foreign_executor() {
    within(Duration::from_secs(60), || {
        let system = System::builder().start().expect("system");
        let counter = Counter::default().spawner().system(system.handle()).spawn();
        let (gate, open, _entered) = support::Gate::new();
        let gate = gate.spawner().system(system.handle()).spawn();
        // A runtime Actium knows nothing about, on another thread.
        let foreign = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        foreign.block_on(async {
            counter.incr().expect("sent");
            assert_eq!(counter.get().await.expect("answer"), 1);
            // Deadlines need no runtime either.
            let error = gate
                .hold()
                .timeout(Duration::from_millis(10))
                .await
                .expect_err("times out");
            assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
        });
        open.fire();
        system.shutdown();
    });
}

#[test]
fn spawning_outside_a_system_is_a_clear_error() {
    let error = Counter::default()
        .spawner()
        .try_spawn()
        .expect_err("no system");
    assert!(matches!(error, Error::NoSystem));
    assert!(error.to_string().contains("no Actium system is running"));
}

#[test]
fn entering_a_system_makes_it_current_on_this_thread() {
    let system = System::builder().start().expect("system");
    {
        let _entered = system.enter();
        let counter = Counter::default().spawn();
        counter.incr().expect("sent");
        assert_eq!(counter.get().wait().expect("answer"), 1);
    }
    assert!(SystemHandle::try_current().is_err());
    system.shutdown();
}
