//! A `nats-server` of the program's own, for examples, tests and a first
//! try on one machine: started on a free port of 127.0.0.1, stopped when
//! dropped.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long [`LocalServer`] waits for the server to say it listens,
/// unless told otherwise ([`LocalServerBuilder::ready_within`]).
const READY_LIMIT: Duration = Duration::from_secs(10);

/// How many lines of the server's log a [`LocalServerError::NotReady`]
/// keeps: the last ones, which say why it did not start.
const LOG_LINES: usize = 100;

/// Where the client port's value lies in the arguments (after
/// `-a 127.0.0.1 -p`).
const PORT_AT: usize = 3;

/// Why a [`LocalServer`] did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum LocalServerError {
    /// `nats-server` is not on the `PATH` (install it with the project's
    /// `scripts/install-nats`, Debian's `nats-server` package, or from
    /// nats.io).
    NotInstalled,
    /// The process, or the thread reading its log, could not be started.
    Io(io::Error),
    /// The process started but did not say it listens in time, or exited
    /// first.
    #[non_exhaustive]
    NotReady {
        /// Its exit status, when it exited.
        status: Option<ExitStatus>,
        /// The last lines of its log (at most a hundred), which say why.
        log: String,
        /// How long it was given.
        waited: Duration,
    },
}

impl fmt::Display for LocalServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalServerError::NotInstalled => write!(
                f,
                "nats-server is not installed (run scripts/install-nats, or install it from nats.io)"
            ),
            LocalServerError::Io(error) => write!(f, "could not start nats-server: {error}"),
            LocalServerError::NotReady {
                status,
                log,
                waited,
            } => {
                match status {
                    Some(status) => write!(f, "nats-server exited before it listened ({status})")?,
                    None => write!(f, "nats-server did not say it listens within {waited:?}")?,
                }
                if log.is_empty() {
                    write!(f, "; its log is empty")
                } else {
                    write!(f, "; its log:\n{log}")
                }
            }
        }
    }
}

impl std::error::Error for LocalServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LocalServerError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// A `nats-server` process on a free port of 127.0.0.1, killed when this
/// value is dropped.
///
/// For examples and tests, and for trying a cluster on one machine with no
/// NATS deployment: a real deployment runs its own servers (see
/// `docs/NATS.md`).
///
/// ```no_run
/// use actium_nats::{LocalServer, NatsNode};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = LocalServer::start()?;
/// let node = NatsNode::builder()
///     .server(server.url())
///     .cluster("demo")
///     .start()
///     .await?;
/// # node.shutdown();
/// # Ok(())
/// # }
/// ```
///
/// The server picks its ports itself (`-p -1`) and names them in its log,
/// which is read here. A port chosen first, by binding and letting go of
/// it, could be taken by another process before the server bound it
/// (another test's server, or an outgoing connection given it as its own
/// port), and a check that connects to it could then reach that other
/// process, or even connect to itself, and call the server ready when it
/// had exited.
#[derive(Debug)]
pub struct LocalServer {
    /// The process, while it runs.
    child: Option<Child>,
    port: u16,
    /// The port other servers of its cluster route to, if it has one.
    routes: Option<u16>,
    /// Its arguments, with the ports of its first start in place of `-1`
    /// once it has started, so that a restart takes the same ones.
    args: Vec<OsString>,
    /// Where `--cluster`'s URL lies in `args`, if it has one.
    cluster_at: Option<usize>,
    /// How long a start may take.
    ready_within: Duration,
}

/// Options of a [`LocalServer`]: JetStream, a cluster of servers, more
/// arguments. Made by [`LocalServer::builder`].
///
/// ```no_run
/// use actium_nats::LocalServer;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // Two servers routed into one NATS cluster.
/// let first = LocalServer::builder().cluster("local").start()?;
/// let second = LocalServer::builder()
///     .cluster("local")
///     .route(first.route_url().expect("clustered"))
///     .start()?;
/// # drop(second);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start`"]
pub struct LocalServerBuilder {
    jetstream: Option<PathBuf>,
    cluster: Option<String>,
    routes: Vec<String>,
    args: Vec<OsString>,
    ready_within: Duration,
}

impl Default for LocalServerBuilder {
    fn default() -> Self {
        LocalServerBuilder {
            jetstream: None,
            cluster: None,
            routes: Vec::new(),
            args: Vec::new(),
            ready_within: READY_LIMIT,
        }
    }
}

impl LocalServerBuilder {
    /// Turns JetStream on, storing in `dir` (`-js -sd <dir>`); the
    /// directory is the caller's to remove.
    pub fn jetstream(mut self, dir: impl Into<PathBuf>) -> Self {
        self.jetstream = Some(dir.into());
        self
    }

    /// Makes the server one of the NATS cluster `name`, routing on a port
    /// it picks (`--cluster_name <name> --cluster nats://127.0.0.1:-1`);
    /// [`LocalServer::route_url`] gives it once started.
    pub fn cluster(mut self, name: impl Into<String>) -> Self {
        self.cluster = Some(name.into());
        self
    }

    /// Routes to another server of the cluster, at its
    /// [`route_url`](LocalServer::route_url) (`--routes`, one for all the
    /// routes given). The servers tell each other of the rest.
    pub fn route(mut self, url: impl Into<String>) -> Self {
        self.routes.push(url.into());
        self
    }

    /// One more argument, after those the builder makes (a user, a
    /// configuration file, a debug flag).
    ///
    /// Ports and the address are the builder's: a `-p`, `-a` or
    /// `--cluster` given here overrides the builder's, and a `-1` in it is
    /// not pinned, so each restart picks a new port that clients do not
    /// know. A `--cluster` given without [`cluster`](Self::cluster) is not
    /// waited for, and [`LocalServer::route_url`] gives `None`.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// How long to wait for the server to listen, at its start and at each
    /// restart; 10 seconds unless set.
    pub fn ready_within(mut self, limit: Duration) -> Self {
        self.ready_within = limit;
        self
    }

    /// Starts `nats-server` and waits until it says which port it listens
    /// on (and, in a cluster, which port it routes on).
    ///
    /// # Errors
    ///
    /// [`LocalServerError::NotInstalled`] when `nats-server` is not on the
    /// `PATH`; the others when it cannot start or does not become ready.
    pub fn start(self) -> Result<LocalServer, LocalServerError> {
        let mut args: Vec<OsString> = ["-a", "127.0.0.1", "-p", "-1"].map(OsString::from).to_vec();
        if let Some(dir) = self.jetstream {
            args.extend(["-js".into(), "-sd".into(), dir.into_os_string()]);
        }
        let mut cluster_at = None;
        if let Some(name) = self.cluster {
            args.extend(["--cluster_name".into(), name.into(), "--cluster".into()]);
            cluster_at = Some(args.len());
            args.push("nats://127.0.0.1:-1".into());
        }
        if !self.routes.is_empty() {
            args.extend(["--routes".into(), self.routes.join(",").into()]);
        }
        args.extend(self.args);
        let mut server = LocalServer {
            child: None,
            port: 0,
            routes: None,
            args,
            cluster_at,
            ready_within: self.ready_within,
        };
        server.spawn()?;
        Ok(server)
    }
}

impl LocalServer {
    /// Starts `nats-server -a 127.0.0.1 -p -1` and waits until it says
    /// which port it listens on. The same as
    /// `LocalServer::builder().start()`.
    ///
    /// # Errors
    ///
    /// As [`LocalServerBuilder::start`].
    pub fn start() -> Result<LocalServer, LocalServerError> {
        LocalServer::builder().start()
    }

    /// A server with options: JetStream, a cluster, more arguments.
    pub fn builder() -> LocalServerBuilder {
        LocalServerBuilder::default()
    }

    /// The URL clients connect to: `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL other servers of its cluster route to, if it was started
    /// in one ([`LocalServerBuilder::cluster`]).
    pub fn route_url(&self) -> Option<String> {
        self.routes.map(|port| format!("nats://127.0.0.1:{port}"))
    }

    /// Kills the server, as a crash would; clients see their connection
    /// drop. Does nothing if it is stopped already.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server if it runs, and starts it again with the same
    /// arguments on the same ports, which its clients and the other
    /// servers of its cluster know.
    ///
    /// # Errors
    ///
    /// As [`LocalServerBuilder::start`]; among them, a port taken by
    /// another process meanwhile (the server exits at once, and its log
    /// says so).
    pub fn restart(&mut self) -> Result<(), LocalServerError> {
        self.stop();
        self.spawn()
    }

    /// Starts the process and waits for its log to name its ports; then
    /// puts them in place of `-1` in the arguments.
    fn spawn(&mut self) -> Result<(), LocalServerError> {
        let mut child = Command::new("nats-server")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => LocalServerError::NotInstalled,
                _ => LocalServerError::Io(error),
            })?;
        let log = child.stderr.take();
        // Killed with the value from here on, on every way out.
        self.child = Some(child);
        let (told, heard) = mpsc::channel();
        if let Some(log) = log {
            // Reads to the end, so that the server never blocks on a full
            // pipe; the thread ends when the server does.
            let reading = std::thread::Builder::new()
                .name("nats-server-log".into())
                .spawn(move || read_log(log, &told));
            if let Err(error) = reading {
                self.stop();
                return Err(LocalServerError::Io(error));
            }
        }
        let started = Instant::now();
        let (mut clients, mut routes) = (None, None);
        // The log so far, for the error.
        let mut said = std::collections::VecDeque::new();
        while clients.is_none() || (self.cluster_at.is_some() && routes.is_none()) {
            // Checked apart from the wait: lines already queued come at
            // once, so a server that talks on without listening would
            // otherwise never time out.
            let heard = match self.ready_within.checked_sub(started.elapsed()) {
                Some(left) => heard.recv_timeout(left),
                None => Err(RecvTimeoutError::Timeout),
            };
            match heard {
                Ok(Heard::Clients(port)) => clients = Some(port),
                Ok(Heard::Routes(port)) => routes = Some(port),
                Ok(Heard::Line(line)) => {
                    if said.len() == LOG_LINES {
                        said.pop_front();
                    }
                    said.push_back(line);
                }
                // Not ready in time, or the log ended without the line (the
                // server exited): killed all the same, in case only its log
                // was lost.
                Err(error) => {
                    let exited = error == RecvTimeoutError::Disconnected;
                    let mut child = self.child.take();
                    let status = child.as_mut().and_then(|child| {
                        let _ = child.kill();
                        child.wait().ok()
                    });
                    return Err(LocalServerError::NotReady {
                        status: status.filter(|_| exited),
                        log: Vec::from(said).join("\n"),
                        waited: self.ready_within,
                    });
                }
            }
        }
        if let Some(port) = clients {
            self.port = port;
            self.args[PORT_AT] = port.to_string().into();
        }
        if let (Some(at), Some(port)) = (self.cluster_at, routes) {
            self.routes = Some(port);
            self.args[at] = format!("nats://127.0.0.1:{port}").into();
        }
        Ok(())
    }
}

/// A line of the server's log: a port it listens on, or anything else.
enum Heard {
    Clients(u16),
    Routes(u16),
    Line(String),
}

/// Reads the server's log to its end, sending each line until the server
/// is ready, the ports it listens on read out. Lines are read as bytes, so
/// that no line stops the reading: a log not read to its end would close
/// the pipe, and the server would die writing its next line.
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
        let heard = if let Some(port) = listening_port(&line, "client") {
            Heard::Clients(port)
        } else if let Some(port) = listening_port(&line, "route") {
            Heard::Routes(port)
        } else {
            Heard::Line(line.trim_end().to_owned())
        };
        // Nobody listens once the server has started: read on all the
        // same, without sending.
        if told.send(heard).is_err() {
            break;
        }
    }
    let _ = io::copy(&mut log, &mut io::sink());
}

/// The port in nats-server's "Listening for <what> connections on
/// 127.0.0.1:<port>" log line (`what` is `client` or `route`); `None` for
/// any other line.
fn listening_port(line: &str, what: &str) -> Option<u16> {
    let (_, address) = line.split_once(&format!("Listening for {what} connections on "))?;
    address.trim().rsplit_once(':')?.1.parse().ok()
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn the_port_is_read_from_the_listening_line_only() {
        let line = "[6188] 2026/12/06 08:44:03.873464 [INF] Listening for client connections on 127.0.0.1:34137";
        assert_eq!(listening_port(line, "client"), Some(34137));
        assert_eq!(listening_port(line, "route"), None);
        let routes = "[6188] 2026/12/06 08:44:03.873470 [INF] Listening for route connections on 127.0.0.1:40121";
        assert_eq!(listening_port(routes, "route"), Some(40121));
        assert_eq!(
            listening_port(
                "[6188] 2026/12/06 08:44:03.873475 [INF] Server is ready",
                "client"
            ),
            None
        );
        assert_eq!(
            listening_port(
                "[1] [INF] Listening for client connections on 0.0.0.0:x",
                "client"
            ),
            None
        );
    }

    /// Needs `nats-server` (scripts/install-nats), as the crate's other
    /// tests do.
    #[test]
    fn a_local_server_serves_until_dropped() {
        let server = LocalServer::start().expect("nats-server starts");
        let port = server.port();
        assert_eq!(server.url(), format!("nats://127.0.0.1:{port}"));
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(server);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    /// A restart takes the port of the first start: the server's clients
    /// know it.
    #[test]
    fn a_restarted_server_listens_on_its_first_port() {
        let mut server = LocalServer::start().expect("nats-server starts");
        let port = server.port();
        server.stop();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
        server.stop();
        server.restart().expect("nats-server starts again");
        assert_eq!(server.port(), port);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    }

    #[test]
    fn servers_of_a_cluster_name_their_route_ports() {
        let first = LocalServer::builder()
            .cluster("actium-local-test")
            .start()
            .expect("the first server starts");
        let route = first.route_url().expect("a clustered server routes");
        let second = LocalServer::builder()
            .cluster("actium-local-test")
            .route(&route)
            .start()
            .expect("the second server starts");
        let port = |url: &str| -> u16 {
            url.rsplit_once(':')
                .and_then(|(_, port)| port.parse().ok())
                .expect("a port")
        };
        for url in [route, second.route_url().expect("clustered")] {
            assert!(TcpStream::connect(("127.0.0.1", port(&url))).is_ok());
        }
        assert_eq!(LocalServer::start().expect("starts").route_url(), None);
    }

    /// nats-server exits on an unknown flag, after saying so on its log.
    #[test]
    fn a_server_that_does_not_start_says_why() {
        let error = LocalServer::builder()
            .arg("--no-such-option")
            .start()
            .expect_err("an unknown flag stops nats-server");
        let text = error.to_string();
        let LocalServerError::NotReady { status, log, .. } = error else {
            panic!("not a NotReady: {error:?}")
        };
        assert!(status.is_some(), "it exited");
        assert!(log.contains("no-such-option"), "its log: {log}");
        assert!(text.contains("no-such-option"), "the message: {text}");
    }
}
