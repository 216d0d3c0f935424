//! Conformance with Erlang/OTP's `link/1`, `unlink/1`, `monitor/2`,
//! `demonitor/1`, `exit/2` and `process_flag(trap_exit, true)`.
//!
//! Written from the reference manual rather than from Actium's behaviour.
//! Where Actium departs on purpose, the departure is listed in
//! `docs/ARCHITECTURE.md` and the test checks Actium's documented side.
//! `otp_conformance.rs` has links and monitors; `otp_supervisor_restarts.rs`
//! and `otp_supervisor_termination.rs` OTP's `supervisor`.

#[path = "support/otp.rs"]
mod otp;
mod support;

use actium::prelude::*;
use otp::*;

// ---------------------------------------------------------------- links

#[actium::test]
async fn a_link_is_bidirectional_whichever_side_made_it() -> actium::Result<()> {
    // a links to b; b's crash kills a...
    let (a, b) = (spawn_proc(), spawn_proc());
    a.link(b.clone()).await?;
    b.crash()?;
    let reason = bounded(b.stopped()).await;
    assert!(matches!(&reason, ExitReason::Panicked(m) if m.contains("proc crashed")));
    assert_eq!(bounded(a.stopped()).await, reason);
    // ...and a's crash kills b.
    let (a, b) = (spawn_proc(), spawn_proc());
    a.link(b.clone()).await?;
    a.fail("boom".into())?;
    assert_eq!(bounded(b.stopped()).await, ExitReason::Error("boom".into()));
    Ok(())
}

#[actium::test]
async fn linking_twice_makes_one_link_and_one_unlink_removes_it() -> actium::Result<()> {
    let (a, b) = (spawn_proc(), spawn_proc());
    a.link(b.clone()).await?;
    a.link(b.clone()).await?;
    a.unlink(b.clone()).await?;
    // Removed in both directions: neither's death reaches the other.
    b.crash()?;
    bounded(b.stopped()).await;
    assert_eq!(a.ping().await?, 1);
    assert!(a.log().await?.is_empty());

    let (a, b) = (trapping().await?, spawn_proc());
    b.link(a.clone()).await?;
    b.link(a.clone()).await?;
    a.unlink(b.clone()).await?;
    b.crash()?;
    bounded(b.stopped()).await;
    assert!(a.log().await?.is_empty(), "no exit after the one unlink");
    Ok(())
}

#[actium::test]
async fn linking_twice_delivers_one_exit() -> actium::Result<()> {
    let (a, b) = (trapping().await?, spawn_proc());
    a.link(b.clone()).await?;
    a.link(b.clone()).await?;
    b.link(a.clone()).await?;
    b.fail("once".into())?;
    bounded(b.stopped()).await;
    // A later signal from another linked actor proves nothing more is queued
    // from b (signals from one sender arrive in order, and b has exited).
    let c = spawn_proc();
    a.link(c.clone()).await?;
    c.fail("marker".into())?;
    let log = log_of(&a, 2).await?;
    assert_eq!(
        log,
        [
            format!("exit {b} error: once"),
            format!("exit {c} error: marker")
        ]
    );
    Ok(())
}

#[actium::test]
async fn linking_to_an_exited_actor_gives_the_linker_noproc() -> actium::Result<()> {
    let dead = spawn_proc();
    dead.fail("gone".into())?;
    bounded(dead.stopped()).await;
    // A trapping linker receives `{'EXIT', Pid, noproc}`, whatever the
    // dead actor's own reason was...
    let linker = trapping().await?;
    linker.link(dead.clone()).await?;
    assert_eq!(log_of(&linker, 1).await?, [format!("exit {dead} noproc")]);
    assert!(linker.is_alive());
    // ...and a non-trapping one dies of it.
    let plain = spawn_proc();
    let _ = plain.link(dead.clone()).await;
    assert_eq!(bounded(plain.stopped()).await, ExitReason::NoProc);
    Ok(())
}

#[actium::test]
async fn a_normal_exit_spares_a_linked_actor_but_reaches_a_trapping_one() -> actium::Result<()> {
    let (plain, trap, exiting) = (spawn_proc(), trapping().await?, spawn_proc());
    plain.link(exiting.clone()).await?;
    trap.link(exiting.clone()).await?;
    exiting.finish()?;
    assert_eq!(bounded(exiting.stopped()).await, ExitReason::Normal);
    assert_eq!(log_of(&trap, 1).await?, [format!("exit {exiting} normal")]);
    assert_eq!(plain.ping().await?, 1);
    assert!(plain.log().await?.is_empty());
    Ok(())
}

#[actium::test]
async fn a_trapping_actor_survives_abnormal_exits_and_can_stop_trapping() -> actium::Result<()> {
    let trap = trapping().await?;
    let (a, b) = (spawn_proc(), spawn_proc());
    trap.link(a.clone()).await?;
    trap.link(b.clone()).await?;
    a.crash()?;
    bounded(a.stopped()).await;
    let log = log_of(&trap, 1).await?;
    assert!(log[0].starts_with(&format!("exit {a} panicked")), "{log:?}");
    assert_eq!(trap.ping().await?, 1);
    // `process_flag(trap_exit, false)`: the next abnormal exit kills it.
    trap.trap(false).await?;
    b.fail("second".into())?;
    assert_eq!(
        bounded(trap.stopped()).await,
        ExitReason::Error("second".into())
    );
    Ok(())
}

#[actium::test]
async fn an_exit_signal_with_an_abnormal_reason_kills_and_propagates_it() -> actium::Result<()> {
    // sender --exit/2--> target, which is linked to an observer.
    let (sender, target, observer) = (spawn_proc(), spawn_proc(), trapping().await?);
    observer.link(target.clone()).await?;
    sender
        .exit(target.clone(), ExitReason::Error("go".into()))
        .await?;
    assert_eq!(
        bounded(target.stopped()).await,
        ExitReason::Error("go".into())
    );
    assert_eq!(
        log_of(&observer, 1).await?,
        [format!("exit {target} error: go")]
    );
    // exit/2 needs no link: the sender is untouched.
    assert_eq!(sender.ping().await?, 1);
    Ok(())
}

#[actium::test]
async fn an_exit_signal_with_reason_normal_is_ignored_unless_trapped() -> actium::Result<()> {
    let (sender, target, trap) = (spawn_proc(), spawn_proc(), trapping().await?);
    sender.exit(target.clone(), ExitReason::Normal).await?;
    sender.exit(trap.clone(), ExitReason::Normal).await?;
    assert_eq!(log_of(&trap, 1).await?, [format!("exit {sender} normal")]);
    assert_eq!(target.ping().await?, 1);
    assert!(target.is_alive() && trap.is_alive());
    Ok(())
}

#[actium::test]
async fn kill_is_untrappable_and_linked_actors_see_killed() -> actium::Result<()> {
    // `exit(Pid, kill)` ends even a trapping actor, with reason `killed`;
    // its links receive `killed`, which is an ordinary, trappable reason.
    let (sender, victim, observer, plain) = (
        spawn_proc(),
        trapping().await?,
        trapping().await?,
        spawn_proc(),
    );
    observer.link(victim.clone()).await?;
    plain.link(victim.clone()).await?;
    sender.exit(victim.clone(), ExitReason::Killed).await?;
    assert_eq!(bounded(victim.stopped()).await, ExitReason::Killed);
    assert_eq!(
        log_of(&observer, 1).await?,
        [format!("exit {victim} killed")]
    );
    assert!(observer.is_alive());
    assert_eq!(bounded(plain.stopped()).await, ExitReason::Killed);
    Ok(())
}

#[actium::test]
async fn exit_self_normal_ends_the_caller() -> actium::Result<()> {
    // erlang:exit/2: "If Reason is normal, Pid does not exit, unless Pid is
    // the calling process, in which case it exits with reason normal".
    let (me, plain, trap) = (spawn_proc(), spawn_proc(), trapping().await?);
    plain.link(me.clone()).await?;
    trap.link(me.clone()).await?;
    me.exit_self(ExitReason::Normal)?;
    assert_eq!(bounded(me.stopped()).await, ExitReason::Normal);
    assert_eq!(log_of(&trap, 1).await?, [format!("exit {me} normal")]);
    assert_eq!(plain.ping().await?, 1, "a normal exit kills no link");

    // A trapping process receives its own signal as a message instead.
    let me = trapping().await?;
    me.exit_self(ExitReason::Normal)?;
    assert_eq!(log_of(&me, 1).await?, [format!("exit {me} normal")]);
    assert!(me.is_alive());
    Ok(())
}

// ------------------------------------------------------------- monitors

#[actium::test]
async fn monitoring_an_exited_actor_fires_at_once_with_noproc() -> actium::Result<()> {
    let dead = spawn_proc();
    dead.crash()?;
    bounded(dead.stopped()).await;
    let watcher = spawn_proc();
    let monitor = watcher.monitor(dead.clone()).await?;
    assert_eq!(log_of(&watcher, 1).await?, [format!("down {dead} noproc")]);
    assert_eq!(watcher.downs().await?, [monitor.id()]);
    // It has fired: there is nothing left to cancel.
    assert!(!monitor.cancel());
    Ok(())
}

#[actium::test]
async fn each_monitor_fires_once_and_never_kills_the_watcher() -> actium::Result<()> {
    let (watcher, target) = (spawn_proc(), spawn_proc());
    let first = watcher.monitor(target.clone()).await?;
    let second = watcher.monitor(target.clone()).await?;
    assert_ne!(first.id(), second.id());
    target.fail("bad".into())?;
    bounded(target.stopped()).await;
    let log = log_of(&watcher, 2).await?;
    assert_eq!(log, vec![format!("down {target} error: bad"); 2]);
    let mut downs = watcher.downs().await?;
    downs.sort_by_key(|m| m.to_string());
    let mut expected = vec![first.id(), second.id()];
    expected.sort_by_key(|m| m.to_string());
    assert_eq!(downs, expected);
    // Not trapping, yet alive: a monitor is not a link.
    assert_eq!(watcher.ping().await?, 1);
    Ok(())
}

#[actium::test]
async fn a_monitor_is_one_way() -> actium::Result<()> {
    let (watcher, target) = (spawn_proc(), spawn_proc());
    watcher.monitor(target.clone()).await?;
    watcher.crash()?;
    bounded(watcher.stopped()).await;
    assert_eq!(target.ping().await?, 1);
    assert!(target.log().await?.is_empty());
    Ok(())
}

#[actium::test]
async fn demonitor_before_the_exit_delivers_nothing() -> actium::Result<()> {
    let (watcher, target) = (spawn_proc(), spawn_proc());
    let monitor = watcher.monitor(target.clone()).await?;
    assert!(monitor.cancel(), "active: demonitor(Ref, [info]) is true");
    assert!(!monitor.cancel(), "the second demonitor finds nothing");
    target.crash()?;
    bounded(target.stopped()).await;
    // A later monitor's Down proves nothing of the first is still coming.
    let marker = spawn_proc();
    watcher.monitor(marker.clone()).await?;
    marker.finish()?;
    assert_eq!(
        log_of(&watcher, 1).await?,
        [format!("down {marker} normal")]
    );
    Ok(())
}

#[actium::test]
async fn demonitor_after_the_down_was_sent_reports_it_fired() -> actium::Result<()> {
    let (watcher, target) = (spawn_proc(), spawn_proc());
    let monitor = watcher.monitor(target.clone()).await?;
    target.finish()?;
    bounded(target.stopped()).await;
    // demonitor/2 with `info`: false, the monitor had fired; without
    // `flush` the Down already sent is still delivered, exactly once.
    assert!(!monitor.cancel());
    assert_eq!(
        log_of(&watcher, 1).await?,
        [format!("down {target} normal")]
    );
    assert_eq!(watcher.downs().await?, [monitor.id()]);
    Ok(())
}
