//! What the NATS tests share: a real `nats-server` on a 127.0.0.1 port
//! of its choosing, stopped when the test ends, and a small cluster of
//! nodes on it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use actium::nats::{NatsNode, NatsNodeBuilder};
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

/// A `nats-server` process of this test's own, killed on drop.
///
/// The server picks its ports itself (`-p -1`, and `-1` in a cluster
/// URL) and names them in its log, which is read here. A port chosen
/// first by binding and letting go of it could be taken before the server
/// binds it: by another test's server, or by an outgoing connection given
/// it as its own end; the server would then exit, or tests would share
/// it. A restart keeps the ports the first start was given.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    /// The server's arguments, with the ports of its first start in place
    /// of `-1` once it has started.
    args: Vec<String>,
    /// JetStream's directory, removed on drop.
    store: PathBuf,
}

/// What a server's log says it listens on.
#[derive(Default)]
struct Listening {
    clients: Option<u16>,
    routes: Option<u16>,
}

/// Where the client port's value lies in a server's arguments (after
/// `-a 127.0.0.1 -p`).
const PORT_AT: usize = 3;

impl NatsServer {
    /// Starts `nats-server` (installed by `scripts/install-nats`) with
    /// JetStream on a port of 127.0.0.1 it picks, with no monitoring port,
    /// and waits until it listens.
    pub fn start() -> Self {
        NatsServer::with_args(&[], true)
    }

    /// As [`start`](Self::start), with more arguments, and with JetStream
    /// or not. A `--cluster` URL whose port is `-1` gets a port the server
    /// picks, as the client port does.
    pub fn with_args(extra: &[String], jetstream: bool) -> Self {
        let store = std::env::temp_dir().join(format!(
            "actium-nats-test-{}-{}",
            std::process::id(),
            unique()
        ));
        let mut args: Vec<String> = ["-a", "127.0.0.1", "-p", "-1"]
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
            port: 0,
            args,
            store,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut child = Command::new("nats-server")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nats-server runs: install it with scripts/install-nats");
        let log = child.stderr.take().expect("the log is piped");
        self.child = Some(child);
        let cluster = self.args.iter().position(|arg| arg == "--cluster");
        let (told, heard) = mpsc::channel();
        std::thread::spawn(move || read_log(log, &told));
        let started = Instant::now();
        let mut listening = Listening::default();
        // The log so far, for the failure's message.
        let mut said = Vec::new();
        while listening.clients.is_none() || (cluster.is_some() && listening.routes.is_none()) {
            let left = LIMIT.saturating_sub(started.elapsed());
            match heard.recv_timeout(left) {
                Ok(Heard::Clients(port)) => listening.clients = Some(port),
                Ok(Heard::Routes(port)) => listening.routes = Some(port),
                Ok(Heard::Line(line)) => said.push(line),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("nats-server did not start; its log:\n{}", said.join("\n"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.as_mut().map(Child::wait);
                    panic!(
                        "nats-server exited ({status:?}) before it listened; its log:\n{}",
                        said.join("\n")
                    );
                }
            }
        }
        self.port = listening.clients.expect("heard");
        // A restart takes the same ports: clients and routes know them.
        self.args[PORT_AT] = self.port.to_string();
        if let (Some(at), Some(routes)) = (cluster, listening.routes) {
            self.args[at + 1] = format!("nats://127.0.0.1:{routes}");
        }
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again, on the same ports with the same arguments.
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

    /// The URL other servers route to, in a cluster.
    fn route_url(&self) -> String {
        let at = self.args.iter().position(|arg| arg == "--cluster");
        self.args[at.expect("a clustered server") + 1].clone()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// A line of a server's log: a port it listens on, or anything else.
enum Heard {
    Clients(u16),
    Routes(u16),
    Line(String),
}

/// Reads a server's log to its end (so that the server never blocks on a
/// full pipe, nor dies writing to a closed one), sending each line, the
/// ports it says it listens on read out.
fn read_log(log: ChildStderr, told: &mpsc::Sender<Heard>) {
    let mut log = BufReader::new(log);
    let mut line = Vec::new();
    loop {
        line.clear();
        match log.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => break,
        }
        let line = String::from_utf8_lossy(&line);
        let port = |what: &str| -> Option<u16> {
            let (_, address) = line.split_once(what)?;
            address.trim().rsplit_once(':')?.1.parse().ok()
        };
        let heard = if let Some(port) = port("Listening for client connections on ") {
            Heard::Clients(port)
        } else if let Some(port) = port("Listening for route connections on ") {
            Heard::Routes(port)
        } else {
            Heard::Line(line.trim_end().to_owned())
        };
        // Nobody listens once the server has started: read on all the same.
        let _ = told.send(heard);
    }
    let _ = std::io::copy(&mut log, &mut std::io::sink());
}

/// Three `nats-server`s routed into one NATS cluster (no JetStream),
/// each started and listening. Each routes to those started before it;
/// the servers tell each other of the rest.
pub fn three_servers() -> Vec<NatsServer> {
    let mut servers: Vec<NatsServer> = Vec::new();
    for _ in 0..3 {
        let mut extra = [
            "--cluster_name",
            "actium-test",
            "--cluster",
            "nats://127.0.0.1:-1",
        ]
        .map(str::to_owned)
        .to_vec();
        if !servers.is_empty() {
            let routes: Vec<String> = servers.iter().map(NatsServer::route_url).collect();
            extra.extend(["--routes".to_owned(), routes.join(",")]);
        }
        servers.push(NatsServer::with_args(&extra, false));
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
