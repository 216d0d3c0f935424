//! Conformance with OTP's `supervisor`: restart intensity, restart types
//! and strategies, and what a restart leaves to siblings and children.
//!
//! Written from the reference manual rather than from Actium's behaviour.
//! Where Actium departs on purpose, the departure is listed in
//! `docs/ARCHITECTURE.md` and the test checks Actium's documented side.
//! `otp_conformance.rs` has links and monitors; `otp_supervisor_restarts.rs`
//! and `otp_supervisor_termination.rs` OTP's `supervisor`.

#[path = "support/otp.rs"]
mod otp;
mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
use otp::*;

// ---------------------------------------------------------- supervisors

#[actium::test]
async fn max_restarts_n_allows_n_restarts_and_the_next_ends_the_supervisor() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(3, Duration::from_secs(60))
        .child(member("a", &journal))
        .child(member("b", &journal))
        .spawn();
    let [a, b] = children(&supervisor, ["a", "b"]).await?;
    let (linked, plain, watcher) = (trapping().await?, spawn_proc(), spawn_proc());
    linked.link_supervisor(supervisor.clone()).await?;
    plain.link_supervisor(supervisor.clone()).await?;
    watcher.monitor_supervisor(supervisor.clone()).await?;
    for _ in 0..3 {
        crash_and_recover(&a).await?;
    }
    assert!(supervisor.is_alive(), "three restarts are allowed");
    // The fourth within the period is one too many: the supervisor
    // terminates the others and exits with `shutdown`.
    a.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    assert!(matches!(
        bounded(a.stopped()).await,
        ExitReason::Panicked(_)
    ));
    assert_eq!(bounded(b.stopped()).await, ExitReason::Shutdown);
    // Its own links and monitors fire with that reason; `shutdown` is
    // abnormal, so a non-trapping linked actor dies of it.
    assert_eq!(
        log_of(&linked, 1).await?,
        [format!("exit {supervisor} shutdown")]
    );
    assert_eq!(
        log_of(&watcher, 1).await?,
        [format!("down {supervisor} shutdown")]
    );
    assert_eq!(bounded(plain.stopped()).await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn max_restarts_zero_gives_up_at_the_first_failure() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(0, Duration::from_secs(60))
        .child(member("a", &journal))
        .spawn();
    let a = child(&supervisor, "a").await?;
    a.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["start a", "stop a"], "never restarted");
    Ok(())
}

#[actium::test]
async fn restarts_older_than_the_period_do_not_count() -> actium::Result<()> {
    let journal = Journal::default();
    let period = Duration::from_millis(300);
    let supervisor = Supervisor::builder()
        .intensity(1, period)
        .child(member("a", &journal))
        .spawn();
    let a = child(&supervisor, "a").await?;
    crash_and_recover(&a).await?;
    // Waiting out the period is the point here, not settling.
    actium::sleep(period + Duration::from_millis(200)).await;
    crash_and_recover(&a).await?;
    assert!(supervisor.is_alive(), "one restart in each period");
    a.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn normal_exits_of_transient_and_temporary_children_are_not_restarts() -> actium::Result<()> {
    // OTP counts only restarts: children that are not restarted do not use
    // up the intensity.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(0, Duration::from_secs(60))
        .child(member("transient", &journal).restart(Restart::Transient))
        .child(member("temporary", &journal).restart(Restart::Temporary))
        .child(member("permanent", &journal))
        .spawn();
    let [transient, temporary] = children(&supervisor, ["transient", "temporary"]).await?;
    transient.finish()?;
    assert_eq!(bounded(transient.stopped()).await, ExitReason::Normal);
    temporary.crash()?;
    assert!(matches!(
        bounded(temporary.stopped()).await,
        ExitReason::Panicked(_)
    ));
    assert!(supervisor.is_alive());
    assert_eq!(names(&supervisor).await?, ["transient", "permanent"]);
    Ok(())
}

#[actium::test]
async fn a_transient_child_restarts_only_after_an_abnormal_exit() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("t", &journal).restart(Restart::Transient))
        .spawn();
    let t = child(&supervisor, "t").await?;
    // Abnormal: a panic, an error, a kill.
    crash_and_recover(&t).await?;
    t.kill();
    assert_eq!(bounded(t.work()).await?, 1, "restarted after a kill");
    // `shutdown` is not a reason to restart a transient child.
    let sender = spawn_proc();
    sender.exit_member(t.clone(), ExitReason::Shutdown).await?;
    assert_eq!(bounded(t.stopped()).await, ExitReason::Shutdown);
    let children = supervisor.children().await?;
    assert!(!children.iter().any(|c| c.is_running()));
    // ...and it stays in the supervisor's list, like OTP's transient child.
    assert_eq!(names(&supervisor).await?, ["t"]);
    Ok(())
}

#[actium::test]
async fn one_for_all_stops_the_others_in_reverse_and_restarts_all_in_order() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        .child(member("b", &journal))
        .child(member("c", &journal))
        .spawn();
    let [a, b, c] = children(&supervisor, ["a", "b", "c"]).await?;
    // Every incarnation that answers 1 later is a new one.
    for member in [&a, &b, &c] {
        member.work().await?;
    }
    clear(&journal);
    b.crash()?;
    assert_eq!(bounded(b.work()).await?, 1);
    assert_eq!(
        bounded(a.work()).await?,
        1,
        "a restarted, behind its reference"
    );
    assert_eq!(bounded(c.work()).await?, 1);
    assert_eq!(
        lines(&journal),
        [
            "stop b", "stop c", "stop a", "start a", "start b", "start c"
        ]
    );
    Ok(())
}

#[actium::test]
async fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::RestForOne)
        .child(member("a", &journal))
        .child(member("b", &journal))
        .child(member("c", &journal))
        .child(member("d", &journal))
        .spawn();
    let [a, b, d] = children(&supervisor, ["a", "b", "d"]).await?;
    // Every incarnation that answers 1 later is a new one.
    a.work().await?;
    d.work().await?;
    clear(&journal);
    b.crash()?;
    // Queued behind the crash: answered by b's next incarnation, which
    // starts only once c and d have stopped.
    assert_eq!(bounded(b.work()).await?, 1);
    assert_eq!(bounded(d.work()).await?, 1);
    assert_eq!(a.work().await?, 2, "a, started before b, was left alone");
    assert_eq!(
        lines(&journal),
        [
            "stop b", "stop d", "stop c", "start b", "start c", "start d"
        ]
    );
    Ok(())
}

#[actium::test]
async fn one_for_all_forgets_a_temporary_sibling_instead_of_restarting_it() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        .child(member("temp", &journal).restart(Restart::Temporary))
        .spawn();
    let [a, temp] = children(&supervisor, ["a", "temp"]).await?;
    clear(&journal);
    a.crash()?;
    assert_eq!(bounded(a.work()).await?, 1);
    assert_eq!(bounded(temp.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop a", "stop temp", "start a"]);
    assert_eq!(names(&supervisor).await?, ["a"]);
    Ok(())
}

#[actium::test]
async fn a_nested_supervisor_that_gives_up_is_restarted_by_its_parent() -> actium::Result<()> {
    let journal = Journal::default();
    let inner = {
        let journal = journal.clone();
        ChildSpec::new("inner", move || {
            Supervisor::builder()
                .intensity(0, Duration::from_secs(60))
                .child(member("a", &journal))
                .build()
        })
    };
    let top = Supervisor::builder().child(inner).spawn();
    let inner = top.children().await?.get::<Supervisor>("inner")?;
    let a = child(&inner, "a").await?;
    a.crash()?;
    assert!(matches!(
        bounded(a.stopped()).await,
        ExitReason::Panicked(_)
    ));
    // The inner supervisor's `shutdown` is a failure for the top one, which
    // restarts it (same reference), and it starts a fresh `a`.
    let again = bounded(child(&inner, "a")).await?;
    assert_ne!(again, a);
    assert_eq!(again.work().await?, 1);
    assert_eq!(lines(&journal), ["start a", "stop a", "start a"]);
    Ok(())
}

#[actium::test]
async fn one_for_all_counts_one_restart_per_failure() -> actium::Result<()> {
    // Restarting three children after one failure is one restart.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .intensity(1, Duration::from_secs(60))
        .child(member("a", &journal))
        .child(member("b", &journal))
        .child(member("c", &journal))
        .spawn();
    let [a, b] = children(&supervisor, ["a", "b"]).await?;
    a.work().await?;
    crash_and_recover(&a).await?;
    assert!(supervisor.is_alive());
    b.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn too_many_restarts_terminate_the_others_in_reverse_start_order() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(0, Duration::from_secs(60))
        .child(member("a", &journal))
        .child(member("b", &journal))
        .child(member("c", &journal))
        .spawn();
    let a = child(&supervisor, "a").await?;
    clear(&journal);
    a.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop a", "stop c", "stop b"]);
    Ok(())
}

#[actium::test]
async fn a_child_that_is_not_restarted_leaves_its_siblings_alone() -> actium::Result<()> {
    // OTP applies the strategy only to a child that is to be restarted:
    // a transient child's normal exit, or a temporary child's crash, does
    // not restart the others even under one-for-all.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        .child(member("transient", &journal).restart(Restart::Transient))
        .child(member("temporary", &journal).restart(Restart::Temporary))
        .spawn();
    let [a, transient, temporary] = children(&supervisor, ["a", "transient", "temporary"]).await?;
    a.work().await?;
    transient.finish()?;
    assert_eq!(bounded(transient.stopped()).await, ExitReason::Normal);
    temporary.crash()?;
    assert!(matches!(
        bounded(temporary.stopped()).await,
        ExitReason::Panicked(_)
    ));
    assert_eq!(a.work().await?, 2, "a was not restarted");
    assert_eq!(names(&supervisor).await?, ["a", "transient"]);
    Ok(())
}

#[actium::test]
async fn a_group_restart_leaves_a_child_that_had_ended_down() -> actium::Result<()> {
    // Documented departure: OTP's one-for-all starts every child in the
    // list again, even one that had ended (a transient child's normal
    // exit, `terminate_child`); Actium restarts those that ran.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        .child(member("transient", &journal).restart(Restart::Transient))
        .child(member("b", &journal))
        .spawn();
    let [a, transient] = children(&supervisor, ["a", "transient"]).await?;
    transient.finish()?;
    bounded(transient.stopped()).await;
    supervisor.terminate_child("b".into()).await??;
    clear(&journal);
    crash_and_recover(&a).await?;
    assert_eq!(lines(&journal), ["stop a", "start a"]);
    let running: Vec<bool> = supervisor
        .children()
        .await?
        .iter()
        .map(|c| c.is_running())
        .collect();
    assert_eq!(running, [true, false, false]);
    Ok(())
}

#[actium::test]
async fn the_default_intensity_is_three_restarts_in_five_seconds() -> actium::Result<()> {
    // Documented departure: OTP's default is one restart in five seconds.
    let journal = Journal::default();
    let supervisor = Supervisor::builder().child(member("a", &journal)).spawn();
    let a = child(&supervisor, "a").await?;
    for _ in 0..3 {
        crash_and_recover(&a).await?;
    }
    assert!(supervisor.is_alive());
    a.crash()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn a_restarted_child_does_not_inherit_trap_exit() -> actium::Result<()> {
    // The restarted child is a new process: trap_exit starts false again,
    // whatever the old incarnation set.
    let journal = Journal::default();
    let supervisor = Supervisor::builder().child(member("a", &journal)).spawn();
    let a = child(&supervisor, "a").await?;
    a.trap().await?;
    crash_and_recover(&a).await?;
    let linked = spawn_proc();
    linked.link_member(a.clone()).await?;
    a.work().await?;
    linked.fail("take a with you".into())?;
    bounded(linked.stopped()).await;
    // Not trapping, so the abnormal exit ended the incarnation: the next
    // call reaches a fresh one.
    assert_eq!(bounded(a.work()).await?, 1);
    Ok(())
}

#[actium::test]
async fn one_for_all_restarts_a_running_transient_sibling() -> actium::Result<()> {
    // The sibling ended because the supervisor ended it (`shutdown`), yet
    // a group restart starts it again: OTP restarts every non-temporary
    // child of the group, whatever ended them.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        .child(member("t", &journal).restart(Restart::Transient))
        .spawn();
    let [a, t] = children(&supervisor, ["a", "t"]).await?;
    t.work().await?;
    crash_and_recover(&a).await?;
    assert_eq!(bounded(t.work()).await?, 1, "t restarted");
    assert_eq!(
        lines(&journal),
        [
            "start a", "start t", "stop a", "stop t", "start a", "start t"
        ]
    );
    Ok(())
}
