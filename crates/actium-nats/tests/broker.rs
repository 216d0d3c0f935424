//! The broker's own faults, with real `nats-server` processes: a server
//! restarted mid-run, one server of a three-server NATS cluster killed
//! mid-run, and a node that cannot keep up with its messages (NATS' slow
//! consumer).

mod support;

use std::time::Duration;

use actium::Error;
use actium::nats::NatsNode;
use actium::prelude::*;
use support::{Cluster, LIMIT, NatsServer, three_servers, wait_until};

#[derive(Default)]
struct Store {
    lines: Vec<u64>,
}

#[actor(remote)]
impl Store {
    #[tell]
    fn note(&mut self, line: u64) {
        self.lines.push(line);
    }

    #[ask]
    fn lines(&self) -> Vec<u64> {
        self.lines.clone()
    }

    #[ask]
    fn ping(&self) -> u8 {
        1
    }

    #[ask]
    async fn slow(&self, millis: u64) -> u64 {
        actium::sleep(Duration::from_millis(millis)).await;
        millis
    }
}

/// Registers a store on node 0 as `name` and returns node 1's reference
/// to it.
fn remote_store(cluster: &Cluster, name: &str) -> ActorRef<Store> {
    let url = cluster.node(0).url(name);
    cluster.run(0, async {
        cluster
            .node(0)
            .register(name, &Store::default().spawn())
            .unwrap();
    });
    cluster
        .run(1, cluster.node(1).lookup::<Store>(&url))
        .unwrap()
}

fn expect_node_down<T: std::fmt::Debug>(result: Result<T, Error>, about: &str) -> String {
    match result {
        Err(Error::NodeDown { reason, .. }) => {
            assert!(reason.contains(about), "{reason}");
            reason
        }
        other => panic!("expected NodeDown ({about}), got {other:?}"),
    }
}

/// Whether a ping from node 1 is answered within a second.
fn ping(cluster: &Cluster, store: &ActorRef<Store>) -> bool {
    cluster
        .run(1, store.ping().timeout(Duration::from_secs(1)))
        .is_ok()
}

/// A call from node 1 that waits a minute for its answer, sent now.
fn waiting_call(cluster: &Cluster, sleeper: &ActorRef<Store>) -> actium::Ask<u64> {
    // The call is sent when it is made, inside node 1's system.
    let [call] = cluster.run(1, async { [sleeper.slow(60_000)] });
    call
}

#[test]
fn calls_fail_promptly_while_the_server_is_down_and_work_again_after_it_restarts() {
    let mut cluster = Cluster::start(2);
    let store = remote_store(&cluster, "store");
    // Another actor answers slowly: a call waits on it.
    let sleeper = remote_store(&cluster, "sleeper");
    let named = cluster.run(0, async { Store::default().spawn() });
    cluster
        .run(0, cluster.node(0).register_global("named", &named))
        .unwrap();
    let pending = waiting_call(&cluster, &sleeper);

    cluster.server.stop();
    // The call waiting for an answer fails, long before its deadline.
    let failed = cluster.run(1, async { tokio::time::timeout(LIMIT, pending).await });
    expect_node_down(
        failed.expect("the outage ends the call"),
        "connection to NATS",
    );
    // New calls fail at once, with the same typed error.
    wait_until("node 1 knows it is cut off", || {
        cluster.node(1).stats().disconnects == 1
    });
    expect_node_down(cluster.run(1, store.ping()), "connection to NATS");
    // The outage outlasts the heartbeat timeout: node 1 declares node 0
    // down, as node 0 does node 1.
    wait_until("node 0 is declared down", || !store.is_alive());

    cluster.server.restart();
    // Without restarting either node, calls work again: both reconnect,
    // subscribe again and hear each other's heartbeats.
    wait_until("calls work again", || ping(&cluster, &store));
    assert!(store.is_alive());
    // The restarted server lost the names (kept in memory); node 0 has
    // claimed its name again.
    wait_until("the cluster-wide name is back", || {
        cluster
            .run(1, cluster.node(1).lookup::<Store>("nats://test/named"))
            .is_ok()
    });
    let found = cluster
        .run(1, cluster.node(1).lookup::<Store>("nats://test/named"))
        .unwrap();
    assert_eq!(cluster.run(1, found.ping()).unwrap(), 1);
    assert_eq!(cluster.node(0).stats().disconnects, 1);
}

#[test]
fn a_nats_cluster_losing_a_server_fails_over_and_keeps_order() {
    let mut servers = three_servers();
    let urls: Vec<String> = servers.iter().map(NatsServer::url).collect();
    let first = servers.remove(0);
    let mut cluster = Cluster::on(first, 2, |_, builder| builder.servers(urls.clone()));
    // Routes between the servers form after they start: wait until node 1
    // reaches node 0, wherever each is connected.
    let url = cluster.node(0).url("store");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("store", &Store::default().spawn())
            .unwrap();
    });
    let mut store = None;
    wait_until("the nodes reach each other across the routes", || {
        store = cluster.run(1, cluster.node(1).lookup::<Store>(&url)).ok();
        store.is_some()
    });
    let store = store.expect("found");

    // Node 1 tells 0, 1, 2, … while the server it is connected to dies.
    let victim = cluster.node(1).server();
    let mut sent = Vec::new();
    let mut refused = 0;
    for line in 0..1500_u64 {
        if line == 300 {
            let port = victim.rsplit(':').next().and_then(|port| port.parse().ok());
            match servers
                .iter_mut()
                .find(|server| Some(server.port()) == port)
            {
                Some(server) => server.stop(),
                None => cluster.server.stop(),
            }
        }
        match cluster.run(1, async { store.note(line) }) {
            Ok(()) => sent.push(line),
            Err(Error::NodeDown { .. }) => refused += 1,
            Err(error) => panic!("unexpected error: {error}"),
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_ne!(cluster.node(1).server(), victim, "node 1 failed over");
    // The last tells and an ask after them arrive: the calls continue.
    let mut lines = Vec::new();
    wait_until("an ask after the failover is answered", || {
        match cluster.run(1, store.lines()) {
            Ok(got) => {
                lines = got;
                true
            }
            Err(_) => false,
        }
    });
    // In order, nothing that was not sent, and everything sent after the
    // failover settled.
    assert!(lines.windows(2).all(|pair| pair[0] < pair[1]), "order kept");
    assert!(lines.iter().all(|line| sent.binary_search(line).is_ok()));
    let tail = &sent[sent.len() - 200..];
    assert!(tail.iter().all(|line| lines.binary_search(line).is_ok()));
    assert!(sent.len() + refused == 1500);
}

#[test]
fn a_slow_consumer_is_an_error_to_waiting_callers_not_silent_loss() {
    // Node 1 lets at most 4 messages wait in a subscription.
    let cluster = Cluster::on(NatsServer::start(), 2, |i, builder| {
        if i == 1 {
            builder.subscription_capacity(4)
        } else {
            builder
        }
    });
    let store = remote_store(&cluster, "store");
    // Another actor answers slowly: a call waits on it.
    let sleeper = remote_store(&cluster, "sleeper");
    let pending = waiting_call(&cluster, &sleeper);
    // A flood onto node 1's subject, faster than it can take.
    let subject = format!("actium.test.node.{}", cluster.node(1).id());
    cluster.run(0, async {
        let flooder = async_nats::connect(cluster.server.url()).await.unwrap();
        for _ in 0..5_000 {
            flooder
                .publish(subject.clone(), "flood".into())
                .await
                .unwrap();
        }
        flooder.flush().await.unwrap();
    });
    let failed = cluster.run(1, async { tokio::time::timeout(LIMIT, pending).await });
    expect_node_down(failed.expect("the overflow ends the call"), "slow consumer");
    assert!(cluster.node(1).stats().slow_consumer_events > 0);
    // The node keeps serving once the flood has passed.
    wait_until("calls work again", || ping(&cluster, &store));
    let node: &NatsNode = cluster.node(1);
    assert!(
        node.stats().dropped_messages > 0,
        "the flood was dropped and counted"
    );
}
