//! What the cross-process tests share: the actors a test node hosts, and a
//! handle on a test node process.
//!
//! `actium-test-node` (this crate's binary) starts a node on 127.0.0.1
//! with an ephemeral port, registers a [`Sink`] as `sink`, a [`Counter`]
//! as `counter` and a [`Relay`] as `relay`, allows spawning counters, prints
//! `listening <address>` and serves until its standard input closes or it
//! is killed. [`NodeProcess`] starts one and kills it when dropped, so no
//! test leaves a process behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use actium::prelude::*;
use serde::{Deserialize, Serialize};

/// The cookie test nodes share.
pub const COOKIE: &str = "node-tests";

/// The NATS cluster test nodes meet in when started with a NATS URL.
pub const NATS_CLUSTER: &str = "node-tests";

/// Counts sequence numbers and checks they arrive in order.
#[derive(Default)]
pub struct Sink {
    count: u64,
    next: u64,
    out_of_order: u64,
}

/// What a [`Sink`] has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Messages received.
    pub count: u64,
    /// Messages whose number was not the one expected next.
    pub out_of_order: u64,
}

#[actor(remote)]
impl Sink {
    /// Records message `seq`; numbers are expected to run 0, 1, 2, ...
    #[tell]
    pub fn push(&mut self, seq: u64) {
        if seq != self.next {
            self.out_of_order += 1;
        }
        self.next = seq + 1;
        self.count += 1;
    }

    /// What arrived so far.
    #[ask]
    pub fn summary(&self) -> Summary {
        Summary {
            count: self.count,
            out_of_order: self.out_of_order,
        }
    }
}

/// A counter that can also wait, to hold a call open.
#[derive(Default, Serialize, Deserialize)]
pub struct Counter {
    n: u64,
}

#[actor(remote)]
impl Counter {
    /// Adds one.
    #[tell]
    pub fn incr(&mut self) {
        self.n += 1;
    }

    /// The count.
    #[ask]
    pub fn get(&self) -> u64 {
        self.n
    }

    /// Answers after `millis` milliseconds.
    #[ask]
    pub async fn wait(&self, millis: u64) -> u64 {
        actium::sleep(Duration::from_millis(millis)).await;
        millis
    }

    /// The process id of the node hosting it.
    #[ask]
    pub fn pid(&self) -> u32 {
        std::process::id()
    }
}

/// Calls counters it is handed, wherever they live.
pub struct Relay;

#[actor(remote)]
impl Relay {
    /// Increments `counter` and returns its new count.
    #[ask]
    pub async fn bump(&self, counter: ActorRef<Counter>) -> Result<u64, String> {
        counter.incr().map_err(|e| e.to_string())?;
        counter.get().await.map_err(|e| e.to_string())
    }
}

/// A running `actium-test-node` process, killed when dropped.
pub struct NodeProcess {
    child: Child,
    /// Kept open: the node exits when it closes.
    _stdin: Option<ChildStdin>,
    /// The node's address, `tcp://127.0.0.1:<port>`.
    pub address: String,
}

impl NodeProcess {
    /// Starts the test node binary at `binary` and waits for its address.
    ///
    /// # Panics
    ///
    /// If the process cannot start or does not print its address (a test
    /// failure).
    pub fn start(binary: &str) -> Self {
        Self::start_on(binary, 0)
    }

    /// Like [`start`](NodeProcess::start), listening on `port` (0: any).
    ///
    /// # Panics
    ///
    /// As [`start`](NodeProcess::start).
    pub fn start_on(binary: &str, port: u16) -> Self {
        Self::try_start_on(binary, port)
            .unwrap_or_else(|| panic!("the test node did not start on port {port}"))
    }

    /// Like [`start_on`](NodeProcess::start_on), but `None` if the node
    /// exits before it listens: another process holds `port`, say.
    ///
    /// # Panics
    ///
    /// If the process cannot start or prints something else first (a
    /// test failure).
    pub fn try_start_on(binary: &str, port: u16) -> Option<Self> {
        Self::try_start_with(binary, &[COOKIE, &port.to_string()])
    }

    /// Starts the test node binary at `binary` as a node of the cluster
    /// [`NATS_CLUSTER`] on the NATS server at `server`, and waits for its
    /// address (`nats://node-tests/<node id>`).
    ///
    /// # Panics
    ///
    /// As [`start`](NodeProcess::start).
    pub fn start_nats(binary: &str, server: &str) -> Self {
        Self::try_start_with(binary, &[server])
            .unwrap_or_else(|| panic!("the test node did not join the cluster at {server}"))
    }

    fn try_start_with(binary: &str, args: &[&str]) -> Option<Self> {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test node starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the test node's output is readable");
        if read == 0 {
            // It exited without listening (its error is on stderr).
            let _ = child.wait();
            return None;
        }
        let address = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected first line from the test node: {line:?}"))
            .to_owned();
        let stdin = child.stdin.take();
        Some(NodeProcess {
            child,
            _stdin: stdin,
            address,
        })
    }

    /// The URL of `name` on this node.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.address)
    }

    /// The port the node listens on.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or(0)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
