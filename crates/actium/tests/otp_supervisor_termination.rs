//! Conformance with OTP's `supervisor` when children end: shutdown order,
//! brutal kills, and what callers, links and monitors of an ended
//! incarnation see.
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
use actium::supervisor::{ChildSpec, Strategy, Supervisor};
use otp::*;
use support::Event;

#[actium::test]
async fn a_caller_inside_a_terminated_sibling_gets_actor_stopped() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        // brutal_kill: no waiting for the held call to finish.
        .child(member("b", &journal).shutdown(Duration::ZERO))
        .spawn();
    let [a, b] = children(&supervisor, ["a", "b"]).await?;
    let (entered, release) = (Event::new(), Event::new());
    let held = b.hold(entered.clone(), release.clone());
    let held = tokio::spawn(held);
    bounded(entered.wait()).await;
    a.crash()?;
    // b's incarnation is killed under the call: the caller is answered.
    let answer = bounded(held).await.expect("the call's task");
    assert!(
        matches!(answer, Err(Error::ActorStopped { .. })),
        "{answer:?}"
    );
    // The same reference reaches b's next incarnation.
    assert_eq!(bounded(b.work()).await?, 1);
    release.fire();
    Ok(())
}

#[actium::test]
async fn calls_queued_for_a_child_the_supervisor_gives_up_on_are_answered() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(0, Duration::from_secs(60))
        .child(member("a", &journal))
        .spawn();
    let a = child(&supervisor, "a").await?;
    a.crash()?;
    let queued: Vec<_> = (0..3).map(|_| a.work()).collect();
    for call in queued {
        assert!(matches!(
            bounded(call).await,
            Err(Error::ActorStopped { .. })
        ));
    }
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Shutdown);
    Ok(())
}

#[actium::test]
async fn links_and_monitors_of_a_child_fire_once_per_incarnation() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder().child(member("a", &journal)).spawn();
    let a = child(&supervisor, "a").await?;
    let (linked, watcher) = (trapping().await?, spawn_proc());
    linked.link_member(a.clone()).await?;
    watcher.monitor_member(a.clone()).await?;
    crash_and_recover(&a).await?;
    let exit = log_of(&linked, 1).await?;
    assert!(
        exit[0].starts_with(&format!("exit {a} panicked")),
        "{exit:?}"
    );
    let down = log_of(&watcher, 1).await?;
    assert!(
        down[0].starts_with(&format!("down {a} panicked")),
        "{down:?}"
    );
    // The old incarnation's link and monitor died with it (as a crashed
    // Erlang process's do): the next crash reaches neither.
    crash_and_recover(&a).await?;
    let marker = spawn_proc();
    linked.link(marker.clone()).await?;
    watcher.monitor(marker.clone()).await?;
    marker.fail("marker".into())?;
    assert_eq!(log_of(&linked, 2).await?.len(), 2);
    assert_eq!(
        log_of(&linked, 2).await?[1],
        format!("exit {marker} error: marker")
    );
    assert_eq!(
        log_of(&watcher, 2).await?[1],
        format!("down {marker} error: marker")
    );
    Ok(())
}

#[actium::test]
async fn stopping_a_supervisor_stops_its_children_in_reverse_start_order() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", &journal))
        .child(member("b", &journal))
        .child(member("c", &journal))
        .spawn();
    let c = child(&supervisor, "c").await?;
    clear(&journal);
    supervisor.stop();
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Stopped);
    assert_eq!(bounded(c.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop c", "stop b", "stop a"]);
    Ok(())
}

#[actium::test]
async fn a_supervisor_whose_parent_exits_normally_stops_its_children() -> actium::Result<()> {
    // OTP: a supervisor (a gen_server) ends on its parent's exit signal
    // whatever the reason, `normal` included, children first.
    let journal = Journal::default();
    let parent = spawn_proc();
    let supervisor = parent
        .start_supervisor(
            Supervisor::builder()
                .child(member("a", &journal))
                .child(member("b", &journal))
                .build(),
        )
        .await??;
    supervisor.children().await?;
    parent.finish()?;
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Normal);
    assert_eq!(lines(&journal)[2..], ["stop b".to_owned(), "stop a".into()]);
    Ok(())
}

#[actium::test]
async fn killing_a_supervisor_kills_its_children_through_their_links() -> actium::Result<()> {
    // `exit(Sup, kill)`: the supervisor cannot terminate anything, but its
    // children are linked to it and die with `killed`.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("a", &journal))
        .child(member("b", &journal))
        .spawn();
    let [a, b] = children(&supervisor, ["a", "b"]).await?;
    supervisor.kill();
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(a.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(b.stopped()).await, ExitReason::Killed);
    Ok(())
}

#[actium::test]
async fn a_brutal_kill_child_is_killed_without_running_on_stop() -> actium::Result<()> {
    // OTP's `brutal_kill`: `exit(Child, kill)` at once, so the child ends
    // with `killed` and its `terminate` never runs.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("gentle", &journal))
        .child(member("brutal", &journal).shutdown(Duration::ZERO))
        .spawn();
    let [gentle, brutal] = children(&supervisor, ["gentle", "brutal"]).await?;
    clear(&journal);
    supervisor.stop();
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Stopped);
    assert_eq!(bounded(brutal.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(gentle.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop gentle"]);
    Ok(())
}

/// A child with a parallel method, which can be waiting when another of
/// its methods crashes the incarnation.
#[derive(Default)]
struct Juggler {
    jobs: u32,
}

#[actor]
impl Juggler {
    #[ask(parallel)]
    async fn wait(this: Reentrant<Self>, entered: Event, release: Event) {
        entered.fire();
        release.wait().await;
        drop(this);
    }

    #[tell]
    fn crash(&mut self) {
        panic!("juggler crashed");
    }

    #[ask]
    fn work(&mut self) -> u32 {
        self.jobs += 1;
        self.jobs
    }
}

#[actium::test]
async fn a_caller_waiting_in_a_crashed_incarnation_gets_actor_stopped() -> actium::Result<()> {
    // The crash ends the process the caller was waiting on: the call fails
    // (Erlang's caller gets an exit, here `ActorStopped`) and does not
    // hang or reach the next incarnation.
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("juggler", Juggler::default))
        .spawn();
    let juggler = supervisor.children().await?.get::<Juggler>("juggler")?;
    let (entered, release) = (Event::new(), Event::new());
    let waiting = tokio::spawn(juggler.wait(entered.clone(), release.clone()));
    bounded(entered.wait()).await;
    juggler.crash()?;
    let answer = bounded(waiting).await.expect("the call's task");
    assert!(
        matches!(answer, Err(Error::ActorStopped { .. })),
        "{answer:?}"
    );
    assert_eq!(bounded(juggler.work()).await?, 1, "a fresh incarnation");
    release.fire();
    Ok(())
}
