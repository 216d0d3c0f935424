//! For the remote examples: run the server part as a child process of the
//! example itself, so one command shows both sides.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The example's server, started as `<this example> server`; killed when
/// dropped.
pub struct Server {
    child: Child,
    /// The server node's address, as it printed it.
    pub address: String,
}

impl Server {
    /// Starts the server process and waits for the line `listening <addr>`.
    pub fn start() -> std::io::Result<Server> {
        Server::start_with(&["server"])
    }

    /// Starts `<this example> <args>` as the server process and waits for
    /// the line `listening <addr>`.
    pub fn start_with(args: &[&str]) -> std::io::Result<Server> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let mut stdout = BufReader::new(stdout);
            stdout.read_line(&mut line)?;
            // Show what the server prints from now on, beside our output.
            std::thread::spawn(move || {
                for line in stdout.lines().map_while(Result::ok) {
                    println!("{line}");
                }
            });
        }
        let address = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| std::io::Error::other(format!("unexpected server output {line:?}")))?
            .to_owned();
        Ok(Server { child, address })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves until standard input closes (the parent ended) or Ctrl-C.
pub async fn serve_until_stdin_closes() {
    use tokio::io::AsyncReadExt;
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0_u8; 64];
    loop {
        tokio::select! {
            read = stdin.read(&mut buffer) => if !matches!(read, Ok(n) if n > 0) { return },
            _ = tokio::signal::ctrl_c() => return,
        }
    }
}

/// The remote examples' `main`: `server [port]` runs `serve`, `client
/// <address>` runs `client` against a server already running there, and
/// no argument runs both sides (the server as a child process).
pub fn main<S, C>(
    serve: impl FnOnce(u16) -> S,
    client: impl FnOnce(String) -> C,
) -> Result<(), Box<dyn std::error::Error>>
where
    S: std::future::Future<Output = actium::Result<()>>,
    C: std::future::Future<Output = actium::Result<()>>,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => {
            let port = args.get(1).map_or(Ok(0), |port| port.parse())?;
            actium::launch(actium::Mode::Tasks, serve(port))?;
        }
        Some("client") => {
            let address = args.get(1).ok_or("usage: client tcp://host:port")?;
            actium::launch(actium::Mode::Tasks, client(address.clone()))?;
        }
        _ => {
            let server = Server::start()?;
            println!("started a server process at {}", server.address);
            actium::launch(actium::Mode::Tasks, client(server.address.clone()))?;
        }
    }
    Ok(())
}
