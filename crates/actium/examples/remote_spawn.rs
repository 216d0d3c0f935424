//! Spawning on another node, as PyActive's `host.spawn_id`: a server node
//! allows a worker type; the client spawns workers there from their
//! initial state, hands them work as a group, and gathers the results.
//!
//! ```text
//! cargo run --example remote_spawn --features remote
//! ```

#[path = "support/server.rs"]
mod server;

use actium::Group;
use actium::prelude::*;
use actium::remote::Node;
use serde::{Deserialize, Serialize};

const COOKIE: &str = "remote-spawn";

/// Sums the squares of the numbers it is given.
#[derive(Serialize, Deserialize)]
struct Squarer {
    label: String,
}

#[actor(remote)]
impl Squarer {
    #[ask]
    fn sum_of_squares(&self, numbers: Vec<u64>) -> (String, u32, u64) {
        let sum = numbers.iter().map(|n| n * n).sum();
        (self.label.clone(), std::process::id(), sum)
    }
}

async fn serve(port: u16) -> actium::Result<()> {
    let node = Node::builder()
        .listen(format!("tcp://127.0.0.1:{port}"))
        .name("spawn-server")
        .cookie(COOKIE)
        .start()
        .await?;
    node.allow_spawn::<Squarer>();
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}

async fn client(address: String) -> actium::Result<()> {
    let address = address.as_str();
    let node = Node::builder()
        .name("spawn-client")
        .cookie(COOKIE)
        .start()
        .await?;
    let mut workers = Vec::new();
    for i in 0..3 {
        let label = format!("worker-{i}");
        workers.push(node.spawn_on(address, Squarer { label }).await?);
    }
    println!("spawned {} workers on {address}", workers.len());
    let group = Group::new(workers);
    let numbers: Vec<u64> = (1..=10).collect();
    let answers = group
        .ask_all()
        .sum_of_squares(numbers)
        .await
        .into_values()?;
    for (label, pid, sum) in &answers {
        println!("  {label} (pid {pid}) → {sum}");
        assert_eq!(*sum, 385);
        assert_ne!(*pid, std::process::id());
    }
    node.shutdown();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    server::main(serve, client)
}
