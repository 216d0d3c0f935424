//! A test node: `actium-test-node <cookie> [port]`. See the crate docs.

use actium::prelude::*;
use actium::remote::Node;
use actium_node_tests::{Counter, Relay, Sink};
use tokio::io::AsyncReadExt;

fn main() -> actium::Result<()> {
    let cookie = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "node-tests".to_owned());
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
