//! What the NATS tests share: a real `nats-server` on a free 127.0.0.1
//! port, stopped when the test ends, and a small cluster of nodes on it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actium::nats::NatsNode;
use actium::prelude::*;

/// How long a test waits for something that should happen far sooner
/// (a server to start, a node to be declared down) before it fails.
pub const LIMIT: Duration = Duration::from_secs(15);

/// A `nats-server` process of this test's own, killed on drop.
pub struct NatsServer {
    child: Child,
    port: u16,
}

impl NatsServer {
    /// Starts `nats-server` (installed by `scripts/install-nats`) on a
    /// free port of 127.0.0.1, with no monitoring port, and waits until it
    /// accepts connections.
    pub fn start() -> Self {
        let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = free.local_addr().expect("bound").port();
        drop(free);
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs: install it with scripts/install-nats");
        let server = NatsServer { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < LIMIT, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
        let server = NatsServer::start();
        let nodes = beats
            .iter()
            .map(|beat| {
                let system = System::builder().start().expect("a test system starts");
                let mut builder = NatsNode::builder()
                    .server(server.url())
                    .cluster("test")
                    .max_frame(max_frame)
                    .system(system.handle());
                if let Some((interval, timeout)) = *beat {
                    builder = builder.heartbeat(interval, timeout);
                }
                let node = system.block_on(builder.start()).expect("a test node joins");
                (node, system)
            })
            .collect();
        Cluster { nodes, server }
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
