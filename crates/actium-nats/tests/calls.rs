//! Calls across nodes that meet through a real `nats-server`: the same
//! method calls as locally and as over TCP, with the same results and
//! errors.

mod support;

use std::time::Duration;

use actium::Error;
use actium::prelude::*;
use actium::serde::{Deserialize, Serialize};
use support::Cluster;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(crate = "actium::serde")]
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

/// Holds a reference to a store on another node, handed to it as a value,
/// and calls it.
#[derive(Default)]
struct Clerk {
    store: Option<ActorRef<Store>>,
}

#[actor(remote)]
impl Clerk {
    #[ask]
    fn hire(&mut self, store: ActorRef<Store>) {
        self.store = Some(store);
    }

    #[ask]
    async fn restock(&self, amount: u64) -> Result<u64, String> {
        let store = self.store.clone().ok_or("not hired")?;
        store.add(amount).map_err(|error| error.to_string())?;
        store.stock().await.map_err(|error| error.to_string())
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

/// A cluster of `n` nodes with a store registered on node 0, and node 1's
/// reference to it, found by name.
fn with_store(n: usize, test: impl FnOnce(&Cluster, ActorRef<Store>)) {
    let cluster = Cluster::start(n);
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
    with_store(2, |cluster, store| {
        cluster.run(1, async {
            for i in 0..1000 {
                store.note(format!("line {i}")).unwrap();
            }
            store.add(5).unwrap();
            assert_eq!(store.stock().await.unwrap(), 5);
            let log = store.log().await.unwrap();
            assert_eq!(log.len(), 1000);
            assert!(
                log.iter()
                    .enumerate()
                    .all(|(i, line)| *line == format!("line {i}"))
            );
        });
    });
}

#[test]
fn a_remote_methods_own_error_reaches_the_caller_typed() {
    with_store(2, |cluster, store| {
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

#[test]
fn a_remote_panic_is_a_panicked_error_and_the_actor_goes_on() {
    with_store(2, |cluster, store| {
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

#[test]
fn a_remote_call_past_its_deadline_times_out() {
    with_store(2, |cluster, store| {
        cluster.run(1, async {
            let result = store.slow(600).timeout(Duration::from_millis(100)).await;
            assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
            // The node still serves afterwards.
            assert_eq!(store.slow(1).await.unwrap(), 1);
        });
    });
}

#[test]
fn calling_a_stopped_remote_actor_is_actor_stopped() {
    with_store(2, |cluster, store| {
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

#[test]
fn look_ups_fail_clearly() {
    with_store(2, |cluster, _store| {
        let node = cluster.node(1);
        let base = cluster.node(0).address().to_owned();
        cluster.run(1, async {
            let missing = node.lookup::<Store>(&format!("{base}/nobody")).await;
            assert!(
                matches!(missing, Err(Error::NotRegistered { .. })),
                "{missing:?}"
            );
            for malformed in ["tcp://127.0.0.1:1/store", "nats://test/123/store"] {
                let result = node.lookup::<Store>(malformed).await;
                assert!(
                    matches!(result, Err(Error::InvalidAddress { .. })),
                    "{malformed}: {result:?}"
                );
            }
            let other_cluster = base.replace("nats://test/", "nats://other/");
            let result = node
                .lookup::<Store>(&format!("{other_cluster}/store"))
                .await;
            assert!(
                matches!(result, Err(Error::InvalidAddress { .. })),
                "{result:?}"
            );
            let not_remote = node.lookup::<LocalOnly>(&format!("{base}/store")).await;
            assert!(
                matches!(not_remote, Err(Error::NotRemote { .. })),
                "{not_remote:?}"
            );
            // A node of the cluster that does not exist never answers.
            let nobody = format!("nats://test/{}/store", "0".repeat(16));
            let result = node.lookup::<Store>(&nobody).await;
            assert!(matches!(result, Err(Error::NodeDown { .. })), "{result:?}");
        });
    });
}

#[test]
fn a_reference_passed_as_a_value_is_used_by_a_third_node() {
    with_store(3, |cluster, store| {
        cluster.run(2, async {
            cluster
                .node(2)
                .register("clerk", &Clerk::default().spawn())
                .unwrap();
        });
        let clerk_url = cluster.node(2).url("clerk");
        cluster.run(1, async {
            let clerk = cluster.node(1).lookup::<Clerk>(&clerk_url).await.unwrap();
            // Node 1 hands node 2 its reference to node 0's store.
            clerk.hire(store.clone()).await.unwrap();
            assert_eq!(clerk.restock(7).await.unwrap(), Ok(7));
            assert_eq!(store.stock().await.unwrap(), 7);
        });
    });
}

#[test]
fn the_node_joins_with_no_port_and_fails_clearly_without_a_server() {
    // Held for the test, so that no other test's server gets it.
    let (_held, port) = support::refusing_port();
    let system = System::builder().start().unwrap();
    let result = system.block_on(
        actium::nats::NatsNode::builder()
            .server(format!("nats://127.0.0.1:{port}"))
            .system(system.handle())
            .start(),
    );
    assert!(matches!(result, Err(Error::Listen { .. })), "{result:?}");
    let bad_cluster = system.block_on(
        actium::nats::NatsNode::builder()
            .cluster("no.dots")
            .system(system.handle())
            .start(),
    );
    assert!(
        matches!(bad_cluster, Err(Error::InvalidAddress { .. })),
        "{bad_cluster:?}"
    );
    system.shutdown();
}
