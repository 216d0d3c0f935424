//! What the NATS tests share: a real `nats-server` on a 127.0.0.1 port
//! of its choosing, stopped when the test ends, and a small cluster of
//! nodes on it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actium::nats::{LocalServer, LocalServerBuilder, NatsNode, NatsNodeBuilder};
use actium::prelude::*;

/// How long a test waits for something that should happen far sooner
/// (a server to start, a node to be declared down) before it fails.
pub const LIMIT: Duration = Duration::from_secs(15);

/// A number no other call in this process returns: for names that must
/// not clash (a scratch directory, a token's id).
pub fn unique() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A port of 127.0.0.1 that refuses connections for as long as the
/// returned socket lives: bound, so that no server (nor an outgoing
/// connection) can take it, and not listening.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bound to a free port");
    let port = socket.local_addr().expect("bound").port();
    (socket, port)
}

/// A `nats-server` process of this test's own ([`LocalServer`]: on
/// ports it picks itself, restarted on the same ones), killed on drop,
/// with its JetStream directory, if any, removed.
pub struct NatsServer {
    server: LocalServer,
    /// JetStream's directory, removed on drop.
    store: Option<PathBuf>,
}

impl NatsServer {
    /// Starts `nats-server` (installed by `scripts/install-nats`) with
    /// JetStream on a port of 127.0.0.1 it picks, with no monitoring port,
    /// and waits until it listens.
    pub fn start() -> Self {
        NatsServer::with_args(&[], true)
    }

    /// As [`start`](Self::start), with more arguments, and with JetStream
    /// or not.
    pub fn with_args(extra: &[String], jetstream: bool) -> Self {
        NatsServer::started(LocalServer::builder(), extra, jetstream)
    }

    fn started(mut builder: LocalServerBuilder, extra: &[String], jetstream: bool) -> Self {
        let store = jetstream.then(|| {
            std::env::temp_dir().join(format!(
                "actium-nats-test-{}-{}",
                std::process::id(),
                unique()
            ))
        });
        if let Some(store) = &store {
            builder = builder.jetstream(store);
        }
        for arg in extra {
            builder = builder.arg(arg);
        }
        let server = builder
            .ready_within(LIMIT)
            .start()
            .unwrap_or_else(|error| panic!("{error}"));
        NatsServer { server, store }
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Starts the server again, on the same ports with the same arguments.
    pub fn restart(&mut self) {
        self.server
            .restart()
            .unwrap_or_else(|error| panic!("{error}"));
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        // Before its store goes.
        self.server.stop();
        if let Some(store) = &self.store {
            let _ = std::fs::remove_dir_all(store);
        }
    }
}

/// Three `nats-server`s routed into one NATS cluster (no JetStream),
/// each started and listening. Each routes to those started before it;
/// the servers tell each other of the rest.
pub fn three_servers() -> Vec<NatsServer> {
    let mut servers: Vec<NatsServer> = Vec::new();
    for _ in 0..3 {
        let mut builder = LocalServer::builder().cluster("actium-test");
        for server in &servers {
            builder = builder.route(server.server.route_url().expect("a clustered server"));
        }
        servers.push(NatsServer::started(builder, &[], false));
    }
    servers
}

/// Waits until `done` holds, checking every 20 ms, for at most [`LIMIT`];
/// panics with `what` if it never does.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < LIMIT, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `n` nodes of the cluster `test` on one server, each with a system of
/// its own (as separate processes would have).
pub struct Cluster {
    nodes: Vec<(NatsNode, System)>,
    pub server: NatsServer,
}

impl Cluster {
    pub fn start(n: usize) -> Self {
        Cluster::with_max_frame(n, actium::nats::DEFAULT_MAX_FRAME)
    }

    /// As [`start`](Self::start), with nodes whose largest frame is `max_frame`.
    pub fn with_max_frame(n: usize, max_frame: usize) -> Self {
        let beats = vec![None; n];
        Cluster::configured(&beats, max_frame)
    }

    /// One node per entry, each with its heartbeat interval and timeout
    /// (`None`: the defaults).
    #[allow(dead_code, reason = "not every test binary uses it")]
    pub fn with_heartbeats(beats: &[Option<(Duration, Duration)>]) -> Self {
        Cluster::configured(beats, actium::nats::DEFAULT_MAX_FRAME)
    }

    fn configured(beats: &[Option<(Duration, Duration)>], max_frame: usize) -> Self {
        Cluster::on(NatsServer::start(), beats.len(), |i, builder| {
            let builder = builder.max_frame(max_frame);
            match beats[i] {
                Some((interval, timeout)) => builder.heartbeat(interval, timeout),
                None => builder,
            }
        })
    }

    /// `n` nodes of the cluster `test` on `server`, each configured by
    /// `configure` (given the node's index and a builder with the server,
    /// the cluster and its system set).
    pub fn on(
        server: NatsServer,
        n: usize,
        configure: impl Fn(usize, NatsNodeBuilder) -> NatsNodeBuilder,
    ) -> Self {
        let nodes = (0..n)
            .map(|i| {
                let system = System::builder().start().expect("a test system starts");
                let builder = NatsNode::builder()
                    .server(server.url())
                    .cluster("test")
                    .system(system.handle());
                let node = system
                    .block_on(configure(i, builder).start())
                    .expect("a test node joins");
                (node, system)
            })
            .collect();
        Cluster { nodes, server }
    }

    /// A new node of the cluster, on its server, with a system of its own;
    /// the caller shuts both down.
    pub fn join(&self) -> (NatsNode, System) {
        let system = System::builder().start().expect("a test system starts");
        let builder = NatsNode::builder()
            .server(self.server.url())
            .cluster("test")
            .system(system.handle());
        let node = system.block_on(builder.start()).expect("a test node joins");
        (node, system)
    }

    pub fn node(&self, i: usize) -> &NatsNode {
        &self.nodes[i].0
    }

    pub fn system(&self, i: usize) -> &System {
        &self.nodes[i].1
    }

    /// Runs `future` inside node `i`'s system.
    pub fn run<F: std::future::Future>(&self, i: usize, future: F) -> F::Output {
        self.nodes[i].1.block_on(future)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (node, system) in self.nodes.drain(..) {
            node.shutdown();
            system.shutdown();
        }
    }
}
