//! Asking another node of a cluster that meets through a real
//! `nats-server` what `actium top` and `actium observe` show, with the
//! calls TCP nodes use (`snapshot`, `recent`): its actors, its flight
//! recorder's last events, and typed errors for a node that is not there
//! or keeps no recorder.

mod support;

use std::time::Duration;

use actium::Error;
use actium::observe::RecentError;
use actium::prelude::*;
use actium::remote::RecentRequestError;
use support::{Cluster, NatsServer};

struct Greeter;

#[actor(remote)]
impl Greeter {
    #[ask]
    fn greet(&self) -> u8 {
        1
    }
}

#[test]
fn snapshot_lists_the_other_nodes_actors_and_names() {
    let cluster = Cluster::start(2);
    let greeter = cluster.run(0, async { Greeter.spawn() });
    cluster.node(0).register("greeter", &greeter).unwrap();
    let watched = cluster.node(0).address().to_owned();

    let snapshot = cluster.run(1, cluster.node(1).snapshot(&watched)).unwrap();
    let actor = snapshot
        .actors
        .iter()
        .find(|actor| actor.id == greeter.label().id())
        .expect("the greeter is in the other node's snapshot");
    assert_eq!(actor.type_name, "Greeter");
    assert_eq!(actor.name.as_deref(), Some("greeter"));
}

#[test]
fn snapshot_of_its_own_address_is_the_local_one() {
    let cluster = Cluster::start(1);
    let greeter = cluster.run(0, async { Greeter.spawn() });
    let own = cluster.node(0).address().to_owned();
    let snapshot = cluster.run(0, cluster.node(0).snapshot(&own)).unwrap();
    assert!(snapshot.actors.iter().any(|a| a.id == greeter.label().id()));
}

#[test]
fn recent_returns_the_other_nodes_flight_recorder_events() {
    let cluster = Cluster::on(NatsServer::start(), 2, |i, builder| {
        if i == 0 {
            builder.flight_recorder(1_000)
        } else {
            builder
        }
    });
    let greeter = cluster.run(0, async { Greeter.spawn() });
    assert_eq!(cluster.run(0, greeter.greet()).unwrap(), 1);
    let watched = cluster.node(0).address().to_owned();

    let events = cluster
        .run(
            1,
            cluster
                .node(1)
                .recent(&watched, &[greeter.label().id()], 100),
        )
        .unwrap();
    assert!(
        events.iter().any(|event| event.method == "greet"
            && event.to.is_some_and(|to| to.id() == greeter.label().id())),
        "the call to greet is among {events:?}"
    );
}

#[test]
fn recent_from_a_node_without_a_flight_recorder_is_off() {
    let cluster = Cluster::start(2);
    let watched = cluster.node(0).address().to_owned();
    let answer = cluster.run(1, cluster.node(1).recent(&watched, &[], 10));
    assert!(
        matches!(
            answer,
            Err(RecentRequestError::Refused(RecentError::Off { .. }))
        ),
        "{answer:?}"
    );
    // The message says how to turn it on for this kind of node, not for
    // a TCP one.
    let message = answer.unwrap_err().to_string();
    assert!(
        message.contains("NatsNode::builder().flight_recorder"),
        "{message}"
    );
    let own = cluster.node(1).address().to_owned();
    let local = cluster.run(1, cluster.node(1).recent(&own, &[], 10));
    let message = local.unwrap_err().to_string();
    assert!(
        message.contains("NatsNode::builder().flight_recorder"),
        "{message}"
    );
}

#[test]
fn snapshot_carries_the_nodes_network_part() {
    let cluster = Cluster::start(2);
    let greeter = cluster.run(0, async { Greeter.spawn() });
    assert_eq!(cluster.run(0, greeter.greet()).unwrap(), 1);
    let watched = cluster.node(0).address().to_owned();
    // The first node hears the second once it has beaten.
    let mut network = None;
    for _ in 0..200 {
        let snapshot = cluster.run(1, cluster.node(1).snapshot(&watched)).unwrap();
        let part = snapshot
            .network
            .expect("a NATS node's snapshot has a network part");
        if part.connections >= 1 {
            network = Some(part);
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let network = network.expect("the watched node hears the other one");
    assert_eq!(network.address, watched);
    assert!(network.bytes_in > 0, "{network:?}");
    assert!(network.bytes_out > 0, "{network:?}");
    let local = cluster.node(0).local_snapshot();
    assert_eq!(local.network.expect("a network part").address, watched);
}

#[test]
fn asking_a_node_that_is_not_there_is_node_down() {
    let cluster = Cluster::with_heartbeats(&[Some((
        Duration::from_millis(100),
        Duration::from_millis(500),
    ))]);
    let (gone, system) = cluster.join();
    let address = gone.address().to_owned();
    gone.shutdown();
    system.shutdown();

    let snapshot = cluster.run(0, cluster.node(0).snapshot(&address));
    assert!(
        matches!(snapshot, Err(Error::NodeDown { .. })),
        "{snapshot:?}"
    );
    let recent = cluster.run(0, cluster.node(0).recent(&address, &[], 10));
    assert!(
        matches!(
            recent,
            Err(RecentRequestError::Node(Error::NodeDown { .. }))
        ),
        "{recent:?}"
    );
}

#[test]
fn asking_another_clusters_node_is_an_invalid_address() {
    let cluster = Cluster::start(1);
    let answer = cluster.run(
        0,
        cluster
            .node(0)
            .snapshot("nats://elsewhere/0000000000000001"),
    );
    assert!(
        matches!(answer, Err(Error::InvalidAddress { .. })),
        "{answer:?}"
    );
}
