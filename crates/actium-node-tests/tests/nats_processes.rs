//! Nodes in separate processes meeting through a NATS server (a
//! `nats-server` of the test's own: `scripts/install-nats` installs it):
//! one million one-way messages arrive complete and in order, and a killed
//! node process is found by its missing heartbeats.

use std::time::{Duration, Instant};

use actium::nats::{LocalServer, NatsNode};
use actium::{Error, System};
use actium_node_tests::{Counter, NATS_CLUSTER, NodeProcess, Sink, Summary};

const NODE: &str = env!("CARGO_BIN_EXE_actium-test-node");

/// How long a test waits for an event that should come far sooner.
const LIMIT: Duration = Duration::from_secs(30);

/// This test process as a node of the test cluster on `server`.
fn local_node(server: &LocalServer) -> (System, NatsNode) {
    let system = System::builder().start().expect("a system starts");
    let builder = NatsNode::builder()
        .server(server.url())
        .cluster(NATS_CLUSTER)
        .system(system.handle());
    let node = system.block_on(builder.start()).expect("the node joins");
    (system, node)
}

#[test]
fn one_million_one_way_messages_through_nats_arrive_complete_and_in_order() {
    const N: u64 = 1_000_000;
    let server = LocalServer::start().expect("nats-server starts");
    let remote = NodeProcess::start_nats(NODE, &server.url());
    let (system, node) = local_node(&server);
    system.block_on(async {
        let sink = node.lookup::<Sink>(&remote.url("sink")).await.unwrap();
        let started = Instant::now();
        // Unpaced: the nodes' flow control keeps the sender within the
        // receiver's window, and the tells wait in the sender's outbox.
        for seq in 0..N {
            sink.push(seq).unwrap();
        }
        let summary = sink
            .summary()
            .timeout(Duration::from_secs(300))
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(
            summary,
            Summary {
                count: N,
                out_of_order: 0
            }
        );
        let stats = node.stats();
        assert_eq!((stats.gaps, stats.slow_consumer_events), (0, 0));
        eprintln!(
            "{N} one-way messages through NATS across processes in {elapsed:?} ({:.0} per second)",
            N as f64 / elapsed.as_secs_f64()
        );
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn a_killed_node_process_is_found_by_its_missing_heartbeats() {
    let server = LocalServer::start().expect("nats-server starts");
    let mut remote = NodeProcess::start_nats(NODE, &server.url());
    let (system, node) = local_node(&server);
    system.block_on(async {
        let counter = node
            .lookup::<Counter>(&remote.url("counter"))
            .await
            .unwrap();
        assert_eq!(counter.pid().await.unwrap(), remote.pid());
        // A call held open on the node when it dies.
        let waiting = tokio::spawn(counter.wait(60_000).timeout(LIMIT));
        actium::sleep(Duration::from_millis(100)).await;
        remote.kill();
        let killed = Instant::now();
        let outcome = waiting.await.expect("the caller's task ends");
        assert!(
            matches!(outcome, Err(Error::NodeDown { .. })),
            "{outcome:?}"
        );
        eprintln!(
            "the killed node was declared down after {:?}",
            killed.elapsed()
        );
        // Later calls fail at once.
        let later = counter.get().timeout(LIMIT).await;
        assert!(matches!(later, Err(Error::NodeDown { .. })), "{later:?}");
    });
    node.shutdown();
    system.shutdown();
}
