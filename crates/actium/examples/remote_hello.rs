//! Hello world across processes, as PyActive's Hello_World_Remote: a
//! server node hosts an actor under a name; a client node looks it up by
//! URL and calls it with the same method calls as a local actor.
//!
//! ```text
//! cargo run --example remote_hello --features remote                 # both sides
//! cargo run --example remote_hello --features remote -- server 4000  # one side...
//! cargo run --example remote_hello --features remote -- client tcp://127.0.0.1:4000
//! ```
//!
//! Both sides must share a cookie; this example sets one in code
//! (otherwise `ACTIUM_COOKIE` or `~/.actium.cookie` is used).

#[path = "support/server.rs"]
mod server;

use actium::prelude::*;
use actium::remote::Node;

const COOKIE: &str = "remote-hello";

#[derive(Default)]
struct Greeter {
    greeted: Vec<String>,
}

#[actor(remote)]
impl Greeter {
    /// One-way.
    #[tell]
    fn hello(&mut self, name: String) {
        println!("  [server pid {}] hello, {name}!", std::process::id());
        self.greeted.push(name);
    }

    /// Request-reply.
    #[ask]
    fn greeted(&self) -> Vec<String> {
        self.greeted.clone()
    }
}

async fn serve(port: u16) -> actium::Result<()> {
    let node = Node::builder()
        .listen(format!("tcp://127.0.0.1:{port}"))
        .name("hello-server")
        .cookie(COOKIE)
        .start()
        .await?;
    node.register("greeter", &Greeter::default().spawn())?;
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}

async fn client(address: String) -> actium::Result<()> {
    let address = address.as_str();
    let node = Node::builder()
        .name("hello-client")
        .cookie(COOKIE)
        .start()
        .await?;
    let url = format!("{address}/greeter");
    let greeter = node.lookup::<Greeter>(&url).await?;
    println!(
        "client pid {}: found {greeter} at {url}",
        std::process::id()
    );
    greeter.hello("world".into())?;
    greeter.hello("Actium".into())?;
    let greeted = greeter.greeted().await?;
    println!("client: the server greeted {greeted:?}");
    assert_eq!(greeted, ["world", "Actium"]);
    node.shutdown();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    server::main(serve, client)
}
