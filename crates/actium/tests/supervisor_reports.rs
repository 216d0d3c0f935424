//! What `Supervisor::children` reports about each child, as Erlang's
//! `which_children`/`count_children`: its current reference, how many
//! times it was restarted, and why it last exited.

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};

#[derive(Default)]
struct Worker;

#[actor]
impl Worker {
    #[ask]
    fn crash(&self) {
        panic!("worker crashed");
    }

    #[ask]
    fn ping(&self) {}
}

fn report(children: &actium::supervisor::Children, name: &str) -> (u32, Option<ExitReason>) {
    let child = children
        .iter()
        .find(|child| child.name() == name)
        .expect("the child");
    (child.restarts(), child.last_exit().cloned())
}

#[actium::test]
async fn a_child_that_never_exited_reports_no_restart_and_no_reason() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", Worker::default))
        .spawn();
    let children = supervisor.children().await?;
    assert_eq!(report(&children, "worker"), (0, None));
    let child = children.iter().next().expect("one child");
    let reference = child.reference().expect("it runs");
    assert_eq!(reference, children.get::<Worker>("worker")?);
    Ok(())
}

#[actium::test]
async fn restarts_are_counted_and_the_last_reason_kept() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", Worker::default))
        .spawn();
    let worker = supervisor.children().await?.get::<Worker>("worker")?;
    for _ in 0..2 {
        assert!(worker.crash().await.is_err());
        // Answered by the next incarnation: the restart is done.
        worker.ping().await?;
    }
    let children = supervisor.children().await?;
    assert_eq!(
        report(&children, "worker"),
        (
            2,
            Some(ExitReason::Panicked("worker crashed (in `crash`)".into()))
        )
    );
    // A restart keeps the reference.
    assert_eq!(
        children.iter().next().and_then(|c| c.reference()),
        Some(worker.into())
    );
    Ok(())
}

#[actium::test]
async fn a_one_for_all_restart_counts_for_every_child_restarted() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(ChildSpec::new("a", Worker::default))
        .child(ChildSpec::new("b", Worker::default))
        .spawn();
    let a = supervisor.children().await?.get::<Worker>("a")?;
    assert!(a.crash().await.is_err());
    a.ping().await?;
    let children = supervisor.children().await?;
    let (restarts_a, reason_a) = report(&children, "a");
    let (restarts_b, reason_b) = report(&children, "b");
    assert_eq!((restarts_a, restarts_b), (1, 1));
    assert!(matches!(reason_a, Some(ExitReason::Panicked(_))));
    assert_eq!(reason_b, Some(ExitReason::Shutdown));
    Ok(())
}

#[actium::test]
async fn a_terminated_child_reports_its_final_reason() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("worker", Worker::default).restart(Restart::Transient))
        .spawn();
    supervisor.terminate_child("worker".into()).await??;
    let children = supervisor.children().await?;
    assert_eq!(report(&children, "worker"), (0, Some(ExitReason::Shutdown)));
    let child = children.iter().next().expect("one child");
    assert!(child.reference().is_none() && !child.is_running());
    Ok(())
}
