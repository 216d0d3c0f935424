//! What the NATS tests share: a real `nats-server` on a free 127.0.0.1
//! port, stopped when the test ends, and a small cluster of nodes on it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actium::nats::{NatsNode, NatsNodeBuilder};
use actium::prelude::*;

/// How long a test waits for something that should happen far sooner
/// (a server to start, a node to be declared down) before it fails.
pub const LIMIT: Duration = Duration::from_secs(15);

/// A free port of 127.0.0.1, never one this process was given before.
///
/// The port is free when returned, not reserved: two tests running at once
/// could be given the same one before either server binds it. One server
/// then fails to start, the other's accepts both tests' clients, and when
/// its test ends the other test's nodes lose their server — likely what
/// CI once saw as "Connection refused" while a node joined. Remembering
/// the ports handed out rules that out within a test binary, and cargo
/// runs test binaries one at a time. Still possible, and rare: another
/// program's connection takes the port as its own end before the server
/// binds it; the server then exits, and [`NatsServer`] fails at once.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = free.local_addr().expect("bound").port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A `nats-server` process of this test's own, killed on drop.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
    /// JetStream's directory, removed on drop.
    store: PathBuf,
}

impl NatsServer {
    /// Starts `nats-server` (installed by `scripts/install-nats`) with
    /// JetStream on a free port of 127.0.0.1, with no monitoring port, and
    /// waits until it accepts connections.
    pub fn start() -> Self {
        NatsServer::with_args(free_port(), &[], true)
    }

    /// As [`start`](Self::start), on `port`, with more arguments, and
    /// with JetStream or not.
    pub fn with_args(port: u16, extra: &[String], jetstream: bool) -> Self {
        let store =
            std::env::temp_dir().join(format!("actium-nats-test-{}-{port}", std::process::id()));
        let mut args: Vec<String> = ["-a", "127.0.0.1", "-p", &port.to_string()]
            .iter()
            .map(ToString::to_string)
            .collect();
        if jetstream {
            args.extend([
                "-js".to_owned(),
                "-sd".to_owned(),
                store.display().to_string(),
            ]);
        }
        args.extend(extra.iter().cloned());
        let mut server = NatsServer {
            child: None,
            port,
            args,
            store,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("nats-server")
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs: install it with scripts/install-nats");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < LIMIT, "nats-server did not start");
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "nats-server exited ({status}) instead of listening on {}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, on the same port with the same arguments.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Three `nats-server`s routed into one NATS cluster (no JetStream),
/// each started and accepting connections.
pub fn three_servers() -> Vec<NatsServer> {
    let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let all_routes = routes
        .iter()
        .map(|port| format!("nats://127.0.0.1:{port}"))
        .collect::<Vec<_>>();
    (0..3)
        .map(|i| {
            let others: Vec<String> = (0..3)
                .filter(|&j| j != i)
                .map(|j| all_routes[j].clone())
                .collect();
            let extra = [
                "--cluster_name".to_owned(),
                "actium-test".to_owned(),
                "--cluster".to_owned(),
                all_routes[i].clone(),
                "--routes".to_owned(),
                others.join(","),
            ];
            NatsServer::with_args(free_port(), &extra, false)
        })
        .collect()
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
