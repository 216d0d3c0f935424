//! Links, monitors and exit reasons, with Erlang's semantics: an abnormal
//! exit kills linked actors unless they trap exits; a normal exit reaches
//! only trapping actors; a monitor delivers one `Down` whatever the reason.

mod support;

use std::sync::Arc;

use actium::prelude::*;
use actium::transport::{Peer, RemoteSignal};
use actium::{ActorLabel, Monitor, NodeId};
use support::Event;

/// Records every signal it receives.
#[derive(Default)]
struct Watcher {
    log: Vec<String>,
}

#[actor]
impl Watcher {
    #[ask]
    fn trap(&mut self, ctx: &mut Context<Self>, on: bool) {
        ctx.trap_exit(on);
    }

    #[ask]
    fn link_to(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>) {
        ctx.link(&other);
    }

    #[ask]
    fn unlink_from(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>) {
        ctx.unlink(&other);
    }

    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>) -> Monitor {
        ctx.monitor(&other)
    }

    #[ask]
    fn link_to_soft(&mut self, ctx: &mut Context<Self>, other: ActorRef<Soft>) {
        ctx.link(&other);
    }

    #[ask]
    fn watch_soft(&mut self, ctx: &mut Context<Self>, other: ActorRef<Soft>) -> Monitor {
        ctx.monitor(&other)
    }

    #[ask]
    fn send_exit(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>, reason: ExitReason) {
        ctx.exit(&other, reason);
    }

    #[ask]
    fn send_exit_to_watcher(
        &mut self,
        ctx: &mut Context<Self>,
        other: ActorRef<Watcher>,
        reason: ExitReason,
    ) {
        ctx.exit(&other, reason);
    }

    #[ask]
    fn spawn_worker(&mut self, ctx: &mut Context<Self>) -> Result<ActorRef<Worker>, Error> {
        ctx.spawn_link(Worker)
    }

    /// A plain method that waits: a kill must interrupt it.
    #[ask]
    async fn wait(&self, release: Event) {
        release.wait().await;
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        self.log
            .push(format!("exit {} {}", exit.actor, exit.reason));
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.log
            .push(format!("down {} {}", down.actor, down.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }
}

struct Worker;

#[actor(on_panic = "stop")]
impl Worker {
    #[tell]
    fn crash(&mut self) {
        panic!("worker crashed");
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
}

/// An actor with no panic policy of its own.
struct Soft;

#[actor]
impl Soft {
    #[tell]
    fn crash(&mut self) {
        panic!("soft crashed");
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

async fn linked_pair() -> actium::Result<(ActorRef<Watcher>, ActorRef<Worker>)> {
    let watcher = Watcher::default().spawn();
    let worker = Worker.spawn();
    watcher.link_to(worker.clone()).await?;
    Ok((watcher, worker))
}

#[actium::test]
async fn an_abnormal_exit_kills_a_linked_actor_with_the_same_reason() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    worker.crash()?;
    let reason = worker.stopped().await;
    assert!(matches!(&reason, ExitReason::Panicked(m) if m.contains("worker crashed")));
    assert_eq!(watcher.stopped().await, reason);
    Ok(())
}

#[actium::test]
async fn links_are_symmetric() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    watcher.kill();
    assert_eq!(watcher.stopped().await, ExitReason::Killed);
    assert_eq!(worker.stopped().await, ExitReason::Killed);
    Ok(())
}

#[actium::test]
async fn a_normal_exit_does_not_propagate() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    worker.finish()?;
    assert_eq!(worker.stopped().await, ExitReason::Normal);
    // Once the worker has exited, any signal it sent is already queued.
    assert!(watcher.log().await?.is_empty());
    assert!(watcher.is_alive());

    let (watcher, worker) = linked_pair().await?;
    worker.stop();
    assert_eq!(worker.stopped().await, ExitReason::Stopped);
    assert!(watcher.log().await?.is_empty());
    Ok(())
}

#[actium::test]
async fn a_trapping_actor_receives_exits_as_calls_and_survives() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    watcher.trap(true).await?;
    worker.fail("disk full".into())?;
    worker.stopped().await;
    let log = watcher.log().await?;
    assert_eq!(log, [format!("exit {worker} error: disk full")]);

    // Normal exits reach trapping actors too.
    let other = Worker.spawn();
    watcher.link_to(other.clone()).await?;
    other.finish()?;
    other.stopped().await;
    assert_eq!(watcher.log().await?[1], format!("exit {other} normal"));
    assert!(watcher.is_alive());
    Ok(())
}

#[actium::test]
async fn an_actor_spawned_trapping_exits_survives_a_linked_failure() -> actium::Result<()> {
    // Trapping from its first moment, without a `trap` call.
    let watcher = Watcher::default().spawner().trap_exits().spawn();
    let worker = Worker.spawn();
    watcher.link_to(worker.clone()).await?;
    worker.fail("disk full".into())?;
    worker.stopped().await;
    assert_eq!(
        watcher.log().await?,
        [format!("exit {worker} error: disk full")]
    );
    assert!(watcher.is_alive());
    // Turned off again, the next linked failure kills it, as Erlang's flag.
    watcher.trap(false).await?;
    let other = Worker.spawn();
    watcher.link_to(other.clone()).await?;
    other.fail("again".into())?;
    assert!(matches!(watcher.stopped().await, ExitReason::Error(_)));
    Ok(())
}

#[actium::test]
async fn unlinking_stops_propagation() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    watcher.unlink_from(worker.clone()).await?;
    worker.crash()?;
    worker.stopped().await;
    assert!(watcher.log().await?.is_empty());
    assert!(watcher.is_alive());
    Ok(())
}

#[actium::test]
async fn an_exit_propagates_along_a_chain_of_links() -> actium::Result<()> {
    // left — middle — right: the middle watcher is linked to both workers.
    let middle = Watcher::default().spawn();
    let (left, right) = (Worker.spawn(), Worker.spawn());
    middle.link_to(left.clone()).await?;
    middle.link_to(right.clone()).await?;
    right.crash()?;
    let reason = right.stopped().await;
    assert_eq!(middle.stopped().await, reason);
    assert_eq!(left.stopped().await, reason);
    Ok(())
}

#[actium::test]
async fn spawn_link_ties_parent_and_child() -> actium::Result<()> {
    let parent = Watcher::default().spawn();
    let child = parent.spawn_worker().await??;
    child.crash()?;
    let reason = child.stopped().await;
    assert_eq!(parent.stopped().await, reason);

    let parent = Watcher::default().spawn();
    parent.trap(true).await?;
    let child = parent.spawn_worker().await??;
    child.crash()?;
    child.stopped().await;
    assert!(parent.log().await?[0].starts_with(&format!("exit {child} panicked")));
    Ok(())
}

#[actium::test]
async fn linking_to_an_exited_actor_delivers_noproc_at_once() -> actium::Result<()> {
    let worker = Worker.spawn();
    worker.finish()?;
    assert_eq!(worker.stopped().await, ExitReason::Normal);
    // Erlang: the actor no longer exists, so the link fails with `noproc`
    // — whatever its reason was, even a normal one.
    let watcher = Watcher::default().spawn();
    watcher.trap(true).await?;
    watcher.link_to(worker.clone()).await?;
    assert_eq!(watcher.log().await?, [format!("exit {worker} noproc")]);

    // `noproc` is abnormal: an actor that does not trap exits dies of it.
    let untrapped = Watcher::default().spawn();
    // The link call's own answer races the kill it triggers.
    let _ = untrapped.link_to(worker.clone()).await;
    assert_eq!(untrapped.stopped().await, ExitReason::NoProc);
    Ok(())
}

#[actium::test]
async fn a_kill_interrupts_a_method_waiting_at_an_await() -> actium::Result<()> {
    let (watcher, worker) = linked_pair().await?;
    let release = Event::new();
    let waiting = watcher.wait(release.clone());
    worker.crash()?;
    // The watcher dies while inside `wait`, which never completes.
    assert!(matches!(watcher.stopped().await, ExitReason::Panicked(_)));
    assert!(matches!(waiting.await, Err(Error::ActorStopped { .. })));
    release.fire();
    Ok(())
}

#[actium::test]
async fn a_monitor_delivers_one_down_for_any_exit() -> actium::Result<()> {
    let watcher = Watcher::default().spawn();
    let worker = Worker.spawn();
    let monitor = watcher.watch(worker.clone()).await?;
    worker.finish()?;
    worker.stopped().await;
    assert_eq!(watcher.log().await?, [format!("down {worker} normal")]);
    // The watcher is unaffected, and the monitor has fired.
    assert!(watcher.is_alive());
    assert!(!monitor.cancel());

    let crashing = Worker.spawn();
    watcher.watch(crashing.clone()).await?;
    crashing.crash()?;
    crashing.stopped().await;
    assert!(watcher.log().await?[1].starts_with(&format!("down {crashing} panicked")));
    Ok(())
}

#[actium::test]
async fn monitoring_an_exited_actor_delivers_noproc_at_once() -> actium::Result<()> {
    let worker = Worker.spawn();
    worker.kill();
    worker.stopped().await;
    let watcher = Watcher::default().spawn();
    watcher.watch(worker.clone()).await?;
    // Erlang: a monitor of a process that no longer exists fires at once
    // with `noproc`.
    assert_eq!(watcher.log().await?, [format!("down {worker} noproc")]);
    Ok(())
}

#[actium::test]
async fn a_cancelled_monitor_delivers_nothing() -> actium::Result<()> {
    let watcher = Watcher::default().spawn();
    let worker = Worker.spawn();
    let monitor = watcher.watch(worker.clone()).await?;
    assert!(monitor.cancel());
    worker.crash()?;
    worker.stopped().await;
    assert!(watcher.log().await?.is_empty());
    Ok(())
}

#[actium::test]
async fn exit_reasons_name_what_happened() -> actium::Result<()> {
    let watcher = Watcher::default().spawn();
    watcher.trap(true).await?;
    let workers: Vec<ActorRef<Worker>> = (0..5).map(|_| Worker.spawn()).collect();
    for worker in &workers {
        watcher.link_to(worker.clone()).await?;
    }
    workers[0].finish()?;
    workers[1].stop();
    workers[2].crash()?;
    workers[3].fail("bad input".into())?;
    workers[4].kill();
    let mut reasons = Vec::new();
    for worker in &workers {
        reasons.push(worker.stopped().await);
    }
    assert_eq!(reasons[0], ExitReason::Normal);
    assert_eq!(reasons[1], ExitReason::Stopped);
    assert!(matches!(&reasons[2], ExitReason::Panicked(m) if m.contains("worker crashed")));
    assert_eq!(reasons[3], ExitReason::Error("bad input".into()));
    assert_eq!(reasons[4], ExitReason::Killed);
    assert_eq!(
        reasons
            .iter()
            .map(ExitReason::is_abnormal)
            .collect::<Vec<_>>(),
        [false, false, true, true, true]
    );
    assert_eq!(watcher.log().await?.len(), 5);
    Ok(())
}

#[actium::test]
async fn exit_signals_follow_erlangs_exit_2() -> actium::Result<()> {
    let sender = Watcher::default().spawn();
    // A normal exit signal is ignored by a non-trapping actor.
    let worker = Worker.spawn();
    sender.send_exit(worker.clone(), ExitReason::Normal).await?;
    assert_eq!(worker.ping().await?, 1);
    // An abnormal one kills it with that reason.
    sender
        .send_exit(worker.clone(), ExitReason::Error("go away".into()))
        .await?;
    assert_eq!(worker.stopped().await, ExitReason::Error("go away".into()));
    // A trapping actor receives it instead, even when abnormal...
    let trapping = Watcher::default().spawn();
    trapping.trap(true).await?;
    sender
        .send_exit_to_watcher(trapping.clone(), ExitReason::Error("hello".into()))
        .await?;
    assert_eq!(
        trapping.log().await?,
        [format!("exit {sender} error: hello")]
    );
    // ...but `Killed` cannot be trapped.
    sender
        .send_exit_to_watcher(trapping.clone(), ExitReason::Killed)
        .await?;
    assert_eq!(trapping.stopped().await, ExitReason::Killed);
    Ok(())
}

#[actium::test]
async fn a_linked_actor_without_a_panic_policy_dies_of_a_panic() -> actium::Result<()> {
    // Nobody linked or watching: a panic is reported and the actor resumes.
    let soft = Soft.spawn();
    soft.crash()?;
    assert_eq!(soft.ping().await?, 1);
    // Linked: the panic ends it, as a crash ends an Erlang process, and the
    // link carries the reason.
    let watcher = Watcher::default().spawn();
    watcher.trap(true).await?;
    watcher.link_to_soft(soft.clone()).await?;
    soft.crash()?;
    assert!(matches!(soft.stopped().await, ExitReason::Panicked(_)));
    assert!(watcher.log().await?[0].starts_with(&format!("exit {soft} panicked")));
    Ok(())
}

#[actium::test]
async fn a_monitored_actor_without_a_panic_policy_dies_of_a_panic() -> actium::Result<()> {
    let soft = Soft.spawn();
    let watcher = Watcher::default().spawn();
    watcher.watch_soft(soft.clone()).await?;
    soft.crash()?;
    assert!(matches!(soft.stopped().await, ExitReason::Panicked(_)));
    assert!(watcher.log().await?[0].starts_with(&format!("down {soft} panicked")));
    Ok(())
}

/// A node that records the signals sent to it, standing for an actor on
/// another machine.
struct RecordingPeer {
    signals: std::sync::Mutex<Vec<RemoteSignal>>,
}

impl Peer for RecordingPeer {
    fn address(&self) -> &str {
        "tcp://192.0.2.1:4000"
    }

    fn is_connected(&self) -> bool {
        true
    }

    fn call(&self, _call: actium::transport::OutgoingCall<'_>) -> Result<(), Box<Error>> {
        Ok(())
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        self.signals.lock().expect("signals").push(signal);
        Ok(())
    }
}

#[actium::test]
async fn an_exiting_watcher_removes_its_monitors() -> actium::Result<()> {
    let peer = Arc::new(RecordingPeer {
        signals: std::sync::Mutex::new(Vec::new()),
    });
    let remote: ActorRef<Worker> = actium::transport::remote_ref(
        &SystemHandle::current(),
        ActorLabel::new(ActorId::new(NodeId::from_u64(7), 1), "Worker"),
        peer.clone(),
    );
    let watcher = Watcher::default().spawn();
    let monitor = watcher.watch(remote).await?;
    watcher.stop();
    watcher.stopped().await;
    // As in Erlang, a process's monitors die with it: the watched actor's
    // node is told, instead of holding the dead watcher for ever.
    let signals = peer.signals.lock().expect("signals").clone();
    let id = monitor.id().to_string();
    assert!(
        matches!(&signals[..], [RemoteSignal::Monitor { monitor: m, .. }, RemoteSignal::Demonitor { monitor: d, .. }]
            if format!("monitor#{m}") == id && format!("monitor#{d}") == id),
        "{signals:?}"
    );
    Ok(())
}
