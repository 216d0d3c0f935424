//! Supervisors: one-for-one, one-for-all and rest-for-one restarts, restart
//! types, restart intensity, nested trees, managing children by hand — and
//! references (and names) to a restarted child reaching its new incarnation.
//! How supervisors start and stop their children is in
//! `supervisor_lifecycle.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};

/// Counts the jobs of this incarnation. It sets no panic policy: a
/// supervised actor stops when it panics, which is what gets it restarted.
struct Worker {
    jobs: u32,
}

#[actor]
impl Worker {
    #[ask]
    fn work(&mut self) -> u32 {
        self.jobs += 1;
        self.jobs
    }

    #[tell]
    fn crash(&mut self) {
        panic!("worker crashed");
    }

    #[tell]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// A child spec whose factory counts how often it ran.
fn counted(name: &str, starts: &Arc<AtomicUsize>) -> ChildSpec {
    let starts = starts.clone();
    ChildSpec::new(name, move || {
        starts.fetch_add(1, Ordering::SeqCst);
        Worker { jobs: 0 }
    })
}

async fn worker(supervisor: &ActorRef<Supervisor>, name: &str) -> actium::Result<ActorRef<Worker>> {
    supervisor.children().await?.get::<Worker>(name)
}

/// The names of the supervisor's children, in start order.
async fn child_names(supervisor: &ActorRef<Supervisor>) -> actium::Result<Vec<String>> {
    let children = supervisor.children().await?;
    Ok(children
        .iter()
        .map(|child| child.name().to_owned())
        .collect())
}

/// Crashes `worker` and waits until its next incarnation answers: proof the
/// restart happened (the new incarnation's job count starts at 1).
async fn crash_and_recover(worker: &ActorRef<Worker>) -> actium::Result<()> {
    worker.crash()?;
    assert_eq!(worker.work().await?, 1, "a fresh incarnation");
    Ok(())
}

#[actium::test]
async fn one_for_one_restarts_only_the_failed_child_behind_the_same_reference() -> actium::Result<()>
{
    let (a_starts, b_starts) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .child(counted("a", &a_starts))
        .child(counted("b", &b_starts))
        .spawn();
    let (a, b) = (
        worker(&supervisor, "a").await?,
        worker(&supervisor, "b").await?,
    );
    a.work().await?;
    b.work().await?;
    b.work().await?;
    crash_and_recover(&a).await?;
    // b kept its state; a's reference reached a new incarnation.
    assert_eq!(b.work().await?, 3);
    assert_eq!(
        worker(&supervisor, "a").await?,
        a,
        "same cell, same reference"
    );
    assert_eq!(a_starts.load(Ordering::SeqCst), 2);
    assert_eq!(b_starts.load(Ordering::SeqCst), 1);
    Ok(())
}

#[actium::test]
async fn one_for_all_restarts_every_child() -> actium::Result<()> {
    let starts = Arc::new(AtomicUsize::new(0));
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(counted("a", &starts))
        .child(counted("b", &starts))
        .spawn();
    let (a, b) = (
        worker(&supervisor, "a").await?,
        worker(&supervisor, "b").await?,
    );
    b.work().await?;
    b.work().await?;
    crash_and_recover(&a).await?;
    assert_eq!(b.work().await?, 1, "b was restarted too");
    assert_eq!(starts.load(Ordering::SeqCst), 4);
    Ok(())
}

#[actium::test]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() -> actium::Result<()> {
    let starts = Arc::new(AtomicUsize::new(0));
    let supervisor = Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .child(counted("a", &starts))
        .child(counted("b", &starts))
        .child(counted("c", &starts))
        .spawn();
    let children = supervisor.children().await?;
    let (a, b, c) = (
        children.get::<Worker>("a")?,
        children.get::<Worker>("b")?,
        children.get::<Worker>("c")?,
    );
    for worker in [&a, &c] {
        worker.work().await?;
    }
    crash_and_recover(&b).await?;
    assert_eq!(a.work().await?, 2, "a, started before b, kept its state");
    assert_eq!(c.work().await?, 1, "c, started after b, was restarted");
    assert_eq!(starts.load(Ordering::SeqCst), 5);
    Ok(())
}

#[actium::test]
async fn restart_types_decide_which_exits_restart() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("transient", || Worker { jobs: 0 }).restart(Restart::Transient))
        .child(ChildSpec::new("temporary", || Worker { jobs: 0 }).restart(Restart::Temporary))
        .child(ChildSpec::new("permanent", || Worker { jobs: 0 }))
        .spawn();
    let transient = worker(&supervisor, "transient").await?;
    crash_and_recover(&transient).await?;
    transient.finish()?;
    assert_eq!(transient.stopped().await, ExitReason::Normal);

    let temporary = worker(&supervisor, "temporary").await?;
    temporary.crash()?;
    assert!(matches!(temporary.stopped().await, ExitReason::Panicked(_)));

    let permanent = worker(&supervisor, "permanent").await?;
    permanent.work().await?;
    permanent.finish()?;
    // A permanent child is restarted even after a normal exit.
    assert_eq!(permanent.work().await?, 1);

    let children = supervisor.children().await?;
    assert!(matches!(
        children.get::<Worker>("transient"),
        Err(Error::NoSuchChild { .. })
    ));
    assert!(matches!(
        children.get::<Worker>("temporary"),
        Err(Error::NoSuchChild { .. })
    ));
    assert!(children.get::<Worker>("permanent").is_ok());
    Ok(())
}

#[actium::test]
async fn too_many_restarts_shut_the_supervisor_down_as_in_otp() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .intensity(2, Duration::from_secs(60))
        .child(ChildSpec::new("worker", || Worker { jobs: 0 }))
        .child(ChildSpec::new("sibling", || Worker { jobs: 0 }))
        .spawn();
    let (worker, sibling) = (
        self::worker(&supervisor, "worker").await?,
        self::worker(&supervisor, "sibling").await?,
    );
    crash_and_recover(&worker).await?;
    crash_and_recover(&worker).await?;
    worker.crash()?;
    // OTP: the supervisor terminates its other children and exits with
    // `shutdown`; the child that crashed last keeps its own reason.
    assert_eq!(supervisor.stopped().await, ExitReason::Shutdown);
    match worker.stopped().await {
        ExitReason::Panicked(message) => assert!(message.contains("worker crashed"), "{message}"),
        other => panic!("expected the crash as the worker's reason, got {other:?}"),
    }
    assert_eq!(sibling.stopped().await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn a_panicking_child_is_restarted_without_a_panic_policy_of_its_own() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", || Worker { jobs: 0 }))
        .spawn();
    let worker = worker(&supervisor, "worker").await?;
    assert_eq!(worker.work().await?, 1);
    worker.crash()?;
    assert_eq!(worker.work().await?, 1, "a fresh incarnation");
    Ok(())
}

#[actium::test]
async fn a_restarted_child_keeps_its_name_and_its_queued_messages() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", || Worker { jobs: 0 }))
        .spawn();
    let registered = worker(&supervisor, "worker").await?;
    actium::register("worker", &registered)?;
    registered.work().await?;
    // Requests sent right behind the crash wait for the new incarnation.
    registered.crash()?;
    let queued: Vec<_> = (0..3).map(|_| registered.work()).collect();
    let mut answers = Vec::new();
    for answer in queued {
        answers.push(answer.await?);
    }
    assert_eq!(answers, [1, 2, 3]);
    let by_name = actium::whereis::<Worker>("worker")?;
    assert_eq!(by_name.work().await?, 4);
    Ok(())
}

#[actium::test]
async fn a_killed_child_is_restarted() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", || Worker { jobs: 0 }))
        .spawn();
    let worker = worker(&supervisor, "worker").await?;
    worker.work().await?;
    worker.kill();
    assert_eq!(worker.work().await?, 1);
    assert!(worker.is_alive());
    Ok(())
}

#[actium::test]
async fn children_can_be_terminated_restarted_and_deleted_by_hand() -> actium::Result<()> {
    let starts = Arc::new(AtomicUsize::new(0));
    let supervisor = Supervisor::builder()
        .child(counted("worker", &starts))
        .spawn();
    let first = worker(&supervisor, "worker").await?;
    // OTP's `{error, running}`: a running child is not restarted or deleted.
    assert!(matches!(
        supervisor.restart_child("worker".into()).await?,
        Err(Error::ChildRunning { .. })
    ));
    assert!(matches!(
        supervisor.delete_child("worker".into()).await?,
        Err(Error::ChildRunning { .. })
    ));
    assert_eq!(first.work().await?, 1, "not restarted");
    supervisor.terminate_child("worker".into()).await??;
    assert_eq!(first.stopped().await, ExitReason::Shutdown);
    assert!(!supervisor.children().await?.iter().any(|c| c.is_running()));
    supervisor.restart_child("worker".into()).await??;
    let second = worker(&supervisor, "worker").await?;
    assert_eq!(second.work().await?, 1);
    assert_eq!(starts.load(Ordering::SeqCst), 2);
    assert!(matches!(
        supervisor.restart_child("nobody".into()).await?,
        Err(Error::NoSuchChild { .. })
    ));
    supervisor.terminate_child("worker".into()).await??;
    supervisor.delete_child("worker".into()).await??;
    assert!(supervisor.children().await?.is_empty());
    Ok(())
}

#[actium::test]
async fn a_temporary_child_is_forgotten_once_it_ends() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("permanent", || Worker { jobs: 0 }))
        .child(ChildSpec::new("temporary", || Worker { jobs: 0 }).restart(Restart::Temporary))
        .child(ChildSpec::new("by_hand", || Worker { jobs: 0 }).restart(Restart::Temporary))
        .spawn();
    let temporary = worker(&supervisor, "temporary").await?;
    temporary.crash()?;
    temporary.stopped().await;
    supervisor.terminate_child("by_hand".into()).await??;
    let names = child_names(&supervisor).await?;
    assert_eq!(names, ["permanent"]);
    Ok(())
}

#[actium::test]
async fn stopping_a_supervisor_stops_its_children() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("a", || Worker { jobs: 0 }))
        .child(ChildSpec::new("b", || Worker { jobs: 0 }))
        .spawn();
    let (a, b) = (
        worker(&supervisor, "a").await?,
        worker(&supervisor, "b").await?,
    );
    supervisor.stop();
    assert_eq!(supervisor.stopped().await, ExitReason::Stopped);
    assert_eq!(a.stopped().await, ExitReason::Shutdown);
    assert_eq!(b.stopped().await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn supervision_trees_restart_a_failed_subtree() -> actium::Result<()> {
    let worker_starts = Arc::new(AtomicUsize::new(0));
    let sub = {
        let worker_starts = worker_starts.clone();
        ChildSpec::new("sub", move || {
            Supervisor::builder()
                .intensity(0, Duration::from_secs(60))
                .child(counted("worker", &worker_starts))
                .build()
        })
    };
    let top = Supervisor::builder().child(sub).spawn();
    let sub = top.children().await?.get::<Supervisor>("sub")?;
    let first = worker(&sub, "worker").await?;
    first.work().await?;
    // The subtree allows no restart: the worker's crash fails it, and the
    // top supervisor restarts the subtree, which starts a fresh worker.
    first.crash()?;
    assert!(matches!(first.stopped().await, ExitReason::Panicked(_)));
    let again = worker(&sub, "worker").await?;
    assert_ne!(again, first, "a restarted subtree starts new workers");
    assert_eq!(again.work().await?, 1);
    assert_eq!(worker_starts.load(Ordering::SeqCst), 2);
    Ok(())
}

#[actium::test]
async fn children_can_be_added_to_a_running_supervisor() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("first", || Worker { jobs: 0 }))
        .spawn();
    supervisor
        .start_child(ChildSpec::new("second", || Worker { jobs: 0 }))
        .await??;
    let second = worker(&supervisor, "second").await?;
    crash_and_recover(&second).await?;
    let names = child_names(&supervisor).await?;
    assert_eq!(names, ["first", "second"]);
    let duplicate = supervisor
        .start_child(ChildSpec::new("second", || Worker { jobs: 0 }))
        .await?;
    assert!(matches!(duplicate, Err(Error::NameTaken { .. })));
    Ok(())
}
