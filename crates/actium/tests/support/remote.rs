//! Several nodes in one process, one system each, for remote tests that do
//! not need process isolation.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use actium::System;
use actium::prelude::*;
use actium::remote::Node;

/// The cookie test nodes share.
pub const COOKIE: &str = "test-cookie";

/// `n` systems in `mode`, each with a node on 127.0.0.1 and an ephemeral
/// port. Shuts them down when dropped.
pub struct Cluster {
    nodes: Vec<(Node, System)>,
}

impl Cluster {
    pub fn start(n: usize, mode: Mode) -> Self {
        let nodes = (0..n)
            .map(|i| {
                let system = System::builder()
                    .mode(mode)
                    .start()
                    .expect("a test system starts");
                let node = system
                    .block_on(
                        Node::builder()
                            .system(system.handle())
                            .name(format!("n{i}"))
                            .cookie(COOKIE)
                            .start(),
                    )
                    .expect("a test node starts");
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
        use std::time::Duration;

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

/// Everything the test binary logs at `WARN` and above, from the first
/// call on: installs a global subscriber that captures it (once per test
/// binary), for tests that check what a node says about a peer it refused.
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
