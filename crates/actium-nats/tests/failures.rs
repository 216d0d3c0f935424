//! What happens when a node goes away, and when strangers publish onto
//! Actium's subjects, with a real `nats-server`: calls waiting on a node
//! that left fail with `NodeDown`, links and monitors fire with
//! `noconnection`; garbage, forged and oversize messages are dropped and
//! the node keeps serving.

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::{Error, ExitReason};
use support::{Cluster, LIMIT};
use tokio::sync::watch;

/// Records signals; lives on node 1, links to and monitors a worker on
/// node 0.
#[derive(Default)]
struct Watcher {
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
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>) -> Monitor {
        ctx.monitor(&other)
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
    fn subscribe(&self) -> watch::Receiver<Vec<String>> {
        self.log.subscribe()
    }
}

struct Worker;

#[actor(remote)]
impl Worker {
    #[ask]
    fn ping(&self) -> u8 {
        1
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
    let mut log = log.borrow().clone();
    log.sort();
    log
}

/// Node 1 watches and links to node 0's worker and waits on a call to it;
/// `leave` makes node 0 go away; the call fails with `NodeDown` and a
/// reason `check` accepts, and the link and the monitor fire.
fn node_leaves(leave: impl FnOnce(&Cluster), check: impl FnOnce(&str)) {
    let cluster = Cluster::start(2);
    let worker = remote_worker(&cluster);
    let (watcher, pending) = cluster.run(1, async {
        let watcher = Watcher::default().spawn();
        watcher.trap(true).await.unwrap();
        watcher.link_to(worker.clone()).await.unwrap();
        watcher.watch(worker.clone()).await.unwrap();
        assert_eq!(worker.ping().await.unwrap(), 1);
        (watcher, worker.hang())
    });
    leave(&cluster);
    cluster.run(1, async {
        let answer = tokio::time::timeout(LIMIT, pending).await;
        match answer.expect("the node's leaving ends the call") {
            Err(Error::NodeDown { reason, .. }) => check(&reason),
            other => panic!("expected NodeDown, got {other:?}"),
        }
        let log = log_of(&watcher, 2).await;
        assert_eq!(log, ["down Worker noconnection", "exit noconnection"]);
        // Later calls fail at once while the node is down.
        match worker.ping().await {
            Err(Error::NodeDown { .. }) => {}
            other => panic!("expected NodeDown, got {other:?}"),
        }
    });
}

#[test]
fn a_node_that_leaves_fails_calls_and_fires_links_and_monitors() {
    node_leaves(
        |cluster| cluster.node(0).shutdown(),
        // Its goodbye ended the call, not the heartbeat timeout: the
        // reason says which.
        |reason| assert!(reason.contains("closed by the node"), "{reason}"),
    );
}

#[test]
fn a_node_that_falls_silent_is_declared_down_by_heartbeats() {
    node_leaves(
        |cluster| cluster.node(0).vanish(),
        |reason| assert!(reason.contains("no heartbeat"), "{reason}"),
    );
}

#[test]
fn a_node_that_leaves_fires_its_own_links_to_other_nodes() {
    let cluster = Cluster::start(2);
    let worker = remote_worker(&cluster);
    let watcher = cluster.run(1, async {
        let watcher = Watcher::default().spawn();
        watcher.link_to(worker.clone()).await.unwrap();
        // A call after the link's signal on the same subject: once it is
        // answered, node 0 has the link.
        assert_eq!(worker.ping().await.unwrap(), 1);
        watcher
    });
    let local_worker = cluster
        .system(0)
        .handle()
        .whereis::<Worker>("worker")
        .unwrap();
    cluster.node(0).shutdown();
    // Linked to a watcher it can no longer reach, the worker gets
    // `noconnection` (Erlang: both sides of a link see it).
    let reason = cluster.run(0, async {
        tokio::time::timeout(LIMIT, local_worker.stopped()).await
    });
    assert_eq!(reason.expect("the worker stops"), ExitReason::NoConnection);
    let reason = cluster.run(1, async {
        tokio::time::timeout(LIMIT, watcher.stopped()).await
    });
    assert_eq!(reason.expect("the watcher stops"), ExitReason::NoConnection);
}

#[test]
fn a_node_declared_down_by_another_drops_its_side_of_their_links_too() {
    // Node 0 beats every 3 s; node 1 waits 400 ms for a heartbeat, so it
    // declares node 0 down while node 0 runs and still hears node 1.
    let cluster = Cluster::with_heartbeats(&[
        Some((Duration::from_secs(3), Duration::from_secs(10))),
        Some((Duration::from_millis(100), Duration::from_millis(400))),
    ]);
    let url = cluster.node(1).url("worker");
    cluster.run(1, async {
        cluster.node(1).register("worker", &Worker.spawn()).unwrap();
    });
    let log = cluster.run(0, async {
        let worker = cluster.node(0).lookup::<Worker>(&url).await.unwrap();
        let watcher = Watcher::default().spawn();
        watcher.trap(true).await.unwrap();
        watcher.link_to(worker.clone()).await.unwrap();
        watcher.watch(worker.clone()).await.unwrap();
        assert_eq!(worker.ping().await.unwrap(), 1);
        // Node 1 drops its side when node 0 falls silent; node 0 hears
        // of it and drops its own: the link and the monitor fire here.
        log_of(&watcher, 2).await
    });
    assert_eq!(log, ["down Worker noconnection", "exit noconnection"]);
}

/// The largest frame of the nodes in the test of hostile messages.
const MAX_FRAME: usize = 64 * 1024;

/// A publisher that is not a node: a raw NATS client on the same server.
async fn stranger(cluster: &Cluster) -> async_nats::Client {
    async_nats::connect(cluster.server.url()).await.unwrap()
}

/// The subject frames for node `i` go to.
fn subject_of(cluster: &Cluster, i: usize) -> String {
    format!("actium.test.node.{}", cluster.node(i).id())
}

/// A message with a valid header claiming to come from node `from`, with
/// one frame outside any stream.
fn claiming(from: u64, frame: &[u8]) -> Vec<u8> {
    let mut message = vec![0xAC, 3];
    message.extend_from_slice(&from.to_be_bytes());
    message.push(0);
    message.extend_from_slice(frame);
    message
}

/// A batch of node `from`'s stream (epoch 1, from 1), with `rest` after
/// its flags: length-prefixed frames, or not.
fn batch_claiming(from: u64, rest: &[u8]) -> Vec<u8> {
    let mut message = vec![0xAC, 3];
    message.extend_from_slice(&from.to_be_bytes());
    message.extend_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    message.extend_from_slice(rest);
    message
}

#[test]
fn garbage_forged_and_oversize_messages_are_dropped_and_the_node_keeps_serving() {
    let cluster = Cluster::with_max_frame(2, MAX_FRAME);
    let worker = remote_worker(&cluster);
    let target = subject_of(&cluster, 0);
    let node1 = cluster.node(1).id().as_u64();
    cluster.run(1, async {
        let client = stranger(&cluster).await;
        let mut oversize = claiming(node1, &[0]);
        oversize.resize(2 * MAX_FRAME, 0);
        let messages: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            vec![0xAC],
            // A future version of the protocol, and the one before streams.
            vec![0xAC, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0],
            vec![0xAC, 1, 0, 0, 0, 0, 0, 0, 0, 1, 6],
            // Batches of a made-up node: empty, a length past the end, an
            // unknown frame; an acknowledgement and a probe it never
            // earned; a message of an unknown kind.
            batch_claiming(12345, &[]),
            batch_claiming(12345, &[0, 0, 0, 9, 0]),
            batch_claiming(12345, &[0, 0, 0, 2, 200, 1]),
            {
                let mut ack = claiming(12345, &[]);
                *ack.last_mut().unwrap() = 2;
                ack.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
                ack
            },
            {
                let mut probe = claiming(12346, &[]);
                *probe.last_mut().unwrap() = 3;
                probe.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
                probe
            },
            {
                let mut unknown = claiming(12345, &[]);
                *unknown.last_mut().unwrap() = 77;
                unknown
            },
            // A valid header and a truncated or unknown frame.
            claiming(node1, &[]),
            claiming(node1, &[1, 0xff, 0xff, 0xff]),
            claiming(node1, &[200, 1, 2, 3]),
            // A tell with a declared length far past the message.
            claiming(
                node1,
                &[0, 1, 1, 4, b'p', b'i', b'n', b'g', 0xff, 0xff, 0x7f],
            ),
            oversize,
            // A reply to a call nobody made, and a goodbye from a node
            // that does not exist.
            claiming(node1, &[2, 5, 0, 1, 7]),
            claiming(12345, &[8, 0]),
        ];
        for message in messages {
            client
                .publish(target.clone(), message.into())
                .await
                .unwrap();
            client
                .publish("actium.test.alive", vec![0xAC, 1, 7].into())
                .await
                .unwrap();
        }
        client.flush().await.unwrap();
        // The node still serves, and calls after the garbage work.
        for _ in 0..10 {
            assert_eq!(worker.ping().await.unwrap(), 1);
        }
    });
}
