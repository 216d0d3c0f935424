//! A `nats-server` of the program's own, for examples, tests and a first
//! try on one machine: started on a free port of 127.0.0.1, stopped when
//! dropped.

use std::fmt;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long [`LocalServer::start`] waits for the server to accept
/// connections.
const READY_LIMIT: Duration = Duration::from_secs(10);

/// Why a [`LocalServer`] did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum LocalServerError {
    /// `nats-server` is not on the `PATH` (install it with the project's
    /// `scripts/install-nats`, Debian's `nats-server` package, or from
    /// nats.io).
    NotInstalled,
    /// The process could not be started, or no free port was found.
    Io(io::Error),
    /// The process started but did not accept connections in time, or
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
                write!(
                    f,
                    "nats-server exited before accepting connections ({status})"
                )
            }
            LocalServerError::NotReady(None) => write!(
                f,
                "nats-server did not accept connections within {READY_LIMIT:?}"
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
    /// Starts `nats-server -a 127.0.0.1 -p <free port>` and waits until it
    /// accepts connections.
    ///
    /// # Errors
    ///
    /// [`LocalServerError::NotInstalled`] when `nats-server` is not on the
    /// `PATH`; the others when it cannot start or does not become ready.
    pub fn start() -> Result<LocalServer, LocalServerError> {
        let free = TcpListener::bind("127.0.0.1:0").map_err(LocalServerError::Io)?;
        let port = free.local_addr().map_err(LocalServerError::Io)?.port();
        drop(free);
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| match error.kind() {
                io::ErrorKind::NotFound => LocalServerError::NotInstalled,
                _ => LocalServerError::Io(error),
            })?;
        let mut server = LocalServer { child, port };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), LocalServerError> {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(LocalServerError::NotReady(Some(status)));
            }
            if started.elapsed() > READY_LIMIT {
                return Err(LocalServerError::NotReady(None));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
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

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
