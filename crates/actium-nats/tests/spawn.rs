//! Spawning on another node of a cluster that meets through a real
//! `nats-server`, with the calls TCP nodes use (`allow_spawn`,
//! `spawn_on`): the node allows a type, another node sends an initial
//! state and gets back a reference; what cannot be spawned is a typed
//! error, as over TCP.

mod support;

use std::time::Duration;

use actium::Error;
use actium::prelude::*;
use actium::serde::{Deserialize, Serialize};
use support::Cluster;

#[derive(Serialize, Deserialize)]
#[serde(crate = "actium::serde")]
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

    #[ask]
    fn node(&self, ctx: &mut Context<Self>) -> u64 {
        ctx.system().node().as_u64()
    }
}

/// Another type named `Counter`, whose state a node allowing the first
/// one cannot decode.
mod impostor {
    use actium::prelude::*;
    use actium::serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(crate = "actium::serde")]
    pub struct Counter {
        pub label: String,
    }

    #[actor(remote)]
    impl Counter {
        #[ask]
        fn text(&self) -> String {
            self.label.clone()
        }
    }
}

/// Reports to a reference it was spawned with.
#[derive(Serialize, Deserialize)]
#[serde(crate = "actium::serde")]
struct Reporter {
    to: ActorRef<Counter>,
}

#[actor(remote)]
impl Reporter {
    #[ask]
    async fn report(&self) -> u64 {
        self.to.incr().unwrap();
        self.to.get().await.unwrap_or(0)
    }
}

/// Serializable, but not `#[actor(remote)]`.
#[derive(Serialize, Deserialize)]
#[serde(crate = "actium::serde")]
struct LocalOnly;

#[actor]
impl LocalOnly {
    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

#[test]
fn an_allowed_type_is_spawned_on_another_node() {
    let cluster = Cluster::start(2);
    cluster.node(0).allow_spawn::<Counter>();
    let target = cluster.node(0).address().to_owned();
    cluster.run(1, async {
        let counter = cluster
            .node(1)
            .spawn_on(&target, Counter { n: 40 })
            .await
            .unwrap();
        assert!(!counter.is_local());
        assert_eq!(counter.id().node(), cluster.node(0).id());
        counter.incr().unwrap();
        counter.incr().unwrap();
        assert_eq!(counter.get().await.unwrap(), 42);
        assert_eq!(counter.node().await.unwrap(), cluster.node(0).id().as_u64());
    });
    // The actor lives in node 0's system.
    let there = cluster.system(0).handle().actors();
    assert_eq!(there.len(), 1, "{there:?}");
    assert_eq!(there[0].type_name(), "Counter");
}

#[test]
fn a_spawned_actor_keeps_the_references_it_was_given_even_to_a_third_node() {
    let cluster = Cluster::start(3);
    cluster.node(0).allow_spawn::<Reporter>();
    let target = cluster.node(0).address().to_owned();
    // A counter on node 2, whose reference node 1 hands to the reporter
    // it spawns on node 0.
    cluster.run(2, async {
        let counter = Counter { n: 0 }.spawn();
        cluster.node(2).register("counter", &counter).unwrap();
    });
    let counter_url = cluster.node(2).url("counter");
    cluster.run(1, async {
        let far = cluster
            .node(1)
            .lookup::<Counter>(&counter_url)
            .await
            .unwrap();
        let near = Counter { n: 10 }.spawn();
        for (to, expected) in [(far.clone(), 1), (near.clone(), 11)] {
            let reporter = cluster
                .node(1)
                .spawn_on(&target, Reporter { to })
                .await
                .unwrap();
            assert_eq!(reporter.report().await.unwrap(), expected);
        }
        assert_eq!(far.get().await.unwrap(), 1);
        assert_eq!(near.get().await.unwrap(), 11);
    });
}

#[test]
fn a_type_the_node_does_not_allow_is_refused() {
    let cluster = Cluster::start(2);
    // Allowing one type allows no other.
    cluster.node(0).allow_spawn::<Reporter>();
    let target = cluster.node(0).address().to_owned();
    cluster.run(1, async {
        let refused = cluster.node(1).spawn_on(&target, Counter { n: 0 }).await;
        match refused {
            Err(Error::NotSpawnable { node, actor_type }) => {
                assert_eq!((node.as_str(), actor_type.as_str()), (&*target, "Counter"));
            }
            other => panic!("expected NotSpawnable, got {other:?}"),
        }
    });
    assert!(cluster.system(0).handle().actors().is_empty());
}

#[test]
fn a_state_the_node_cannot_decode_is_a_codec_error_and_the_node_serves_on() {
    let cluster = Cluster::start(2);
    cluster.node(0).allow_spawn::<Counter>();
    let target = cluster.node(0).address().to_owned();
    cluster.run(1, async {
        let state = impostor::Counter {
            label: "not a number".to_owned(),
        };
        match cluster.node(1).spawn_on(&target, state).await {
            Err(Error::Codec {
                actor_type, method, ..
            }) => assert_eq!((actor_type.as_str(), method.as_str()), ("Counter", "spawn")),
            other => panic!("expected Codec, got {:?}", other.map(|_| ())),
        }
        let counter = cluster
            .node(1)
            .spawn_on(&target, Counter { n: 1 })
            .await
            .unwrap();
        assert_eq!(counter.get().await.unwrap(), 1);
    });
}

#[test]
fn spawning_on_a_node_that_is_gone_is_node_down() {
    let beat = Some((Duration::from_millis(100), Duration::from_millis(600)));
    let cluster = Cluster::with_heartbeats(&[beat, beat, beat]);
    for i in [0, 2] {
        cluster.node(i).allow_spawn::<Counter>();
    }
    let crashed = cluster.node(0).address().to_owned();
    let left = cluster.node(2).address().to_owned();
    // Node 0 crashes (no goodbye), node 2 leaves (a goodbye).
    cluster.node(0).vanish();
    cluster.node(2).shutdown();
    let never = format!("nats://test/{}", "0".repeat(16));
    cluster.run(1, async {
        for target in [&crashed, &left, &never] {
            let result = cluster.node(1).spawn_on(target, Counter { n: 0 }).await;
            match result {
                Err(Error::NodeDown { node, .. }) => assert_eq!(&node, target),
                other => panic!("{target}: expected NodeDown, got {:?}", other.map(|_| ())),
            }
        }
    });
}

#[test]
fn bad_addresses_and_types_fail_clearly() {
    let cluster = Cluster::start(2);
    cluster.node(0).allow_spawn::<LocalOnly>();
    let target = cluster.node(0).address().to_owned();
    let node = cluster.node(1);
    cluster.run(1, async {
        for bad in [
            "tcp://127.0.0.1:4000",
            "nats://test/123",
            &format!("{target}/counter"),
            &target.replace("nats://test/", "nats://other/"),
        ] {
            let result = node.spawn_on(bad, Counter { n: 0 }).await;
            assert!(
                matches!(result, Err(Error::InvalidAddress { .. })),
                "{bad}: {:?}",
                result.map(|_| ())
            );
        }
        let result = node.spawn_on(&target, LocalOnly).await;
        assert!(
            matches!(result, Err(Error::NotRemote { .. })),
            "{:?}",
            result.map(|_| ())
        );
    });
    assert!(cluster.system(0).handle().actors().is_empty());
}

#[test]
fn spawning_on_the_nodes_own_address_spawns_here_under_the_same_rule() {
    let cluster = Cluster::start(1);
    let node = cluster.node(0);
    let here = node.address().to_owned();
    cluster.run(0, async {
        let refused = node.spawn_on(&here, Counter { n: 0 }).await;
        assert!(
            matches!(refused, Err(Error::NotSpawnable { .. })),
            "{:?}",
            refused.map(|_| ())
        );
        node.allow_spawn::<Counter>();
        let counter = node.spawn_on(&here, Counter { n: 3 }).await.unwrap();
        assert!(counter.is_local());
        assert_eq!(counter.get().await.unwrap(), 3);
    });
}
