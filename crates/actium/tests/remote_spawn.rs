//! Spawning on another node (PyActive's remote `spawn_id`): the node
//! allows a type, another node sends an initial state and gets back a
//! reference.
#![cfg(feature = "remote")]

mod support;

use actium::Error;
use actium::prelude::*;
use serde::{Deserialize, Serialize};
use support::MODES;
use support::remote::Cluster;

#[derive(Serialize, Deserialize)]
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

/// Reports to a reference it was spawned with.
#[derive(Serialize, Deserialize)]
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

#[test]
fn an_allowed_type_is_spawned_on_another_node() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        cluster.node(0).allow_spawn::<Counter>();
        let target = cluster.node(0).address().to_string();
        cluster.run(1, async {
            let counter = cluster
                .node(1)
                .spawn_on(&target, Counter { n: 40 })
                .await
                .unwrap();
            assert!(!counter.is_local());
            counter.incr().unwrap();
            counter.incr().unwrap();
            assert_eq!(counter.get().await.unwrap(), 42);
            assert_eq!(counter.node().await.unwrap(), cluster.node(0).id().as_u64());
        });
        assert_eq!(cluster.node(0).info().actors.len(), 1);
    }
}

#[test]
fn a_spawned_actor_keeps_the_references_it_was_given() {
    let cluster = Cluster::start(2, Mode::Tasks);
    cluster.node(0).allow_spawn::<Reporter>();
    let target = cluster.node(0).address().to_string();
    cluster.run(1, async {
        let counter = Counter { n: 0 }.spawn();
        let reporter = cluster
            .node(1)
            .spawn_on(
                &target,
                Reporter {
                    to: counter.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(reporter.report().await.unwrap(), 1);
        assert_eq!(counter.get().await.unwrap(), 1);
    });
}

#[test]
fn a_type_the_node_does_not_allow_is_refused() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let target = cluster.node(0).address().to_string();
    cluster.run(1, async {
        let refused = cluster.node(1).spawn_on(&target, Counter { n: 0 }).await;
        assert!(
            matches!(refused, Err(Error::NotSpawnable { .. })),
            "{refused:?}"
        );
    });
}

#[test]
fn a_node_describes_its_actors_and_names() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let target = cluster.node(0).address().to_string();
    cluster.run(0, async {
        let counter = Counter { n: 0 }.spawn();
        cluster.node(0).register("counter", &counter).unwrap();
    });
    cluster.run(1, async {
        let info = cluster.node(1).describe(&target).await.unwrap();
        assert_eq!(info.name, "n0");
        assert_eq!(info.address, target);
        assert_eq!(info.actors.len(), 1);
        assert_eq!(info.names.len(), 1);
        assert_eq!(info.names[0].0, "counter");
        assert_eq!(info.names[0].1.type_name(), "Counter");
    });
}
