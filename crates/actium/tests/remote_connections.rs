//! Connections between nodes: made lazily, one per pair of nodes even when
//! both connect at once, and made again after a drop.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::Error;
use actium::prelude::*;
use support::MODES;
use support::remote::{Cluster, Relay};

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor(remote)]
impl Counter {
    #[tell]
    fn incr(&mut self) {
        self.n += 1;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

#[test]
fn nodes_connect_lazily_on_first_use() {
    let cluster = Cluster::start(2, Mode::Tasks);
    assert!(cluster.node(0).connected().is_empty());
    assert!(cluster.node(1).connected().is_empty());
    let url = cluster.node(0).url("counter");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("counter", &Counter::default().spawn())
            .unwrap();
    });
    assert!(cluster.node(1).connected().is_empty());
    cluster.run(1, async {
        let counter = cluster.node(1).lookup::<Counter>(&url).await.unwrap();
        assert_eq!(counter.get().await.unwrap(), 0);
    });
    assert_eq!(
        cluster.node(1).connected(),
        [cluster.node(0).address().to_string()]
    );
}

#[test]
fn two_nodes_calling_each_other_at_once_share_one_connection() {
    for mode in MODES {
        for _ in 0..10 {
            let cluster = Cluster::start(2, mode);
            let urls = [
                cluster.node(0).url("counter"),
                cluster.node(1).url("counter"),
            ];
            for i in 0..2 {
                cluster.run(i, async {
                    cluster
                        .node(i)
                        .register("counter", &Counter::default().spawn())
                        .unwrap();
                });
            }
            // Both look each other up at the same moment.
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            std::thread::scope(|scope| {
                for i in 0..2 {
                    let barrier = barrier.clone();
                    let (cluster, urls) = (&cluster, &urls);
                    scope.spawn(move || {
                        cluster.run(i, async {
                            barrier.wait();
                            let other = cluster
                                .node(i)
                                .lookup::<Counter>(&urls[1 - i])
                                .await
                                .unwrap();
                            for _ in 0..50 {
                                other.incr().unwrap();
                            }
                            assert_eq!(other.get().await.unwrap() % 50, 0);
                        });
                    });
                }
            });
            for i in 0..2 {
                assert_eq!(
                    cluster.node(i).connected(),
                    [cluster.node(1 - i).address().to_string()]
                );
                let mine = cluster.run(i, async {
                    actium::whereis::<Counter>("counter")
                        .unwrap()
                        .get()
                        .await
                        .unwrap()
                });
                assert_eq!(mine, 50);
            }
        }
    }
}

/// Two nodes and a relay to the first, which holds a counter: the second
/// reaches it through the relay (`reached`), which can cut the connection.
fn counter_behind_relay() -> (Cluster, Relay) {
    let cluster = Cluster::start(2, Mode::Tasks);
    let relay = Relay::start(cluster.node(0).address().socket());
    cluster.run(0, async {
        cluster
            .node(0)
            .register("counter", &Counter::default().spawn())
            .unwrap();
    });
    (cluster, relay)
}

/// The counter, looked up from the second node through the relay, once
/// counted to 1.
async fn reached(cluster: &Cluster, relay: &Relay) -> ActorRef<Counter> {
    let counter = cluster
        .node(1)
        .lookup::<Counter>(&format!("{}/counter", relay.address))
        .await
        .unwrap();
    counter.incr().unwrap();
    assert_eq!(counter.get().await.unwrap(), 1);
    counter
}

#[test]
fn a_dropped_connection_is_made_again_on_a_later_call() {
    let (cluster, relay) = counter_behind_relay();
    cluster.run(1, async {
        let counter = reached(&cluster, &relay).await;
        relay.cut();
        // Until the drop is noticed and for a short back-off (200 ms),
        // calls fail with NodeDown at once; then a call connects again.
        // Nothing marks the end of the back-off, so the test tries again
        // until then; the deadline only stops a hang.
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut saw_down = false;
        let value = loop {
            match counter.get().await {
                Ok(value) => break value,
                Err(Error::NodeDown { .. }) => saw_down = true,
                Err(other) => panic!("unexpected {other:?}"),
            }
            assert!(Instant::now() < deadline, "never reconnected");
            actium::sleep(Duration::from_millis(20)).await;
        };
        assert!(saw_down);
        // The actor lived on; the same reference reaches it again.
        assert_eq!(value, 1);
        counter.incr().unwrap();
        assert_eq!(counter.get().await.unwrap(), 2);
    });
}

/// Once a dropped connection is noticed, a one-way call fails with
/// `NodeDown` at once (for the back-off's 200 ms), as a request-reply
/// does, rather than waiting unsent for a connection that is gone.
#[test]
fn a_tell_over_a_dropped_connection_fails_with_node_down() {
    let (cluster, relay) = counter_behind_relay();
    cluster.run(1, async {
        let counter = reached(&cluster, &relay).await;
        // Tells sent before the drop is noticed are queued (and lost with
        // the connection). Cut again on each try: a try that comes after
        // the back-off connects again, and the next cut ends that one.
        // The deadline only stops a hang.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            relay.cut();
            match counter.incr() {
                Err(Error::NodeDown { .. }) => break,
                Ok(()) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
            assert!(Instant::now() < deadline, "a tell never saw the node down");
            actium::sleep(Duration::from_millis(2)).await;
        }
    });
}

/// A tell that is the first use of a peer after the back-off connects
/// again, as any first use does, and is delivered: the one-way call's
/// path without the peer's lock falls back to it while no connection is
/// up, rather than failing.
#[test]
fn a_tell_after_the_back_off_connects_again() {
    let (cluster, relay) = counter_behind_relay();
    cluster.run(1, async {
        let counter = reached(&cluster, &relay).await;
        relay.cut();
        // The drop noticed by a request-reply, so that no tell is sent
        // (and lost) before it. The deadline only stops a hang.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(counter.get().await, Err(Error::NodeDown { .. })) {
            assert!(Instant::now() < deadline, "the drop was never noticed");
            actium::sleep(Duration::from_millis(2)).await;
        }
        // Down for the back-off (200 ms), then the first tell connects.
        loop {
            match counter.incr() {
                Ok(()) => break,
                Err(Error::NodeDown { .. }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
            assert!(Instant::now() < deadline, "a tell never connected");
            actium::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(counter.get().await.unwrap(), 2);
    });
}
