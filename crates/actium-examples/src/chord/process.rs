//! One Chord node per process: the same [`ChordNode`] actor, on a node of
//! its own, called by the other nodes over TCP or through a NATS server
//! ([`Meeting`]).
//!
//! - [`serve`] is a node process's `main` (the `chord_node` binary, and the
//!   `chord` example's hidden `node` mode): it starts an Actium
//!   node (listening on 127.0.0.1, or on a NATS server), spawns a `ChordNode` whose identifier is the
//!   hash of the node's address, registers it as [`NAME`], joins the ring
//!   through a known node's URL if given, prints `listening <address>`, and
//!   serves until its standard input closes or it is killed.
//! - [`NodeProcess`] starts such a process and kills it when dropped.
//! - [`ProcessRing`] starts a ring of them and drives it through a
//!   [`Ring`]: it learns each node's identifier by asking it, checks every
//!   node against the true ring, and kills processes instead of actors.
//!
//! References between the nodes are `ActorRef<ChordNode>`s inside
//! [`Peer`]s, which cross processes as they are: node B can call node C
//! with a reference it got from node A.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use actium::prelude::*;
use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;

use super::id::Id;
use super::meeting::{AnyNode, Meeting};
use super::node::{ChordNode, Config, LookupError, Peer};
use super::ring::{Ring, RingError};

/// The name each node process registers its [`ChordNode`] under: the
/// node at `tcp://127.0.0.1:4000` is `tcp://127.0.0.1:4000/chord`, the
/// node `nats://chord/<id>` is `nats://chord/<id>/chord`.
pub const NAME: &str = "chord";

/// The cookie Chord node processes authenticate each other with, unless
/// told otherwise.
pub const COOKIE: &str = "actium-chord";

/// Where a node process listens unless told otherwise: 127.0.0.1, any
/// free port.
const LISTEN: &str = "tcp://127.0.0.1:0";

/// The NATS cluster a ring meets in unless told otherwise.
pub const CLUSTER: &str = "chord";

/// How long a node process tries to join unless told otherwise.
const JOIN_LIMIT_MS: u64 = 20_000;

/// The command line of one node process; the maintenance settings default
/// to [`Config::default`]'s.
#[derive(clap::Parser, Clone, Debug)]
#[command(about = "Runs one Chord node; prints `listening <address>` once it is in the ring")]
pub struct NodeArgs {
    /// Where to listen; port 0 picks a free port. Not used with `--nats`.
    #[arg(long, default_value = LISTEN)]
    pub listen: String,
    /// Meet the other nodes through the NATS server at this URL (such as
    /// `nats://127.0.0.1:4222`) instead of listening on TCP.
    #[arg(long)]
    pub nats: Option<String>,
    /// The NATS cluster the ring's nodes meet in (with `--nats`).
    #[arg(long, default_value = CLUSTER)]
    pub cluster: String,
    /// The URL of a node already in the ring, such as
    /// `tcp://127.0.0.1:4000/chord`; without it, this node starts a new ring.
    #[arg(long)]
    pub join: Option<String>,
    /// The secret all nodes of the ring share.
    #[arg(long, default_value = COOKIE)]
    pub cookie: String,
    /// r: the length of the successor list, and how many replicas each key
    /// has.
    #[arg(long, default_value_t = Config::default().successors)]
    pub successors: usize,
    /// The pause between runs of the periodic tasks while they change
    /// something, in milliseconds.
    #[arg(long, default_value_t = millis(Config::default().fastest))]
    pub fastest_ms: u64,
    /// The longest pause between runs of the periodic tasks, in
    /// milliseconds.
    #[arg(long, default_value_t = millis(Config::default().slowest))]
    pub slowest_ms: u64,
    /// How long the node waits for another node's answer before it skips
    /// it, in milliseconds.
    #[arg(long, default_value_t = millis(Config::default().call_timeout))]
    pub call_timeout_ms: u64,
    /// How long joining may take, retries included, in milliseconds.
    #[arg(long, default_value_t = JOIN_LIMIT_MS)]
    pub join_limit_ms: u64,
}

impl NodeArgs {
    /// The arguments of a TCP node that uses `config` and joins through
    /// `join` (or starts a ring), with the other settings at their
    /// defaults.
    pub fn new(config: &Config, join: Option<String>) -> Self {
        NodeArgs {
            listen: LISTEN.to_owned(),
            nats: None,
            cluster: CLUSTER.to_owned(),
            join,
            cookie: COOKIE.to_owned(),
            successors: config.successors,
            fastest_ms: millis(config.fastest),
            slowest_ms: millis(config.slowest),
            call_timeout_ms: millis(config.call_timeout),
            join_limit_ms: JOIN_LIMIT_MS,
        }
    }

    /// The same, meeting the other nodes as `meeting` says.
    #[must_use]
    pub fn meeting(mut self, meeting: &Meeting) -> Self {
        match meeting {
            Meeting::Tcp => self.nats = None,
            Meeting::Nats { server, cluster } => {
                self.nats = Some(server.clone());
                self.cluster.clone_from(cluster);
            }
        }
        self
    }

    /// How this node meets the others.
    pub fn to_meeting(&self) -> Meeting {
        match &self.nats {
            None => Meeting::Tcp,
            Some(server) => Meeting::Nats {
                server: server.clone(),
                cluster: self.cluster.clone(),
            },
        }
    }

    /// The node's maintenance settings.
    pub fn config(&self) -> Config {
        Config {
            successors: self.successors,
            fastest: Duration::from_millis(self.fastest_ms),
            slowest: Duration::from_millis(self.slowest_ms),
            call_timeout: Duration::from_millis(self.call_timeout_ms),
            latency: None,
        }
    }

    /// These arguments as a command line, the way [`NodeArgs`] parses them.
    pub fn to_command_line(&self) -> Vec<String> {
        let mut line = vec![
            format!("--listen={}", self.listen),
            format!("--cookie={}", self.cookie),
            format!("--successors={}", self.successors),
            format!("--fastest-ms={}", self.fastest_ms),
            format!("--slowest-ms={}", self.slowest_ms),
            format!("--call-timeout-ms={}", self.call_timeout_ms),
            format!("--join-limit-ms={}", self.join_limit_ms),
        ];
        line.extend(self.join.iter().map(|url| format!("--join={url}")));
        if let Some(server) = &self.nats {
            line.push(format!("--nats={server}"));
            line.push(format!("--cluster={}", self.cluster));
        }
        line
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Why a node process, or a ring of them, failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The program could not be started.
    #[error("cannot start `{program}`: {error}")]
    Start {
        /// The program.
        program: String,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// The process did not say where it listens.
    #[error("node process {pid} did not print `listening <address>`: {reason}")]
    NoAddress {
        /// Its process id.
        pid: u32,
        /// What it did instead.
        reason: String,
    },
    /// A node or a call failed.
    #[error(transparent)]
    Actium(#[from] actium::Error),
    /// Joining the ring failed.
    #[error("could not join the ring through {url}: {error}")]
    Join {
        /// The URL joined through.
        url: String,
        /// Why the last attempt failed.
        error: String,
    },
    /// The ring failed a check.
    #[error(transparent)]
    Ring(#[from] RingError),
}

/// A node process's `main`: starts a node on `args.listen` (or on the
/// NATS server `args.nats`), spawns a
/// [`ChordNode`] with identifier `Id::hash(<node address>)`, registers it
/// as [`NAME`], joins through `args.join` if given (retrying until
/// `args.join_limit_ms`), prints `listening <address>` on standard output,
/// and serves until standard input closes. Then it leaves the network.
///
/// # Errors
///
/// If the node cannot start or listen, or the join fails for good.
pub async fn serve(args: NodeArgs) -> Result<(), ProcessError> {
    serve_with(args, |_node, _chord| Ok(())).await
}

/// [`serve`], with a layer on top: `attach` runs once the `ChordNode` is
/// spawned and registered, before it joins, to spawn and register the
/// layer's own actor (Scribe's `scribe_node` does).
///
/// # Errors
///
/// As [`serve`], and what `attach` returns.
pub async fn serve_with(
    args: NodeArgs,
    attach: impl FnOnce(&AnyNode, &ActorRef<ChordNode>) -> Result<(), ProcessError>,
) -> Result<(), ProcessError> {
    let node = AnyNode::start(&args.to_meeting(), Some(&args.listen), &args.cookie).await?;
    let id = Id::hash(node.address());
    let config = args.config();
    let chord = ChordNode::new(id, config.clone()).spawn();
    node.register(NAME, &chord)?;
    attach(&node, &chord)?;
    if let Some(url) = &args.join {
        let limit = Duration::from_millis(args.join_limit_ms);
        join_through(&node, &chord, url, limit, config.fastest).await?;
    }
    println!("listening {}", node.address());
    // Serve until the parent closes our standard input (or kills us).
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0_u8; 64];
    while stdin.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
    node.shutdown();
    Ok(())
}

/// `chord` joins the ring through the node registered at `url`, trying
/// again after `pause` while the ring is repairing itself, for up to
/// `limit`.
async fn join_through(
    node: &AnyNode,
    chord: &ActorRef<ChordNode>,
    url: &str,
    limit: Duration,
    pause: Duration,
) -> Result<(), ProcessError> {
    let start = Instant::now();
    loop {
        let attempt = async {
            let known = node.lookup::<ChordNode>(url).await?;
            // Its identifier is its own business: ask it.
            let id = known.state().await?.id;
            let joined = chord.join(Peer { id, node: known }).timeout(limit).await?;
            Ok::<Result<(), LookupError>, actium::Error>(joined)
        };
        let error = match attempt.await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        if start.elapsed() >= limit {
            return Err(ProcessError::Join {
                url: url.to_owned(),
                error,
            });
        }
        actium::sleep(pause).await;
    }
}

/// How to start a node process: a program and the arguments before the
/// node's own ([`NodeArgs`]).
#[derive(Clone, Debug)]
pub struct NodeCommand {
    /// The program: the `chord_node` binary, or a program with a mode that
    /// calls [`serve`].
    pub program: PathBuf,
    /// Arguments that select that mode, if any.
    pub args: Vec<String>,
}

/// A running node process, killed (SIGKILL) when dropped.
pub struct NodeProcess {
    child: Child,
    /// Kept open: the node leaves the network and exits when it closes.
    _stdin: Option<ChildStdin>,
    /// The first line of standard output, once the process prints it.
    first_line: Option<oneshot::Receiver<String>>,
    address: Option<String>,
}

impl NodeProcess {
    /// Starts a node process with `args`. It is in the ring once it prints
    /// its address: see [`listening`](NodeProcess::listening).
    ///
    /// # Errors
    ///
    /// [`ProcessError::Start`] if the program cannot be started.
    pub fn start(command: &NodeCommand, args: &NodeArgs) -> Result<NodeProcess, ProcessError> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .args(args.to_command_line())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| ProcessError::Start {
                program: command.program.display().to_string(),
                error,
            })?;
        let stdin = child.stdin.take();
        let (line, first_line) = oneshot::channel();
        if let Some(stdout) = child.stdout.take() {
            // A thread per process reads its output, so that waiting for the
            // first line can have a deadline, and so that the process never
            // blocks on a full pipe afterwards.
            let reader = move || {
                let mut lines = BufReader::new(stdout).lines();
                let first = lines.next().map_or_else(
                    || Ok("(nothing: it exited)".to_owned()),
                    |first| first.map_err(|error| error.to_string()),
                );
                let _ = line.send(first.unwrap_or_else(|error| error));
                lines.for_each(drop);
            };
            std::thread::Builder::new()
                .name("chord-node-stdout".to_owned())
                .spawn(reader)
                .map_err(|error| ProcessError::Start {
                    program: command.program.display().to_string(),
                    error,
                })?;
        }
        Ok(NodeProcess {
            child,
            _stdin: stdin,
            first_line: Some(first_line),
            address: None,
        })
    }

    /// Waits up to `limit` for the process to print `listening <address>`
    /// — it is in the ring then — and returns the address,
    /// `tcp://127.0.0.1:<port>`.
    ///
    /// # Errors
    ///
    /// [`ProcessError::NoAddress`] if it prints something else, exits, or
    /// says nothing for `limit`.
    pub async fn listening(&mut self, limit: Duration) -> Result<&str, ProcessError> {
        if let Some(first_line) = self.first_line.take() {
            let pid = self.pid();
            let no_address = |reason: String| ProcessError::NoAddress { pid, reason };
            let line = match tokio::time::timeout(limit, first_line).await {
                Ok(Ok(line)) => line,
                Ok(Err(_reader_gone)) => return Err(no_address("its output closed".to_owned())),
                Err(_elapsed) => return Err(no_address(format!("nothing within {limit:?}"))),
            };
            let address = line.trim().strip_prefix("listening ");
            let address = address.ok_or_else(|| no_address(format!("it printed {line:?}")))?;
            self.address = Some(address.to_owned());
        }
        self.address
            .as_deref()
            .ok_or_else(|| ProcessError::NoAddress {
                pid: self.pid(),
                reason: "an earlier wait failed".to_owned(),
            })
    }

    /// Its node's address, once it is [`listening`](Self::listening).
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    /// The URL of its Chord node, once it is [`listening`](Self::listening).
    pub fn url(&self) -> Option<String> {
        (self.address.as_ref()).map(|address| format!("{address}/{NAME}"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL: no goodbye to the other nodes)
    /// and reaps it.
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

/// A Chord ring of one node per process, driven from this process, which
/// is a node too (a client of the ring). Every process is killed when the
/// `ProcessRing` is dropped.
pub struct ProcessRing {
    /// This process's node, through which the ring is called.
    node: AnyNode,
    ring: Ring,
    processes: Vec<(Id, NodeProcess)>,
}

impl ProcessRing {
    /// Starts `count` node processes with `command`, all using `config`:
    /// the first starts the ring, the others join through it, all at once.
    /// Waits up to `limit` for each to join; the ring need not be stable
    /// yet (see [`Ring::wait_until_stable`]). This process must run in a
    /// system without a node; the ring's node runs on it with the default
    /// cookie [`COOKIE`].
    ///
    /// # Errors
    ///
    /// If a process does not start or join, or a node does not answer.
    pub async fn start(
        command: &NodeCommand,
        count: usize,
        config: Config,
        seed: u64,
        limit: Duration,
    ) -> Result<ProcessRing, ProcessError> {
        ProcessRing::start_meeting(command, count, config, seed, limit, &Meeting::Tcp).await
    }

    /// As [`start`](Self::start), with nodes (this process's too) that
    /// meet as `meeting` says: over TCP, or through a NATS server.
    ///
    /// # Errors
    ///
    /// If a process does not start or join, or a node does not answer.
    pub async fn start_meeting(
        command: &NodeCommand,
        count: usize,
        config: Config,
        seed: u64,
        limit: Duration,
        meeting: &Meeting,
    ) -> Result<ProcessRing, ProcessError> {
        let node = AnyNode::start(meeting, None, COOKIE).await?;
        let first_args = NodeArgs::new(&config, None).meeting(meeting);
        let mut first = NodeProcess::start(command, &first_args)?;
        let url = format!("{}/{NAME}", first.listening(limit).await?);
        let mut started = vec![first];
        for _ in 1..count {
            let args = NodeArgs::new(&config, Some(url.clone())).meeting(meeting);
            started.push(NodeProcess::start(command, &args)?);
        }
        let mut ring = Ring::new(config, seed);
        let mut processes = Vec::with_capacity(count);
        for mut process in started {
            process.listening(limit).await?;
            let url = process.url().unwrap_or_default();
            let chord = node.lookup::<ChordNode>(&url).await?;
            // The true ring is what the processes say they are.
            let id = chord.state().await?.id;
            ring.admit(Peer { id, node: chord });
            processes.push((id, process));
        }
        Ok(ProcessRing {
            node,
            ring,
            processes,
        })
    }

    /// The ring: the truth about the live nodes, their checks, lookups,
    /// stores and reads.
    pub fn ring(&mut self) -> &mut Ring {
        &mut self.ring
    }

    /// This process's node, through which the ring is called.
    pub fn node(&self) -> &AnyNode {
        &self.node
    }

    /// The live node processes, by node identifier.
    pub fn processes(&self) -> impl Iterator<Item = (Id, &NodeProcess)> {
        self.processes.iter().map(|(id, process)| (*id, process))
    }

    /// Kills the process of node `id` at once (SIGKILL), and stops counting
    /// the node as a member. Returns whether there was such a process.
    pub fn kill(&mut self, id: Id) -> bool {
        let Some(at) = self.processes.iter().position(|(node, _)| *node == id) else {
            return false;
        };
        let (_, mut process) = self.processes.swap_remove(at);
        process.kill();
        self.ring.forget(id);
        true
    }
}
