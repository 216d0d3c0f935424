//! A `nats-server` of the program's own, for examples, tests and a first
//! try on one machine: started on a free port of 127.0.0.1, stopped when
//! dropped.

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How long [`LocalServer::start`] waits for the server to say it
/// listens.
const READY_LIMIT: Duration = Duration::from_secs(10);

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
    /// The process started but did not say it listens in time, or
    /// exited at once (its exit status is given when known).
    NotReady(Option<std::process::ExitStatus>),
}

impl fmt::Display for LocalServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalServerError::NotInstalled => write!(
                f,
                "nats-server is not installed (run scripts/install-nats, or install it from nats.io)"
            ),
            LocalServerError::Io(error) => write!(f, "could not start nats-server: {error}"),
            LocalServerError::NotReady(Some(status)) => {
                write!(f, "nats-server exited before it listened ({status})")
            }
            LocalServerError::NotReady(None) => write!(
                f,
                "nats-server did not say it listens within {READY_LIMIT:?}"
            ),
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
#[derive(Debug)]
pub struct LocalServer {
    child: Child,
    port: u16,
}

impl LocalServer {
    /// Starts `nats-server -a 127.0.0.1 -p -1` and waits until it says
    /// which port it listens on.
    ///
    /// The server picks the port itself (`-1`) and names it in its log.
    /// A port chosen here first, by binding and letting go of it, could
    /// be taken by another process before the server bound it (another
    /// test's server, or an outgoing connection given it as its own
    /// port), and a check that connects to it could then reach that
    /// other process, or even connect to itself, and call the server
    /// ready when it had exited.
    ///
    /// # Errors
    ///
    /// [`LocalServerError::NotInstalled`] when `nats-server` is not on the
    /// `PATH`; the others when it cannot start or does not become ready.
    pub fn start() -> Result<LocalServer, LocalServerError> {
        let mut child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", "-1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => LocalServerError::NotInstalled,
                _ => LocalServerError::Io(error),
            })?;
        let log = child.stderr.take();
        let mut server = LocalServer { child, port: 0 };
        let (told, port) = mpsc::channel();
        if let Some(log) = log {
            // Read to the end, so that the server never blocks on a full
            // pipe; the thread ends when the server does.
            std::thread::Builder::new()
                .name("nats-server-log".into())
                .spawn(move || read_log(log, &told))
                .map_err(LocalServerError::Io)?;
        }
        match port.recv_timeout(READY_LIMIT) {
            Ok(port) => {
                server.port = port;
                Ok(server)
            }
            // The log ended without the line: the server exited (killed
            // first all the same, in case only its log was lost).
            Err(RecvTimeoutError::Disconnected) => {
                let _ = server.child.kill();
                Err(LocalServerError::NotReady(server.child.wait().ok()))
            }
            Err(RecvTimeoutError::Timeout) => Err(LocalServerError::NotReady(None)),
        }
    }

    /// The URL clients connect to: `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Reads the server's log to its end, sending the port of its first
/// "Listening for client connections" line. Lines are read as bytes, so
/// that no line stops the reading: a log not read to its end would close
/// the pipe, and the server would die writing its next line.
fn read_log(log: ChildStderr, told: &mpsc::Sender<u16>) {
    let mut log = BufReader::new(log);
    let mut line = Vec::new();
    loop {
        line.clear();
        match log.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some(port) = listening_port(&String::from_utf8_lossy(&line)) {
            let _ = told.send(port);
            break;
        }
    }
    let _ = io::copy(&mut log, &mut io::sink());
}

/// The port in nats-server's "Listening for client connections on
/// 127.0.0.1:<port>" log line; `None` for any other line.
fn listening_port(line: &str) -> Option<u16> {
    let (_, address) = line.split_once("Listening for client connections on ")?;
    address.trim().rsplit_once(':')?.1.parse().ok()
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn the_port_is_read_from_the_listening_line_only() {
        let line = "[6188] 2026/12/06 08:44:03.873464 [INF] Listening for client connections on 127.0.0.1:34137";
        assert_eq!(listening_port(line), Some(34137));
        assert_eq!(
            listening_port("[6188] 2026/12/06 08:44:03.873475 [INF] Server is ready"),
            None
        );
        assert_eq!(
            listening_port("[1] [INF] Listening for client connections on 0.0.0.0:x"),
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
}
