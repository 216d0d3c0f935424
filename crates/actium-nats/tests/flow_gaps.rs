//! Frames lost between two nodes are never a silent gap: the receiver
//! sees the hole in the sender's sequence numbers and both sides treat
//! their connection as broken, as a dropped TCP connection — waiting calls
//! fail with `NodeDown`, links and monitors fire with `noconnection`, the
//! loss is counted and logged — and then calls work again in a new epoch.
//! The loss is made on the real path: the sending node's writer drops a
//! batch instead of publishing it (`lose_next_batches`).

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::{Error, ExitReason};
use support::{Cluster, LIMIT, wait_until};
use tokio::sync::watch;

/// What it was told, in order.
#[derive(Default)]
struct Log {
    seen: Vec<u64>,
}

#[actor(remote)]
impl Log {
    #[tell]
    fn push(&mut self, value: u64) {
        self.seen.push(value);
    }

    #[ask]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }

    #[ask]
    async fn hang(&self) -> u8 {
        actium::sleep(Duration::from_secs(60)).await;
        0
    }
}

/// Records the signals it gets. What it links to dies with the
/// connection (it does not trap exits): the tests link to actors they do
/// not call afterwards.
#[derive(Default)]
struct Watcher {
    log: watch::Sender<Vec<String>>,
}

#[actor]
impl Watcher {
    #[ask]
    fn follow(&mut self, ctx: &mut Context<Self>, other: ActorRef<Log>) {
        ctx.trap_exit(true);
        ctx.link(&other);
        ctx.monitor(&other);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        let entry = format!("exit {}", exit.reason);
        self.log.send_modify(|log| log.push(entry));
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        let entry = format!("down {}", down.reason);
        self.log.send_modify(|log| log.push(entry));
    }

    #[ask]
    fn subscribe(&self) -> watch::Receiver<Vec<String>> {
        self.log.subscribe()
    }
}

/// `watcher`'s log once it has two entries (or as it is after [`LIMIT`]),
/// sorted.
async fn signals(watcher: &ActorRef<Watcher>) -> Vec<String> {
    let mut log = watcher.subscribe().await.unwrap();
    let _ = tokio::time::timeout(LIMIT, log.wait_for(|log| log.len() >= 2)).await;
    let mut log = log.borrow().clone();
    log.sort();
    log
}

/// A log registered on node `on` as `name`, and node `from`'s reference
/// to it.
fn log_on(cluster: &Cluster, on: usize, from: usize, name: &str) -> ActorRef<Log> {
    let url = cluster.node(on).url(name);
    cluster.run(on, async {
        cluster
            .node(on)
            .register(name, &Log::default().spawn())
            .unwrap();
    });
    cluster
        .run(from, cluster.node(from).lookup::<Log>(&url))
        .unwrap()
}

/// A watcher on node `on` following `log` (an actor of the other node).
fn watcher_on(cluster: &Cluster, on: usize, log: &ActorRef<Log>) -> ActorRef<Watcher> {
    cluster.run(on, async {
        let watcher = Watcher::default().spawn();
        watcher.follow(log.clone()).await.unwrap();
        watcher
    })
}

fn expected_noconnection() -> Vec<String> {
    let reason = ExitReason::NoConnection;
    vec![format!("down {reason}"), format!("exit {reason}")]
}

#[test]
fn a_lost_batch_breaks_the_connection_with_typed_errors_and_later_calls_work() {
    let cluster = Cluster::start(2);
    // Node 1 tells a log on node 0; each side watches an actor of the
    // other; a call waits on node 0 (on another actor: `hang` holds its
    // actor).
    let log = log_on(&cluster, 0, 1, "log");
    let sleeper = log_on(&cluster, 0, 1, "sleeper");
    let here = log_on(&cluster, 1, 0, "here");
    let on_sender = watcher_on(&cluster, 1, &sleeper);
    let on_receiver = watcher_on(&cluster, 0, &here);
    let seen = cluster.run(1, async {
        log.push(1).unwrap();
        log.seen().await.unwrap()
    });
    assert_eq!(seen, [1]);
    // Frames after the waiting call are lost.
    let [waiting] = cluster.run(1, async { [sleeper.hang()] });
    cluster.node(1).lose_next_batches(1);
    let after = cluster.run(1, async {
        log.push(2).unwrap();
        // Sent after the loss (in the lost batch or the next): never
        // answered as if nothing had happened.
        log.seen().timeout(LIMIT).await
    });
    let reason = match after {
        Err(Error::NodeDown { reason, .. }) => reason,
        other => panic!("expected NodeDown after the loss, got {other:?}"),
    };
    assert!(reason.contains("frames were lost"), "{reason}");
    let waited = cluster.run(1, async { tokio::time::timeout(LIMIT, waiting).await });
    assert!(
        matches!(waited, Ok(Err(Error::NodeDown { .. }))),
        "{waited:?}"
    );
    // Both sides dropped their links and monitors across.
    let sender_signals = cluster.run(1, signals(&on_sender));
    let receiver_signals = cluster.run(0, signals(&on_receiver));
    assert_eq!(sender_signals, expected_noconnection());
    assert_eq!(receiver_signals, expected_noconnection());
    assert_eq!(cluster.node(0).stats().gaps, 1, "the receiver counted it");
    // Later calls work, in a new epoch, in order; what was lost stays
    // lost (and was said to be).
    wait_until("calls work again", || {
        cluster
            .run(1, log.seen().timeout(Duration::from_secs(1)))
            .is_ok()
    });
    let seen = cluster.run(1, async {
        log.push(3).unwrap();
        log.push(4).unwrap();
        log.seen().await.unwrap()
    });
    assert_eq!(seen, [1, 3, 4]);
}

#[test]
fn a_lost_last_batch_is_found_by_the_senders_probe() {
    let cluster = Cluster::start(2);
    let log = log_on(&cluster, 0, 1, "log");
    let anchor = log_on(&cluster, 0, 1, "anchor");
    let on_sender = watcher_on(&cluster, 1, &anchor);
    cluster.run(1, async {
        log.push(1).unwrap();
        assert_eq!(log.seen().await.unwrap(), [1]);
    });
    // The last tell is lost and nothing follows it: the sender's
    // heartbeat probes its unacknowledged frames, and the receiver finds
    // the hole.
    cluster.node(1).lose_next_batches(1);
    cluster.run(1, async { log.push(2).unwrap() });
    wait_until("the receiver finds the loss", || {
        cluster.node(0).stats().gaps == 1
    });
    assert_eq!(cluster.run(1, signals(&on_sender)), expected_noconnection());
    wait_until("calls work again", || {
        cluster
            .run(1, log.seen().timeout(Duration::from_secs(1)))
            .is_ok_and(|seen| seen == [1])
    });
}
