//! A test node: `actium-test-node <cookie> [port]` on TCP, or
//! `actium-test-node nats://host:port` through a NATS server (cluster
//! [`NATS_CLUSTER`]). See the crate docs.

use actium::nats::NatsNode;
use actium::prelude::*;
use actium::remote::Node;
use actium_node_tests::{Counter, NATS_CLUSTER, Relay, Sink};
use tokio::io::AsyncReadExt;

fn main() -> actium::Result<()> {
    let cookie = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "node-tests".to_owned());
    if cookie.starts_with("nats://") {
        return actium::launch(Mode::Tasks, nats(cookie));
    }
    let port = std::env::args().nth(2).unwrap_or_else(|| "0".to_owned());
    actium::launch(Mode::Tasks, async move {
        let node = Node::builder()
            .listen(format!("tcp://127.0.0.1:{port}"))
            .name(format!("test-node-{}", std::process::id()))
            .cookie(cookie)
            .start()
            .await?;
        node.register("sink", &Sink::default().spawn())?;
        node.register("counter", &Counter::default().spawn())?;
        node.register("relay", &Relay.spawn())?;
        node.allow_spawn::<Counter>();
        println!("listening {}", node.address());
        // Serve until the parent closes our standard input (or kills us).
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0_u8; 64];
        while stdin.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
        node.shutdown();
        Ok(())
    })
}

/// Joins the test cluster through the NATS server at `server` and serves
/// the same actors (a NATS node has no remote spawning yet).
async fn nats(server: String) -> actium::Result<()> {
    let node = NatsNode::builder()
        .server(server)
        .cluster(NATS_CLUSTER)
        .start()
        .await?;
    node.register("sink", &Sink::default().spawn())?;
    node.register("counter", &Counter::default().spawn())?;
    node.register("relay", &Relay.spawn())?;
    println!("listening {}", node.address());
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0_u8; 64];
    while stdin.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
    node.shutdown();
    Ok(())
}
