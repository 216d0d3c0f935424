//! Tutorial chapter 6: the echo actor on another node over TCP. The
//! example starts its server as a child process of itself, so one command
//! shows both sides. See `docs/tutorial/06_remote_echo.md`.
//!
//! ```text
//! cargo run --example tutorial_06_remote_echo --features remote                 # both sides
//! cargo run --example tutorial_06_remote_echo --features remote -- server 4000  # one side...
//! cargo run --example tutorial_06_remote_echo --features remote -- client tcp://127.0.0.1:4000
//! ```

#[path = "support/server.rs"]
mod server;

use actium::prelude::*;
use actium::remote::Node;

/// Both nodes must present the same cookie to talk to each other.
const COOKIE: &str = "tutorial-06";

// ANCHOR: actor
#[derive(Default)]
struct Echo {
    heard: Vec<String>,
}

// `remote`: other nodes may call this actor.
#[actor(remote)]
impl Echo {
    #[tell]
    fn echo(&mut self, message: String) {
        println!("[server pid {}] echo: {message}", std::process::id());
        self.heard.push(message);
    }

    #[ask]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: actor

// ANCHOR: serve
async fn serve(port: u16) -> actium::Result<()> {
    let node = Node::builder()
        .listen(format!("tcp://127.0.0.1:{port}"))
        .cookie(COOKIE)
        .start()
        .await?;
    node.register("echo", &Echo::default().spawn())?;
    // The parent process reads this line to learn the port.
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: client
async fn client(address: String) -> actium::Result<()> {
    let node = Node::builder().cookie(COOKIE).start().await?;
    let url = format!("{address}/echo");
    let echo = node.lookup::<Echo>(&url).await?;
    println!("[client pid {}] found {echo} at {url}", std::process::id());
    // The same calls as on a local actor.
    echo.echo("hello".into())?;
    echo.echo("over TCP".into())?;
    let heard = echo.heard().await?;
    println!("[client] the server's echo heard {heard:?}");
    assert_eq!(heard, ["hello", "over TCP"]);
    node.shutdown();
    Ok(())
}
// ANCHOR_END: client

fn main() -> Result<(), Box<dyn std::error::Error>> {
    server::main(serve, client)
}
