//! Links and monitors across nodes, with Erlang's semantics, and what
//! happens when a node goes away: links and monitors fire with
//! `noconnection`, waiting calls fail with `NodeDown`, later calls fail
//! fast.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::{Error, Monitor};
use support::MODES;
use support::remote::{Cluster, Relay};
use tokio::sync::watch;

/// How long a test waits for an event before it fails: far longer than
/// any the nodes keep to (the 1.5 s heartbeat timeout).
const LIMIT: Duration = Duration::from_secs(15);

/// Records signals; lives on node 1, links to and monitors a worker on
/// node 0.
#[derive(Default)]
struct Watcher {
    /// What it saw, published so that a test can wait for an entry.
    log: watch::Sender<Vec<String>>,
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
    fn link_to_any(&mut self, ctx: &mut Context<Self>, other: AnyRef) {
        ctx.link(&other);
    }

    #[ask]
    fn watch_any(&mut self, ctx: &mut Context<Self>, other: AnyRef) -> Monitor {
        ctx.monitor(&other)
    }

    #[ask]
    fn send_exit(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>, reason: ExitReason) {
        ctx.exit(&other, reason);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        let entry = format!("exit {}", exit.reason);
        self.log.send_modify(|log| log.push(entry));
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        let entry = format!("down {} {}", down.actor.type_name(), down.reason);
        self.log.send_modify(|log| log.push(entry));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    #[ask]
    fn subscribe(&self) -> watch::Receiver<Vec<String>> {
        self.log.subscribe()
    }
}

struct Worker;

#[actor(remote, on_panic = "stop")]
impl Worker {
    #[tell]
    fn crash(&mut self) {
        panic!("worker crashed");
    }

    #[tell]
    fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }

    /// Hands a reference of any type back: it crosses twice.
    #[ask]
    fn same(&self, other: AnyRef) -> AnyRef {
        other
    }

    #[ask]
    async fn hang(&self) -> u8 {
        actium::sleep(Duration::from_secs(30)).await;
        0
    }
}

/// A worker on node 0, its reference on node 1.
fn remote_worker(cluster: &Cluster) -> ActorRef<Worker> {
    let url = cluster.node(0).url("worker");
    cluster.run(0, async {
        cluster.node(0).register("worker", &Worker.spawn()).unwrap();
    });
    cluster
        .run(1, cluster.node(1).lookup::<Worker>(&url))
        .unwrap()
}

/// `watcher`'s log once it has `n` entries, or as it is after [`LIMIT`].
async fn log_of(watcher: &ActorRef<Watcher>, n: usize) -> Vec<String> {
    let mut log = watcher.subscribe().await.unwrap();
    let _ = tokio::time::timeout(LIMIT, log.wait_for(|log| log.len() >= n)).await;
    log.borrow().clone()
}

#[test]
fn a_remote_abnormal_exit_kills_a_linked_local_actor() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let watcher = Watcher::default().spawn();
            watcher.link_to(worker.clone()).await.unwrap();
            let stopped = worker.stopped();
            worker.crash().unwrap();
            let reason = stopped.await;
            assert!(matches!(&reason, ExitReason::Panicked(m) if m.contains("worker crashed")));
            assert_eq!(watcher.stopped().await, reason);
        });
    }
}

#[test]
fn an_any_ref_links_to_and_monitors_a_remote_actor() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let any = AnyRef::from(&worker);
            assert!(!any.is_local());
            assert_eq!(any.node_address(), worker.node_address());
            assert_eq!(any, worker);
            let typed = any.downcast::<Worker>().expect("a Worker");
            assert_eq!(typed.ping().await.unwrap(), 1);
            assert!(any.downcast::<Watcher>().is_none());

            let trapping = Watcher::default().spawn();
            trapping.trap(true).await.unwrap();
            trapping.link_to_any(any.clone()).await.unwrap();
            trapping.watch_any(any.clone()).await.unwrap();
            let stopped = any.stopped();
            worker.crash().unwrap();
            let reason = stopped.await;
            assert!(matches!(&reason, ExitReason::Panicked(m) if m.contains("worker crashed")));
            let mut log = log_of(&trapping, 2).await;
            log.sort();
            assert_eq!(
                log,
                [format!("down Worker {reason}"), format!("exit {reason}"),]
            );
        });
    }
}

#[test]
fn any_refs_cross_nodes_as_arguments_and_results() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            // A reference to an actor here comes back local, and alive.
            let watcher = Watcher::default().spawn();
            let back = worker.same(AnyRef::from(&watcher)).await.unwrap();
            assert!(back.is_local() && back.is_alive());
            assert_eq!(back, watcher);
            assert!(back.downcast::<Watcher>().is_some());

            // The worker's own reference comes back remote, and works.
            let itself = worker.same(AnyRef::from(&worker)).await.unwrap();
            assert!(!itself.is_local());
            assert_eq!(itself, worker);
            watcher.trap(true).await.unwrap();
            watcher.watch_any(itself.clone()).await.unwrap();
            let stopped = itself.stopped();
            worker.crash().unwrap();
            let reason = stopped.await;
            assert!(matches!(&reason, ExitReason::Panicked(m) if m.contains("worker crashed")));
            assert_eq!(log_of(&watcher, 1).await, [format!("down Worker {reason}")]);
        });
    }
}

#[test]
fn an_any_ref_to_an_actor_that_has_exited_delivers_noproc() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let gone = Watcher::default().spawn();
            let any = AnyRef::from(&gone);
            gone.stop();
            gone.stopped().await;
            // Decoded here after its actor exited.
            let back = worker.same(any).await.unwrap();
            assert!(!back.is_alive());
            assert_eq!(back.stopped().await, ExitReason::NoProc);
            let watcher = Watcher::default().spawn();
            watcher.watch_any(back).await.unwrap();
            assert_eq!(log_of(&watcher, 1).await, ["down Watcher noproc"]);
        });
    }
}

#[test]
fn an_any_ref_stops_a_remote_actor() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let any = AnyRef::from(worker);
            let stopped = any.stopped();
            any.stop();
            assert_eq!(stopped.await, ExitReason::Stopped);
        });
    }
}

#[test]
fn a_local_kill_reaches_a_linked_remote_actor() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let watcher = Watcher::default().spawn();
            watcher.link_to(worker.clone()).await.unwrap();
            let stopped = worker.stopped();
            watcher.kill();
            assert_eq!(stopped.await, ExitReason::Killed);
        });
    }
}

#[test]
fn a_remote_normal_exit_does_not_kill_and_a_trapping_actor_sees_exits() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let plain = Watcher::default().spawn();
            let trapping = Watcher::default().spawn();
            trapping.trap(true).await.unwrap();
            plain.link_to(worker.clone()).await.unwrap();
            trapping.link_to(worker.clone()).await.unwrap();
            let stopped = worker.stopped();
            worker.finish().unwrap();
            assert_eq!(stopped.await, ExitReason::Normal);
            assert_eq!(log_of(&trapping, 1).await, ["exit normal"]);
            assert!(plain.log().await.unwrap().is_empty());
            assert!(plain.is_alive());
        });
    }
}

#[test]
fn an_unlinked_remote_exit_is_not_delivered() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let worker = remote_worker(&cluster);
    cluster.run(1, async {
        let watcher = Watcher::default().spawn();
        watcher.link_to(worker.clone()).await.unwrap();
        watcher.unlink_from(worker.clone()).await.unwrap();
        // The unlink goes out before the crash on the same connection.
        worker.crash().unwrap();
        worker.stopped().await;
        assert!(watcher.is_alive());
        assert!(watcher.log().await.unwrap().is_empty());
    });
}

#[test]
fn a_remote_monitor_delivers_one_down_and_can_be_cancelled() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        cluster.run(1, async {
            let watcher = Watcher::default().spawn();
            let cancelled = watcher.watch(worker.clone()).await.unwrap();
            assert!(cancelled.cancel());
            let _kept = watcher.watch(worker.clone()).await.unwrap();
            worker.crash().unwrap();
            worker.stopped().await;
            let log = log_of(&watcher, 1).await;
            assert_eq!(log.len(), 1, "{log:?}");
            assert!(log[0].starts_with("down Worker panicked:"), "{log:?}");
            assert!(log[0].contains("worker crashed"), "{log:?}");
        });
    }
}

#[test]
fn monitoring_a_remote_actor_that_is_gone_gives_noproc() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let worker = remote_worker(&cluster);
    cluster.run(1, async {
        worker.finish().unwrap();
        worker.stopped().await;
        let watcher = Watcher::default().spawn();
        watcher.watch(worker.clone()).await.unwrap();
        assert_eq!(log_of(&watcher, 1).await, ["down Worker noproc"]);
    });
}

#[test]
fn an_exit_signal_reaches_a_remote_actor() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let worker = remote_worker(&cluster);
    cluster.run(1, async {
        let watcher = Watcher::default().spawn();
        let stopped = worker.stopped();
        watcher
            .send_exit(worker.clone(), ExitReason::Error("go away".into()))
            .await
            .unwrap();
        assert_eq!(stopped.await, ExitReason::Error("go away".into()));
    });
}

#[test]
fn a_node_going_down_fires_links_and_monitors_and_fails_calls() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = remote_worker(&cluster);
        let (watcher, pending) = cluster.run(1, async {
            let watcher = Watcher::default().spawn();
            watcher.trap(true).await.unwrap();
            watcher.link_to(worker.clone()).await.unwrap();
            watcher.watch(worker.clone()).await.unwrap();
            assert_eq!(worker.ping().await.unwrap(), 1);
            (watcher, worker.hang())
        });
        let local_worker = cluster
            .system(0)
            .handle()
            .whereis::<Worker>("worker")
            .unwrap();
        // Node 0 leaves the network (its system and actors go on).
        cluster.node(0).shutdown();
        cluster.run(1, async {
            // Its goodbye ends the call, not the heartbeat timeout: that
            // the reason says so is the proof, not how long it took.
            let answer = tokio::time::timeout(LIMIT, pending).await;
            match answer.expect("the goodbye ends the call") {
                Err(Error::NodeDown { reason, .. }) => {
                    assert!(!reason.contains("heartbeat"), "{reason}")
                }
                other => panic!("expected NodeDown, got {other:?}"),
            }
            let mut log = log_of(&watcher, 2).await;
            log.sort();
            assert_eq!(log, ["down Worker noconnection", "exit noconnection"]);
            // Later calls fail fast: at once while the node is down, and
            // after the back-off on the refused connection, never by
            // waiting out the connect timeout.
            let again = tokio::time::timeout(LIMIT, worker.ping()).await;
            match again.expect("a later call ends") {
                Err(Error::NodeDown { reason, .. }) => {
                    assert!(!reason.contains("no connection within"), "{reason}")
                }
                other => panic!("expected NodeDown, got {other:?}"),
            }
        });
        // Linked to a watcher it can no longer reach, the worker got
        // `noconnection` too (Erlang: both sides of a link see it).
        let reason = cluster.run(0, local_worker.stopped());
        assert_eq!(reason, ExitReason::NoConnection);
    }
}

#[test]
fn a_silent_peer_is_declared_down_by_heartbeats() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let relay = Relay::start(cluster.node(0).address().socket());
    cluster.run(0, async {
        cluster.node(0).register("worker", &Worker.spawn()).unwrap();
    });
    cluster.run(1, async {
        let worker = cluster
            .node(1)
            .lookup::<Worker>(&format!("{}/worker", relay.address))
            .await
            .unwrap();
        let watcher = Watcher::default().spawn();
        watcher.watch(worker.clone()).await.unwrap();
        assert_eq!(worker.ping().await.unwrap(), 1);
        let pending = worker.hang();
        let stalled = Instant::now();
        relay.stall();
        let answer = tokio::time::timeout(LIMIT, pending).await;
        let detected = stalled.elapsed();
        let answer = answer.expect("the heartbeat ends the call");
        match answer {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("heartbeat"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        // About 1.8 s (heartbeat timeout plus a tick) on an idle machine;
        // the bound is generous, against load. The figure is measured, in
        // separate processes, by actium-node-tests'
        // `a_hung_node_process_is_declared_down_by_heartbeats`, which
        // prints it (`--nocapture`).
        assert!(detected < Duration::from_secs(10), "{detected:?}");
        assert_eq!(log_of(&watcher, 1).await, ["down Worker noconnection"]);
    });
    // The worker still hangs in `hang`: end it so shutdown is quick.
    let local = cluster.system(0).handle().whereis::<Worker>("worker");
    local.unwrap().kill();
}
