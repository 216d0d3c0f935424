//! Several nodes in one process, one system each, for remote tests that do
//! not need process isolation.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actium::System;
use actium::prelude::*;
use actium::remote::Node;
use tokio::sync::Notify;

/// The cookie test nodes share.
pub const COOKIE: &str = "test-cookie";

/// A system from `system` and a node on it named `name`, with the test
/// cookie, as `node` sets it up further.
pub fn start_node(
    system: actium::SystemBuilder,
    name: &str,
    node: impl FnOnce(actium::remote::NodeBuilder) -> actium::remote::NodeBuilder,
) -> (System, Node) {
    let system = system.start().expect("a test system starts");
    let builder = Node::builder()
        .system(system.handle())
        .name(name)
        .cookie(COOKIE);
    let node = system
        .block_on(node(builder).start())
        .expect("a test node starts");
    (system, node)
}

/// `n` systems in `mode`, each with a node on 127.0.0.1 and an ephemeral
/// port. Shuts them down when dropped.
pub struct Cluster {
    nodes: Vec<(Node, System)>,
}

impl Cluster {
    pub fn start(n: usize, mode: Mode) -> Self {
        let nodes = (0..n)
            .map(|i| {
                let (system, node) =
                    start_node(System::builder().mode(mode), &format!("n{i}"), |node| node);
                (node, system)
            })
            .collect();
        Cluster { nodes }
    }

    pub fn node(&self, i: usize) -> &Node {
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

/// A TCP relay between a node and the address it dials, that can be made
/// to stop relaying without closing anything: a peer that hangs or a
/// network that drops packets, which only heartbeats can detect.
pub struct Relay {
    pub address: String,
    stalled: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The sockets of the connections relayed so far, to cut them.
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    /// Relays connections to `target` (`host:port`).
    pub fn start(target: String) -> Self {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let listener = TcpListener::bind("127.0.0.1:0").expect("relay binds");
        let address = format!("tcp://{}", listener.local_addr().expect("bound"));
        let stalled = Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sockets = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                if let (Ok(a), Ok(b)) = (client.try_clone(), server.try_clone()) {
                    sockets.lock().unwrap().extend([a, b]);
                }
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    ),
                    (server, client),
                ] {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        let _ = from.set_read_timeout(Some(Duration::from_millis(20)));
                        let mut buffer = [0_u8; 16 * 1024];
                        loop {
                            if flag.load(Ordering::SeqCst) {
                                // Hold the sockets open, relay nothing.
                                std::thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                            match from.read(&mut buffer) {
                                Ok(0) => return,
                                Ok(n) => {
                                    if to.write_all(&buffer[..n]).is_err() {
                                        return;
                                    }
                                }
                                Err(error)
                                    if matches!(
                                        error.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => return,
                            }
                        }
                    });
                }
            }
        });
        Relay {
            address,
            stalled,
            open,
        }
    }

    /// Closes every connection relayed so far (new ones are relayed).
    pub fn cut(&self) {
        for socket in self.open.lock().unwrap().drain(..) {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Stops relaying, leaving the connections open.
    pub fn stall(&self) {
        self.stalled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The warnings one test caused, read from the binary's one log.
///
/// A test binary has one global subscriber, and its tests run in parallel,
/// so two things keep a test to its own lines: a capture only reads what
/// was logged after it began, and a test's needles name something only its
/// own connection has (the socket address a node logs as `from`, or the
/// address it logs as `peer`; see [`field`]).
pub struct Logs {
    start: usize,
    shared: Arc<Shared>,
}

struct Shared {
    text: Mutex<Vec<u8>>,
    grew: Notify,
}

impl Logs {
    /// Starts capturing `WARN` and above, from now on. The first capture
    /// of a binary installs the global subscriber.
    pub fn capture() -> Logs {
        static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
        let shared = SHARED
            .get_or_init(|| {
                let shared = Arc::new(Shared {
                    text: Mutex::new(Vec::new()),
                    grew: Notify::new(),
                });
                let sink = shared.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::WARN)
                    .with_ansi(false)
                    .with_writer(move || Capture(sink.clone()))
                    .finish();
                let _ = tracing::subscriber::set_global_default(subscriber);
                shared
            })
            .clone();
        // Each event is written whole under the lock, so this is the
        // start of a line.
        let start = shared.text.lock().unwrap().len();
        Logs { start, shared }
    }

    /// The lines logged since the capture began (by any test).
    pub fn lines(&self) -> Vec<String> {
        let text = self.shared.text.lock().unwrap();
        String::from_utf8_lossy(&text[self.start..])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits up to `limit` for a line logged since the capture began that
    /// holds every one of `needles`.
    pub async fn logged(&self, limit: Duration, needles: &[&str]) -> bool {
        self.logged_where(limit, |line| {
            needles.iter().all(|needle| line.contains(needle))
        })
        .await
    }

    /// Waits up to `limit` for a line logged since the capture began for
    /// which `wanted` holds. A line is given with a space after it, so
    /// that a [`field`] matches at its end too.
    pub async fn logged_where(&self, limit: Duration, wanted: impl Fn(&str) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        // Where this wait has read to: each wake reads only what is new
        // (a chatty test can log tens of thousands of lines).
        let mut seen = self.start;
        loop {
            // Registered before looking, so a line written in between
            // still wakes this wait.
            let grew = self.shared.grew.notified();
            tokio::pin!(grew);
            grew.as_mut().enable();
            let new = {
                let text = self.shared.text.lock().unwrap();
                let new = String::from_utf8_lossy(&text[seen..]).into_owned();
                seen = text.len();
                new
            };
            if new.lines().any(|line| wanted(&format!("{line} "))) {
                return true;
            }
            if tokio::time::timeout_at(deadline, grew).await.is_err() {
                return false;
            }
        }
    }
}

/// A needle for the logged field `name=value`, that does not also match a
/// longer value (`from=127.0.0.1:4000` inside `from=127.0.0.1:40001`).
pub fn field(name: &str, value: &str) -> String {
    format!("{name}={value} ")
}

struct Capture(Arc<Shared>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.text.lock().unwrap().extend_from_slice(bytes);
        self.0.grew.notify_waiters();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A relay of one TCP connection to a node that tells which local address
/// it reaches the node from: what the node logs as `from` for that
/// connection, so that a test can tell its own lines from other tests'.
pub struct Tap {
    /// Where to connect instead of the node: `tcp://127.0.0.1:<port>`.
    pub address: String,
    /// The address the node sees the connection come from.
    pub from: String,
}

impl Tap {
    /// Connects to `target` (`host:port`) now, and relays the first
    /// connection made to [`address`](Tap::address) over that socket; an
    /// end of either side is passed on to the other.
    pub fn start(target: String) -> Self {
        use std::net::{Shutdown, TcpListener, TcpStream};

        fn pipe(mut from: TcpStream, mut to: TcpStream) {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        }

        let server = TcpStream::connect(&target).expect("the tap reaches the node");
        let from = server.local_addr().expect("connected").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("the tap binds");
        let address = format!("tcp://{}", listener.local_addr().expect("bound"));
        std::thread::spawn(move || {
            let Ok((client, _)) = listener.accept() else {
                return;
            };
            let (Ok(client_in), Ok(server_out)) = (client.try_clone(), server.try_clone()) else {
                return;
            };
            std::thread::spawn(move || pipe(client_in, server_out));
            pipe(server, client);
        });
        Tap { address, from }
    }
}

/// A postcard varint: how a hostile test writes a declared length.
pub fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}
