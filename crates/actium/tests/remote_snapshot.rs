//! Asking another node for its snapshot over the node protocol (issue 18):
//! its actors with their counters, its names and its traffic.
#![cfg(feature = "remote")]

mod support;

use actium::prelude::*;
use actium::remote::Node;
use serde::{Deserialize, Serialize};
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
}

#[test]
fn a_node_answers_another_with_its_actors_counters_and_traffic() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let target = cluster.node(0).address().to_string();
    let counter = cluster.run(0, async {
        let counter = Counter { n: 0 }.spawn();
        cluster.node(0).register("counter", &counter).unwrap();
        counter
    });
    cluster.run(1, async {
        let remote = cluster
            .node(1)
            .lookup::<Counter>(&cluster.node(0).url("counter"))
            .await
            .unwrap();
        remote.incr().unwrap();
        remote.incr().unwrap();
        assert_eq!(remote.get().await.unwrap(), 2);

        let first = cluster.node(1).snapshot(&target).await.unwrap();
        let seen = first.named("counter").expect("the registered actor");
        assert_eq!(seen.id, counter.id());
        assert_eq!(seen.type_name, "Counter");
        assert_eq!(seen.handled, 3);
        let network = first.network.clone().expect("a node's snapshot");
        assert_eq!(network.address, target);
        assert_eq!(network.connections, 1);
        assert!(network.bytes_in > 0 && network.bytes_out > 0, "{network:?}");

        // Counters move between two snapshots.
        remote.incr().unwrap();
        assert_eq!(remote.get().await.unwrap(), 3);
        let second = cluster.node(1).snapshot(&target).await.unwrap();
        let seen = second.named("counter").expect("the registered actor");
        assert_eq!(seen.handled, 5);
        let traffic = second.network.expect("a node's snapshot");
        assert!(traffic.bytes_in > network.bytes_in, "{traffic:?}");
    });
}

#[test]
fn a_node_without_the_cookie_gets_no_snapshot() {
    let cluster = Cluster::start(1, Mode::Tasks);
    let target = cluster.node(0).address().to_string();
    let system = System::builder().start().unwrap();
    system.block_on(async {
        let stranger = Node::builder()
            .cookie("not the cluster's cookie")
            .system(&SystemHandle::current())
            .start()
            .await
            .unwrap();
        let refused = stranger.snapshot(&target).await;
        assert!(
            matches!(refused, Err(Error::NodeDown { .. })),
            "{refused:?}"
        );
        stranger.shutdown();
    });
    system.shutdown();
}
