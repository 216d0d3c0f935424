//! A node's flight recorder, read by another node over the node protocol
//! (issue 18): the last messages of chosen actors, clamped, with typed
//! refusals.
#![cfg(feature = "remote")]

use std::sync::Arc;

use actium::observe::{Event, EventKind, RecentError, Recorder};
use actium::prelude::*;
use actium::remote::{Node, RecentRequestError};
use actium::{ActorId, NodeId};

const COOKIE: &str = "recent-test-cookie";

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self, by: u64) {
        self.n += by;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

/// A system with a node (with a flight recorder of `flight` events if
/// given), and a counter told twice and asked once.
fn watched(flight: Option<usize>) -> (System, Node, ActorRef<Counter>) {
    let system = System::builder().start().expect("system");
    let node = system
        .block_on(async {
            let mut builder = Node::builder().system(system.handle()).cookie(COOKIE);
            if let Some(events) = flight {
                builder = builder.flight_recorder(events);
            }
            builder.start().await
        })
        .expect("node");
    let counter = system.block_on(async {
        let counter = Counter::default().spawn();
        counter.incr(2).expect("told");
        counter.incr(3).expect("told");
        assert_eq!(counter.get().await.expect("asked"), 5);
        counter
    });
    (system, node, counter)
}

/// A second system and node, with the cookie, that asks.
fn asker() -> (System, Node) {
    let system = System::builder().start().expect("system");
    let node = system
        .block_on(
            Node::builder()
                .system(system.handle())
                .cookie(COOKIE)
                .start(),
        )
        .expect("node");
    (system, node)
}

#[test]
fn a_node_hands_out_the_last_messages_of_an_actor() {
    let (system, node, counter) = watched(Some(100));
    let (client_system, client) = asker();
    let target = node.address().to_string();
    let events = client_system
        .block_on(client.recent(&target, &[counter.id()], 100))
        .expect("recent events");
    let seen: Vec<(EventKind, &str, Option<&str>)> = events
        .iter()
        .map(|e| (e.kind, e.method.as_str(), e.detail.as_deref()))
        .collect();
    // The answer is recorded before the caller sees it, so all four are in.
    assert_eq!(
        seen,
        [
            (EventKind::Tell, "incr", Some("2")),
            (EventKind::Tell, "incr", Some("3")),
            (EventKind::Ask, "get", Some("")),
            (EventKind::Reply, "get", Some("5")),
        ]
    );
    assert!(events.iter().all(|e| e.to.is_some() || e.from.is_some()));
    let last_two = client_system
        .block_on(client.recent(&target, &[], 2))
        .expect("recent events");
    assert_eq!(last_two.len(), 2);
    assert_eq!(last_two[1].kind, EventKind::Reply);
    // A node asked about itself reads its own ring.
    let own = system
        .block_on(node.recent(&target, &[], 100))
        .expect("own events");
    assert_eq!(own.len(), events.len());
    client.shutdown();
    node.shutdown();
    client_system.shutdown();
    system.shutdown();
}

#[test]
fn huge_requests_are_clamped_and_strangers_refused() {
    let (system, node, _counter) = watched(Some(3));
    let (client_system, client) = asker();
    let target = node.address().to_string();
    let all = client_system
        .block_on(client.recent(&target, &[], u32::MAX))
        .expect("recent events");
    assert_eq!(all.len(), 3, "no more than the ring holds");
    let stranger = ActorId::new(NodeId::from_u64(12_345), 9);
    match client_system.block_on(client.recent(&target, &[stranger], 10)) {
        Err(RecentRequestError::Refused(RecentError::UnknownActor(id))) => {
            assert_eq!(id, stranger);
        }
        other => panic!("expected an unknown actor, got {other:?}"),
    }
    match client_system.block_on(client.recent("tcp://nowhere", &[], 10)) {
        Err(RecentRequestError::Node(_)) => {}
        other => panic!("expected a bad address, got {other:?}"),
    }
    client.shutdown();
    node.shutdown();
    client_system.shutdown();
    system.shutdown();
}

struct Nothing;

impl Recorder for Nothing {
    fn record(&self, _event: Event) {}
}

#[test]
fn a_node_without_a_flight_recorder_says_so() {
    let (system, node, _counter) = watched(None);
    let (client_system, client) = asker();
    let target = node.address().to_string();
    let answer = client_system.block_on(client.recent(&target, &[], 10));
    assert!(
        matches!(
            answer,
            Err(RecentRequestError::Refused(RecentError::Off { .. }))
        ),
        "{answer:?}"
    );
    assert!(
        answer
            .err()
            .is_some_and(|e| e.to_string().contains("flight_recorder"))
    );
    node.shutdown();
    system.shutdown();

    // A system that already records keeps its recorder: the node starts
    // without a flight recorder and says so.
    let busy = System::builder().start().expect("system");
    busy.handle()
        .record(Arc::new(Nothing))
        .expect("the first recorder");
    let node = busy
        .block_on(
            Node::builder()
                .system(busy.handle())
                .cookie(COOKIE)
                .flight_recorder(10)
                .start(),
        )
        .expect("the node starts anyway");
    let answer = client_system.block_on(client.recent(&node.address().to_string(), &[], 10));
    assert!(
        matches!(
            answer,
            Err(RecentRequestError::Refused(RecentError::Off { .. }))
        ),
        "{answer:?}"
    );
    client.shutdown();
    node.shutdown();
    client_system.shutdown();
    busy.shutdown();
}
