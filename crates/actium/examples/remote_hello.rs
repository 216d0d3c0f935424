//! Hello world across processes, as PyActive's Hello_World_Remote: a
//! server node hosts an actor under a name; a client node looks it up by
//! URL and calls it with the same method calls as a local actor.
//!
//! ```text
//! cargo run --example remote_hello --features remote                 # both sides
//! cargo run --example remote_hello --features remote -- server 4000  # one side...
//! cargo run --example remote_hello --features remote -- client tcp://127.0.0.1:4000
//! cargo run --example remote_hello --features nats -- --transport nats  # through NATS
//! ```
//!
//! Both sides must share a cookie; this example sets one in code
//! (otherwise `ACTIUM_COOKIE` or `~/.actium.cookie` is used).
//!
//! With `--transport nats` the two nodes meet through a NATS server
//! instead: the one at `--nats <url>`, or else a `nats-server` the example
//! starts for the run on a free port and stops after (`scripts/install-nats`
//! installs it). The actor and the calls are the same.

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
    greet(&greeter, "Actium").await?;
    node.shutdown();
    Ok(())
}

/// The client's calls, the same whichever way the nodes meet.
async fn greet(greeter: &ActorRef<Greeter>, second: &str) -> actium::Result<()> {
    greeter.hello("world".into())?;
    greeter.hello(second.into())?;
    let greeted = greeter.greeted().await?;
    println!("client: the server greeted {greeted:?}");
    assert_eq!(greeted, ["world", second]);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match transport(&args) {
        Some("nats") => nats_main(&args),
        Some("tcp") | None => server::main(serve, client),
        Some(other) => Err(format!("unknown transport {other:?}: tcp or nats").into()),
    }
}

/// The value of `--transport`, if given.
fn transport(args: &[String]) -> Option<&str> {
    let at = args.iter().position(|arg| arg == "--transport")?;
    Some(args.get(at + 1).map_or("", String::as_str))
}

#[cfg(not(feature = "nats"))]
fn nats_main(_args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    Err("--transport nats needs the `nats` feature: cargo run --example remote_hello --features nats -- --transport nats".into())
}

/// `--transport nats [--nats <url>] [server]`: the same two sides, meeting
/// through a NATS server in the cluster `hello`.
#[cfg(feature = "nats")]
fn nats_main(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    use actium::nats::LocalServer;

    let given = args
        .iter()
        .position(|arg| arg == "--nats")
        .and_then(|at| args.get(at + 1).cloned());
    if args.iter().any(|arg| arg == "server") {
        let url = given.ok_or("the server side needs --nats <url>")?;
        actium::launch(actium::Mode::Tasks, nats_serve(url))?;
        return Ok(());
    }
    // No server given: one of our own for this run, stopped on return.
    let local = match given {
        Some(_) => None,
        None => Some(LocalServer::start()?),
    };
    let url = match (&local, given) {
        (Some(local), _) => local.url(),
        (None, given) => given.unwrap_or_default(),
    };
    println!("NATS server at {url}");
    let side = server::Server::start_with(&["--transport", "nats", "--nats", &url, "server"])?;
    println!("started a server process: node {}", side.address);
    actium::launch(actium::Mode::Tasks, nats_client(url, side.address.clone()))?;
    Ok(())
}

#[cfg(feature = "nats")]
async fn nats_serve(url: String) -> actium::Result<()> {
    let node = actium::nats::NatsNode::builder()
        .server(url)
        .cluster("hello")
        .start()
        .await?;
    node.register("greeter", &Greeter::default().spawn())?;
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}

#[cfg(feature = "nats")]
async fn nats_client(url: String, server_node: String) -> actium::Result<()> {
    let node = actium::nats::NatsNode::builder()
        .server(url)
        .cluster("hello")
        .start()
        .await?;
    let greeter = node
        .lookup::<Greeter>(&format!("{server_node}/greeter"))
        .await?;
    println!(
        "client pid {}: found {greeter} through NATS",
        std::process::id()
    );
    greet(&greeter, "NATS").await?;
    node.shutdown();
    Ok(())
}
