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
        matches!(answer, Err(RecentRequestError::Refused(RecentError::Off))),
        "{answer:?}"
    );
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
