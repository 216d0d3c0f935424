//! Tutorial chapter 15: nodes that meet through a NATS server instead of
//! connecting to each other. See `docs/tutorial/15_nats.md`.
//!
//! ```text
//! cargo run --example tutorial_15_nats --features nats                  # a nats-server of its own
//! cargo run --example tutorial_15_nats --features nats -- nats://127.0.0.1:4222
//! ```
//!
//! With no URL the example starts a `nats-server` for the run on a free
//! port and stops it after (`scripts/install-nats` installs it).

#[path = "support/server.rs"]
#[allow(dead_code, reason = "the TCP examples' `main` is not used here")]
mod server;

use std::time::Duration;

use actium::nats::{LocalServer, NatsNode};
use actium::prelude::*;

// ANCHOR: actor
#[derive(Default)]
struct Echo {
    heard: Vec<String>,
}

// The same actor as in chapter 6: `remote` is all NATS needs too.
#[actor(remote)]
impl Echo {
    #[tell]
    fn echo(&mut self, message: String) {
        println!("[worker pid {}] echo: {message}", std::process::id());
        self.heard.push(message);
    }

    #[ask]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: actor

// ANCHOR: worker
/// The worker process: joins the cluster `tutorial` through the server at
/// `url` (it listens on no port of its own) and serves an echo.
async fn worker(url: String) -> actium::Result<()> {
    let node = NatsNode::builder()
        .server(url)
        .cluster("tutorial")
        .start()
        .await?;
    node.register("echo", &Echo::default().spawn())?;
    // The parent reads this line: the node's address, nats://tutorial/<id>.
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}
// ANCHOR_END: worker

// ANCHOR: client
async fn client(url: String, worker: server::Server) -> actium::Result<()> {
    let node = NatsNode::builder()
        .server(url)
        .cluster("tutorial")
        .start()
        .await?;
    let echo = node
        .lookup::<Echo>(&format!("{}/echo", worker.address))
        .await?;
    println!("[client] found {echo} on node {}", worker.address);
    echo.echo("hello".into())?;
    echo.echo("through NATS".into())?;
    let heard = echo.heard().await?;
    println!("[client] the worker's echo heard {heard:?}");
    assert_eq!(heard, ["hello", "through NATS"]);

    // Kill the worker's process: no goodbye, its heartbeats just stop.
    drop(worker);
    let started = std::time::Instant::now();
    let after = echo.heard().timeout(Duration::from_secs(10)).await;
    let waited = started.elapsed().as_secs_f64();
    match &after {
        Err(error) => println!("[client] after the kill: {error} (in about {waited:.1} s)"),
        Ok(heard) => println!("[client] after the kill, still heard {heard:?}?"),
    }
    assert!(matches!(after, Err(Error::NodeDown { .. })), "{after:?}");
    node.shutdown();
    Ok(())
}
// ANCHOR_END: client

// ANCHOR: main
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, url] = args.as_slice() {
        if flag == "worker" {
            // This process is the worker the client started.
            actium::launch(actium::Mode::Tasks, worker(url.clone()))?;
            return Ok(());
        }
    }
    // A server given on the command line, or one of our own for this run.
    let (url, _local) = match args.first() {
        Some(url) => (url.clone(), None),
        None => {
            let local = LocalServer::start()?;
            (local.url(), Some(local))
        }
    };
    println!("[client] NATS server at {url}");
    let worker_process = server::Server::start_with(&["worker", &url])?;
    actium::launch(actium::Mode::Tasks, client(url, worker_process))?;
    Ok(())
}
// ANCHOR_END: main
