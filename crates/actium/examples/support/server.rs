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
        let mut child = Command::new(std::env::current_exe()?)
            .arg("server")
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
