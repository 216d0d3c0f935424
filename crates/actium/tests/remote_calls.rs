//! Calls across nodes: the same method calls as locally, with the same
//! results and errors.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::Node;
use actium::{Error, Group};
use serde::{Deserialize, Serialize};
use support::MODES;
use support::remote::Cluster;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("not enough stock: {have} < {want}")]
struct OutOfStock {
    have: u64,
    want: u64,
}

#[derive(Default)]
struct Store {
    stock: u64,
    log: Vec<String>,
}

#[actor(remote)]
impl Store {
    #[tell]
    fn add(&mut self, amount: u64) {
        self.stock += amount;
    }

    #[tell]
    fn note(&mut self, line: String) {
        self.log.push(line);
    }

    #[ask]
    fn stock(&self) -> u64 {
        self.stock
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    #[ask]
    fn take(&mut self, want: u64) -> Result<u64, OutOfStock> {
        if want > self.stock {
            return Err(OutOfStock {
                have: self.stock,
                want,
            });
        }
        self.stock -= want;
        Ok(self.stock)
    }

    #[ask]
    fn explode(&mut self) -> u64 {
        panic!("the store exploded")
    }

    #[ask]
    async fn slow(&self, millis: u64) -> u64 {
        actium::sleep(Duration::from_millis(millis)).await;
        millis
    }

    #[ask]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// An actor without `#[actor(remote)]`.
struct LocalOnly;

#[actor]
impl LocalOnly {
    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

fn with_store(mode: Mode, test: impl FnOnce(&Cluster, ActorRef<Store>)) {
    let cluster = Cluster::start(2, mode);
    let url = cluster.node(0).url("store");
    cluster.run(0, async {
        let store = Store::default().spawn();
        cluster.node(0).register("store", &store).unwrap();
    });
    let store = cluster
        .run(1, cluster.node(1).lookup::<Store>(&url))
        .expect("lookup succeeds");
    assert!(!store.is_local());
    test(&cluster, store);
}

#[test]
fn tells_and_asks_reach_a_remote_actor_in_order() {
    for mode in MODES {
        with_store(mode, |cluster, store| {
            cluster.run(1, async {
                for i in 0..100 {
                    store.note(format!("line {i}")).unwrap();
                }
                store.add(5).unwrap();
                assert_eq!(store.stock().await.unwrap(), 5);
                let log = store.log().await.unwrap();
                assert_eq!(log.len(), 100);
                assert!(
                    log.iter()
                        .enumerate()
                        .all(|(i, l)| *l == format!("line {i}"))
                );
            });
        });
    }
}

#[test]
fn a_remote_methods_own_error_reaches_the_caller_typed() {
    for mode in MODES {
        with_store(mode, |cluster, store| {
            cluster.run(1, async {
                store.add(3).unwrap();
                assert_eq!(store.take(2).await.unwrap(), Ok(1));
                assert_eq!(
                    store.take(5).await.unwrap(),
                    Err(OutOfStock { have: 1, want: 5 })
                );
            });
        });
    }
}

#[test]
fn a_remote_panic_is_a_panicked_error_and_the_actor_goes_on() {
    for mode in MODES {
        with_store(mode, |cluster, store| {
            cluster.run(1, async {
                match store.explode().await {
                    Err(Error::Panicked {
                        message, method, ..
                    }) => {
                        assert_eq!(method, "explode");
                        assert!(message.contains("the store exploded"), "{message}");
                    }
                    other => panic!("expected Panicked, got {other:?}"),
                }
                store.add(1).unwrap();
                assert_eq!(store.stock().await.unwrap(), 1);
            });
        });
    }
}

#[test]
fn a_remote_call_past_its_deadline_times_out() {
    for mode in MODES {
        with_store(mode, |cluster, store| {
            cluster.run(1, async {
                let started = Instant::now();
                let result = store.slow(600).timeout(Duration::from_millis(100)).await;
                // A timeout, not the value: the deadline ended the call
                // before the reply came. Never early; how close to 100 ms
                // is the deadline sweeper's contract (see "Deadlines
                // without a timer per call" in docs/ARCHITECTURE.md),
                // not something a loaded test machine can check.
                assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
                assert!(started.elapsed() >= Duration::from_millis(100));
                // The connection still works afterwards.
                assert_eq!(store.slow(1).await.unwrap(), 1);
            });
        });
    }
}

#[test]
fn calling_a_stopped_remote_actor_is_actor_stopped() {
    for mode in MODES {
        with_store(mode, |cluster, store| {
            cluster.run(1, async {
                store.quit().await.unwrap();
                let result = store.stock().await;
                assert!(
                    matches!(result, Err(Error::ActorStopped { .. })),
                    "{result:?}"
                );
            });
        });
    }
}

#[test]
fn look_ups_fail_clearly() {
    for mode in MODES {
        with_store(mode, |cluster, _store| {
            let node = cluster.node(1);
            let base = cluster.node(0).address().to_string();
            cluster.run(1, async {
                let missing = node.lookup::<Store>(&format!("{base}/nobody")).await;
                assert!(
                    matches!(missing, Err(Error::NotRegistered { .. })),
                    "{missing:?}"
                );
                let malformed = node.lookup::<Store>("tcp://127.0.0.1").await;
                assert!(
                    matches!(malformed, Err(Error::InvalidAddress { .. })),
                    "{malformed:?}"
                );
                let not_remote = node.lookup::<LocalOnly>(&format!("{base}/store")).await;
                assert!(
                    matches!(not_remote, Err(Error::NotRemote { .. })),
                    "{not_remote:?}"
                );
            });
        });
    }
}

#[test]
fn an_unreachable_node_is_node_down_at_once() {
    for mode in MODES {
        let cluster = Cluster::start(1, mode);
        // A port nobody listens on: bind one, then free it.
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        cluster.run(0, async {
            let result = cluster
                .node(0)
                .lookup::<Store>(&format!("tcp://127.0.0.1:{port}/store"))
                .await;
            // The refused connection ends the lookup, rather than the
            // connect timeout: the reason tells which.
            match result {
                Err(Error::NodeDown { reason, .. }) => {
                    assert!(!reason.contains("no connection within"), "{reason}")
                }
                other => panic!("expected NodeDown, got {other:?}"),
            }
        });
    }
}

#[test]
fn a_group_mixes_local_and_remote_members() {
    for mode in MODES {
        with_store(mode, |cluster, remote| {
            cluster.run(1, async {
                let local = Store::default().spawn();
                let group = Group::new([local.clone(), remote.clone()]);
                group.tell_all().add(4).send();
                let stocks = group.ask_all().stock().await.into_values().unwrap();
                assert_eq!(stocks, [4, 4]);
                let first = group.first(1).stock().await.unwrap();
                assert_eq!(first.len(), 1);
            });
        });
    }
}

#[test]
fn a_url_of_the_node_itself_resolves_locally() {
    let cluster = Cluster::start(1, Mode::Tasks);
    let node: &Node = cluster.node(0);
    cluster.run(0, async {
        let store = Store::default().spawn();
        node.register("here", &store).unwrap();
        let found = node.lookup::<Store>(&node.url("here")).await.unwrap();
        assert!(found.is_local());
        assert_eq!(found, store);
    });
}

#[test]
fn a_plain_thread_can_wait_for_a_remote_answer() {
    for mode in MODES {
        with_store(mode, |_cluster, store| {
            // No runtime on this thread: `wait` blocks it, the node's
            // tasks do the rest.
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    store.add(2).unwrap();
                    assert_eq!(store.stock().wait().unwrap(), 2);
                });
            });
        });
    }
}

#[test]
fn a_call_larger_than_a_frame_is_refused_and_the_connection_goes_on() {
    with_store(Mode::Tasks, |cluster, store| {
        cluster.run(1, async {
            let huge = "x".repeat(actium::remote::DEFAULT_MAX_FRAME + 1);
            match store.note(huge) {
                Err(Error::Rejected { reason, method, .. }) => {
                    assert_eq!(method, "note");
                    assert!(reason.contains("largest frame"), "{reason}");
                }
                other => panic!("expected Rejected, got {other:?}"),
            }
            store.add(1).unwrap();
            assert_eq!(store.stock().await.unwrap(), 1);
        });
    });
}
