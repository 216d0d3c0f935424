//! How a supervisor starts and stops its children, as OTP's do: one at a
//! time in start order, each past its `on_start` before the next; a child
//! that fails to start fails the supervisor; stopping (by hand, or by the
//! system's shutdown) terminates children in reverse start order; a child
//! that does not stop in time is killed, and one that cannot be killed is
//! abandoned; a supervisor dies with the parent that spawned it linked.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
use support::{Event, MODES, within};

type Journal = Arc<Mutex<Vec<String>>>;

fn lines(journal: &Journal) -> Vec<String> {
    journal.lock().expect("journal").clone()
}

/// A child that journals its start and stop; starting takes `start_delay`
/// and stopping `stop_delay`, and starting fails if `refuse` is set.
struct Member {
    name: &'static str,
    start_delay: Duration,
    stop_delay: Duration,
    refuse: bool,
    journal: Journal,
}

#[actor]
impl Member {
    #[on_start]
    async fn start(&mut self) -> Result<(), String> {
        actium::sleep(self.start_delay).await;
        if self.refuse {
            return Err("no configuration".into());
        }
        self.note("start");
        Ok(())
    }

    #[on_stop]
    async fn stop(&mut self) {
        actium::sleep(self.stop_delay).await;
        self.note("stop");
    }

    #[ask]
    fn ping(&self) -> &'static str {
        self.name
    }

    #[tell]
    fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    fn note(&self, what: &str) {
        let line = format!("{what} {}", self.name);
        self.journal.lock().expect("journal").push(line);
    }
}

/// A spec whose every incarnation journals into `journal`.
fn member(name: &'static str, start_ms: u64, stop_ms: u64, journal: &Journal) -> ChildSpec {
    spec(name, start_ms, stop_ms, false, journal)
}

/// A spec whose `on_start` fails.
fn refusing(name: &'static str, journal: &Journal) -> ChildSpec {
    spec(name, 0, 0, true, journal)
}

fn spec(
    name: &'static str,
    start_ms: u64,
    stop_ms: u64,
    refuse: bool,
    journal: &Journal,
) -> ChildSpec {
    let journal = journal.clone();
    ChildSpec::new(name, move || Member {
        name,
        start_delay: Duration::from_millis(start_ms),
        stop_delay: Duration::from_millis(stop_ms),
        refuse,
        journal: journal.clone(),
    })
}

/// `future`, or a test failure after `limit` (instead of a hang).
async fn bounded<T>(limit: Duration, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, future).await {
        Ok(value) => value,
        Err(_) => panic!("did not happen within {limit:?}"),
    }
}

const LIMIT: Duration = Duration::from_secs(10);

#[actium::test]
async fn children_start_one_at_a_time_in_start_order() -> actium::Result<()> {
    let journal = Journal::default();
    // The first child is the slowest to start: it must still start first,
    // and the others only once it has.
    let supervisor = Supervisor::builder()
        .child(member("a", 40, 0, &journal))
        .child(member("b", 0, 0, &journal))
        .child(member("c", 10, 0, &journal))
        .spawn();
    // The supervisor answers once all have started.
    supervisor.children().await?;
    assert_eq!(lines(&journal), ["start a", "start b", "start c"]);
    Ok(())
}

#[actium::test]
async fn every_child_runs_its_factory_before_the_supervisor_answers() -> actium::Result<()> {
    let built = Arc::new(AtomicUsize::new(0));
    let counted = |name: &'static str| {
        let built = built.clone();
        ChildSpec::new(name, move || {
            built.fetch_add(1, Ordering::SeqCst);
            support::Counter::default()
        })
    };
    let supervisor = Supervisor::builder()
        .child(counted("a"))
        .child(counted("b"))
        .spawn();
    supervisor.children().await?;
    assert_eq!(built.load(Ordering::SeqCst), 2, "both started, idle or not");
    Ok(())
}

#[actium::test]
async fn a_child_that_fails_to_start_fails_the_supervisor() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", 0, 0, &journal))
        .child(refusing("b", &journal))
        .child(member("c", 0, 0, &journal))
        .spawn();
    match bounded(LIMIT, supervisor.stopped()).await {
        ExitReason::Error(message) => {
            assert!(message.contains("child `b` failed to start"), "{message}");
            assert!(message.contains("no configuration"), "{message}");
        }
        other => panic!("expected the supervisor's start to fail, got {other:?}"),
    }
    // What had started is terminated; what came after never started.
    assert_eq!(lines(&journal), ["start a", "stop a"]);
    Ok(())
}

#[actium::test]
async fn a_child_that_fails_to_start_is_not_added() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", 0, 0, &journal))
        .spawn();
    let error = supervisor
        .start_child(refusing("b", &journal))
        .await?
        .expect_err("fails to start");
    match &error {
        Error::ChildStart { name, reason } => {
            assert_eq!(name, "b");
            assert_eq!(*reason, ExitReason::Error("no configuration".into()));
        }
        other => panic!("expected ChildStart, got {other:?}"),
    }
    assert_eq!(supervisor.children().await?.len(), 1);
    Ok(())
}

#[actium::test]
async fn two_children_of_one_name_fail_the_supervisors_start() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", 0, 0, &journal))
        .child(member("a", 0, 0, &journal))
        .spawn();
    match bounded(LIMIT, supervisor.stopped()).await {
        ExitReason::Error(message) => assert!(message.contains("two children are named `a`")),
        other => panic!("expected the supervisor's start to fail, got {other:?}"),
    }
    assert!(lines(&journal).is_empty(), "nothing started");
    Ok(())
}

#[actium::test]
async fn restarts_go_one_at_a_time_in_start_order() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", 40, 0, &journal))
        .child(member("b", 0, 0, &journal))
        .spawn();
    let children = supervisor.children().await?;
    let (a, b) = (children.get::<Member>("a")?, children.get::<Member>("b")?);
    journal.lock().expect("journal").clear();
    b.crash()?;
    // Answered by the new incarnations, once they have started.
    assert_eq!(b.ping().await?, "b");
    assert_eq!(a.ping().await?, "a");
    assert_eq!(
        lines(&journal),
        ["stop b", "stop a", "start a", "start b"],
        "a, started first, restarts first even though it is slower"
    );
    Ok(())
}

#[actium::test]
async fn stopping_a_supervisor_terminates_children_in_reverse_start_order() -> actium::Result<()> {
    let journal = Journal::default();
    // The last child is the slowest to stop: the others must wait for it.
    let supervisor = Supervisor::builder()
        .child(member("a", 0, 0, &journal))
        .child(member("b", 0, 0, &journal))
        .child(member("c", 0, 30, &journal))
        .spawn();
    supervisor.children().await?;
    supervisor.stop();
    assert_eq!(supervisor.stopped().await, ExitReason::Stopped);
    assert_eq!(
        lines(&journal)[3..],
        ["stop c".to_owned(), "stop b".into(), "stop a".into()]
    );
    Ok(())
}

#[test]
fn system_shutdown_terminates_children_in_reverse_start_order() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            let system = System::builder().mode(mode).start().expect("system");
            let journal = Journal::default();
            let supervisor = Supervisor::builder()
                .child(member("a", 0, 0, &journal))
                .child(member("b", 0, 0, &journal))
                .child(member("c", 0, 30, &journal))
                .build()
                .spawner()
                .system(system.handle())
                .spawn();
            supervisor.children().wait().expect("started");
            system.shutdown();
            assert_eq!(
                lines(&journal)[3..],
                ["stop c".to_owned(), "stop b".into(), "stop a".into()],
                "{mode:?}"
            );
        }
    });
}

/// A child that traps exits, so it outlives a killed supervisor.
struct Survivor {
    journal: Journal,
    trapped: Event,
}

#[actor]
impl Survivor {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exit(true);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        let line = format!("exit {}", exit.reason);
        self.journal.lock().expect("journal").push(line);
        self.trapped.fire();
    }

    #[on_stop]
    fn stop(&mut self) {
        self.journal.lock().expect("journal").push("stop".into());
    }
}

#[test]
fn system_shutdown_stops_a_child_that_outlived_its_supervisor() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            let system = System::builder()
                .mode(mode)
                .shutdown_grace(Duration::from_secs(20))
                .start()
                .expect("system");
            let (journal, trapped) = (Journal::default(), Event::new());
            let supervisor = Supervisor::builder()
                .child(ChildSpec::new("survivor", {
                    let (journal, trapped) = (journal.clone(), trapped.clone());
                    move || Survivor {
                        journal: journal.clone(),
                        trapped: trapped.clone(),
                    }
                }))
                .build()
                .spawner()
                .system(system.handle())
                .spawn();
            supervisor.children().wait().expect("started");
            supervisor.kill();
            // The survivor gets the exit signal as a message, and lives on.
            system.block_on(trapped.wait());
            let start = Instant::now();
            system.shutdown();
            // The orphan stops in milliseconds; waiting out the 20 s grace
            // would be the bug. Half the grace leaves room for any load.
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{mode:?}: waited {:?} for the orphan",
                start.elapsed()
            );
            assert_eq!(lines(&journal), ["exit killed", "stop"], "{mode:?}");
        }
    });
}

/// A child whose `on_stop` waits for ever: it must be killed.
struct Stubborn {
    never: Event,
}

#[actor]
impl Stubborn {
    #[on_stop]
    async fn stop(&mut self) {
        self.never.wait().await;
    }

    #[ask]
    fn ping(&self) {}
}

#[actium::test]
async fn a_child_that_does_not_stop_in_time_is_killed() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(
            ChildSpec::new("stubborn", || Stubborn {
                never: Event::new(),
            })
            .shutdown(Duration::from_millis(50)),
        )
        .spawn();
    let stubborn = supervisor.children().await?.get::<Stubborn>("stubborn")?;
    let start = Instant::now();
    bounded(LIMIT, supervisor.terminate_child("stubborn".into())).await??;
    assert_eq!(stubborn.stopped().await, ExitReason::Killed);
    // Only the clock tells its own 50 ms from the default 5 s (both end
    // in a kill): 3 s is sixty times the first and still short of the
    // second.
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "killed after its 50 ms, not after {:?}",
        start.elapsed()
    );
    Ok(())
}

/// A child whose method blocks without awaiting until released: a kill
/// cannot reach it.
struct Spinner {
    entered: Event,
}

#[actor]
impl Spinner {
    #[ask(blocking)]
    fn spin(&mut self, release: Arc<AtomicBool>) {
        self.entered.fire();
        while !release.load(Ordering::SeqCst) {
            std::thread::park_timeout(Duration::from_millis(1));
        }
    }
}

#[actium::test]
async fn a_child_that_never_awaits_is_abandoned_after_the_kill() -> actium::Result<()> {
    let entered = Event::new();
    let supervisor = Supervisor::builder()
        .child(
            ChildSpec::new("spinner", {
                let entered = entered.clone();
                move || Spinner {
                    entered: entered.clone(),
                }
            })
            .restart(Restart::Temporary)
            .shutdown(Duration::from_millis(50)),
        )
        .spawn();
    let spinner = supervisor.children().await?.get::<Spinner>("spinner")?;
    let release = Arc::new(AtomicBool::new(false));
    let spinning = spinner.spin(release.clone());
    entered.wait().await;
    let start = Instant::now();
    bounded(LIMIT, supervisor.terminate_child("spinner".into())).await??;
    let elapsed = start.elapsed();
    assert_eq!(spinner.stopped().await, ExitReason::Killed);
    // The method itself runs on until it returns; nothing runs after it.
    release.store(true, Ordering::SeqCst);
    let _ = spinning.await;
    // As above: 50 ms plus the kill's 100 ms grace, far under 3 s; the
    // default 5 s would be over it.
    assert!(
        elapsed < Duration::from_secs(3),
        "abandoned after its 50 ms and the kill's grace, not after {elapsed:?}"
    );
    Ok(())
}

/// Spawns a supervision tree linked to itself, then crashes or stops.
struct Parent;

#[actor(on_panic = "stop")]
impl Parent {
    #[ask]
    fn start_tree(
        &mut self,
        ctx: &mut Context<Self>,
        journal: Journal,
    ) -> Result<ActorRef<Supervisor>, Error> {
        ctx.spawn_link(
            Supervisor::builder()
                .child(member("a", 0, 0, &journal))
                .build(),
        )
    }

    #[ask]
    fn link_to(&mut self, ctx: &mut Context<Self>, other: ActorRef<Supervisor>) {
        ctx.link(&other);
    }

    #[tell]
    fn crash(&mut self) {
        panic!("parent crashed");
    }
}

#[actium::test]
async fn a_supervisor_dies_with_the_parent_that_spawned_it_linked() -> actium::Result<()> {
    let journal = Journal::default();
    let parent = Parent.spawn();
    let supervisor = parent.start_tree(journal.clone()).await??;
    let child = supervisor.children().await?.get::<Member>("a")?;
    parent.crash()?;
    match bounded(LIMIT, supervisor.stopped()).await {
        ExitReason::Panicked(message) => assert!(message.contains("parent crashed"), "{message}"),
        other => panic!("expected the parent's reason, got {other:?}"),
    }
    // Children first.
    assert_eq!(child.stopped().await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["start a", "stop a"]);
    Ok(())
}

#[actium::test]
async fn a_supervisor_ignores_the_exit_of_an_actor_that_merely_linked_to_it() -> actium::Result<()>
{
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", 0, 0, &journal))
        .spawn();
    let stranger = Parent.spawn();
    stranger.link_to(supervisor.clone()).await?;
    stranger.crash()?;
    stranger.stopped().await;
    // Its exit signal came before this call: the supervisor still serves.
    assert_eq!(supervisor.children().await?.len(), 1);
    assert!(supervisor.is_alive());
    Ok(())
}
