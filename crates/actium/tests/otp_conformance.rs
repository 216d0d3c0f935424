//! Conformance with Erlang/OTP, written from the reference manual rather
//! than from Actium's behaviour: `link/1`, `unlink/1`, `monitor/2`,
//! `demonitor/1`, `exit/2`, `process_flag(trap_exit, true)`, and OTP's
//! `supervisor` (strategies, restart types, restart intensity, shutdown
//! order). Where Actium departs on purpose, the departure is listed in
//! `docs/ARCHITECTURE.md` and the test checks Actium's documented side.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
use actium::{Monitor, MonitorRef};
use support::Event;

/// How long any one awaited event may take before the test fails.
const LIMIT: Duration = Duration::from_secs(10);

/// `future`, or a test failure after [`LIMIT`] instead of a hang.
async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("did not happen within {LIMIT:?}"),
    }
}

/// A process in the Erlang sense: it links, monitors, sends exit signals,
/// traps exits, and logs every signal it receives.
#[derive(Default)]
struct Proc {
    log: Vec<String>,
    downs: Vec<MonitorRef>,
}

#[actor(on_panic = "stop")]
impl Proc {
    #[ask]
    fn trap(&mut self, ctx: &mut Context<Self>, on: bool) {
        ctx.trap_exit(on);
    }

    #[ask]
    fn link(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) {
        ctx.link(&other);
    }

    #[ask]
    fn unlink(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) {
        ctx.unlink(&other);
    }

    #[ask]
    fn monitor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) -> Monitor {
        ctx.monitor(&other)
    }

    #[ask]
    fn link_supervisor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Supervisor>) {
        ctx.link(&other);
    }

    #[ask]
    fn monitor_supervisor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Supervisor>) {
        ctx.monitor(&other);
    }

    #[ask]
    fn link_member(&mut self, ctx: &mut Context<Self>, other: ActorRef<Member>) {
        ctx.link(&other);
    }

    #[ask]
    fn monitor_member(&mut self, ctx: &mut Context<Self>, other: ActorRef<Member>) {
        ctx.monitor(&other);
    }

    #[ask]
    fn exit(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>, reason: ExitReason) {
        ctx.exit(&other, reason);
    }

    #[ask]
    fn exit_member(
        &mut self,
        ctx: &mut Context<Self>,
        other: ActorRef<Member>,
        reason: ExitReason,
    ) {
        ctx.exit(&other, reason);
    }

    /// `exit(self(), Reason)`.
    #[tell]
    fn exit_self(&mut self, ctx: &mut Context<Self>, reason: ExitReason) {
        ctx.exit(&ctx.myself(), reason);
    }

    /// Spawns a supervisor linked to this process (as `start_link` would).
    #[ask]
    fn start_supervisor(
        &mut self,
        ctx: &mut Context<Self>,
        supervisor: Supervisor,
    ) -> Result<ActorRef<Supervisor>, Error> {
        ctx.spawn_link(supervisor)
    }

    #[tell]
    fn crash(&mut self) {
        panic!("proc crashed");
    }

    #[tell]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[tell]
    fn fail(&mut self, ctx: &mut Context<Self>, why: String) {
        ctx.fail(why);
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        self.log
            .push(format!("exit {} {}", exit.actor, exit.reason));
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.downs.push(down.monitor);
        self.log
            .push(format!("down {} {}", down.actor, down.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    #[ask]
    fn downs(&self) -> Vec<MonitorRef> {
        self.downs.clone()
    }
}

fn spawn_proc() -> ActorRef<Proc> {
    Proc::default().spawn()
}

async fn trapping() -> actium::Result<ActorRef<Proc>> {
    let proc = spawn_proc();
    proc.trap(true).await?;
    Ok(proc)
}

/// Waits until `proc`'s log holds `n` lines (signals are delivered
/// asynchronously), then returns it.
async fn log_of(proc: &ActorRef<Proc>, n: usize) -> actium::Result<Vec<String>> {
    bounded(async {
        loop {
            let log = proc.log().await?;
            if log.len() >= n {
                return Ok(log);
            }
            tokio::task::yield_now().await;
        }
    })
    .await
}

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

// ---------------------------------------------------------- supervisors

type Journal = Arc<Mutex<Vec<String>>>;

fn lines(journal: &Journal) -> Vec<String> {
    journal.lock().expect("journal").clone()
}

fn clear(journal: &Journal) {
    journal.lock().expect("journal").clear();
}

/// A supervised child that journals its starts and stops.
struct Member {
    name: &'static str,
    journal: Journal,
    jobs: u32,
}

#[actor]
impl Member {
    #[on_start]
    fn start(&mut self) {
        self.note("start");
    }

    #[on_stop]
    fn stop(&mut self) {
        self.note("stop");
    }

    /// Counts this incarnation's jobs: 1 means a fresh incarnation.
    #[ask]
    fn work(&mut self) -> u32 {
        self.jobs += 1;
        self.jobs
    }

    /// Waits until `release` fires.
    #[ask]
    async fn hold(&self, entered: Event, release: Event) {
        entered.fire();
        release.wait().await;
    }

    #[ask]
    fn trap(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exit(true);
    }

    #[tell]
    fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    #[tell]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    fn note(&self, what: &str) {
        let line = format!("{what} {}", self.name);
        self.journal.lock().expect("journal").push(line);
    }
}

fn member(name: &'static str, journal: &Journal) -> ChildSpec {
    let journal = journal.clone();
    ChildSpec::new(name, move || Member {
        name,
        journal: journal.clone(),
        jobs: 0,
    })
}

async fn child(supervisor: &ActorRef<Supervisor>, name: &str) -> actium::Result<ActorRef<Member>> {
    supervisor.children().await?.get::<Member>(name)
}

async fn names(supervisor: &ActorRef<Supervisor>) -> actium::Result<Vec<String>> {
    Ok(supervisor
        .children()
        .await?
        .iter()
        .map(|c| c.name().to_owned())
        .collect())
}

/// Crashes `member` and waits until its next incarnation answers.
async fn crash_and_recover(member: &ActorRef<Member>) -> actium::Result<()> {
    member.crash()?;
    assert_eq!(bounded(member.work()).await?, 1, "a fresh incarnation");
    Ok(())
}

#[actium::test]
async fn max_restarts_n_allows_n_restarts_and_the_next_ends_the_supervisor() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .intensity(3, Duration::from_secs(60))
        .child(member("a", &journal))
        .child(member("b", &journal))
        .spawn();
    let (a, b) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
    );
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
    let transient = child(&supervisor, "transient").await?;
    let temporary = child(&supervisor, "temporary").await?;
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
    let (a, b, c) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
        child(&supervisor, "c").await?,
    );
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
    let (a, b, d) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
        child(&supervisor, "d").await?,
    );
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
    let (a, temp) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "temp").await?,
    );
    clear(&journal);
    a.crash()?;
    assert_eq!(bounded(a.work()).await?, 1);
    assert_eq!(bounded(temp.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop a", "stop temp", "start a"]);
    assert_eq!(names(&supervisor).await?, ["a"]);
    Ok(())
}

#[actium::test]
async fn a_caller_inside_a_terminated_sibling_gets_actor_stopped() -> actium::Result<()> {
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForAll)
        .child(member("a", &journal))
        // brutal_kill: no waiting for the held call to finish.
        .child(member("b", &journal).shutdown(Duration::ZERO))
        .spawn();
    let (a, b) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
    );
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
    let (a, b) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
    );
    supervisor.kill();
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(a.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(b.stopped()).await, ExitReason::Killed);
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
    let (a, b) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "b").await?,
    );
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
    let a = child(&supervisor, "a").await?;
    let transient = child(&supervisor, "transient").await?;
    let temporary = child(&supervisor, "temporary").await?;
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
    let (a, transient) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "transient").await?,
    );
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
async fn a_brutal_kill_child_is_killed_without_running_on_stop() -> actium::Result<()> {
    // OTP's `brutal_kill`: `exit(Child, kill)` at once, so the child ends
    // with `killed` and its `terminate` never runs.
    let journal = Journal::default();
    let supervisor = Supervisor::builder()
        .child(member("gentle", &journal))
        .child(member("brutal", &journal).shutdown(Duration::ZERO))
        .spawn();
    let (gentle, brutal) = (
        child(&supervisor, "gentle").await?,
        child(&supervisor, "brutal").await?,
    );
    clear(&journal);
    supervisor.stop();
    assert_eq!(bounded(supervisor.stopped()).await, ExitReason::Stopped);
    assert_eq!(bounded(brutal.stopped()).await, ExitReason::Killed);
    assert_eq!(bounded(gentle.stopped()).await, ExitReason::Shutdown);
    assert_eq!(lines(&journal), ["stop gentle"]);
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
    let (a, t) = (
        child(&supervisor, "a").await?,
        child(&supervisor, "t").await?,
    );
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
