//! Tutorial chapter 8: hosts register with a registry; a client spawns an
//! echo actor on every registered host and calls them all as a group.
//! Four nodes run in this one process, each on its own actor system.
//! See `docs/tutorial/08_echo_on_every_host.md`.
//!
//! ```text
//! cargo run --example tutorial_08_echo_on_every_host --features remote
//! ```

use actium::Group;
use actium::prelude::*;
use actium::remote::Node;
use serde::{Deserialize, Serialize};

const COOKIE: &str = "tutorial-08";
const HOSTS: usize = 3;

// ANCHOR: echo
/// Answers with the process and the name it was given.
#[derive(Serialize, Deserialize)]
struct Echo {
    name: String,
}

#[actor(remote)]
impl Echo {
    #[ask]
    fn echo(&self, message: String) -> String {
        format!("{} echoes {message}", self.name)
    }
}
// ANCHOR_END: echo

// ANCHOR: registry
/// The addresses of the hosts that registered.
#[derive(Default)]
struct Registry {
    hosts: Vec<String>,
}

#[actor(remote)]
impl Registry {
    #[ask]
    fn register_host(&mut self, address: String) {
        self.hosts.push(address);
    }

    #[ask]
    fn hosts(&self) -> Vec<String> {
        self.hosts.clone()
    }
}
// ANCHOR_END: registry

// ANCHOR: host
/// Starts a host node on `system`: it allows echoes to be spawned on it
/// and registers its address with the registry at `registry_url`.
async fn start_host(system: SystemHandle, registry_url: &str) -> actium::Result<Node> {
    let host = Node::builder()
        .system(&system)
        .cookie(COOKIE)
        .start()
        .await?;
    host.allow_spawn::<Echo>();
    let registry = host.lookup::<Registry>(registry_url).await?;
    registry.register_host(host.address().to_string()).await?;
    Ok(host)
}
// ANCHOR_END: host

// ANCHOR: main
fn main() -> actium::Result<()> {
    let systems = (0..HOSTS)
        .map(|_| System::builder().start())
        .collect::<actium::Result<Vec<_>>>()?;
    let handles: Vec<SystemHandle> = systems.iter().map(|s| s.handle().clone()).collect();
    actium::launch(Mode::Tasks, async move {
        // The registry lives on this node.
        let me = Node::builder().cookie(COOKIE).start().await?;
        me.register("registry", &Registry::default().spawn())?;
        let mut hosts = Vec::new();
        for system in handles {
            hosts.push(start_host(system, &me.url("registry")).await?);
        }

        // An echo on every registered host.
        let registry = me.lookup::<Registry>(&me.url("registry")).await?;
        let mut echoes = Vec::new();
        for (i, address) in registry.hosts().await?.iter().enumerate() {
            let echo = Echo {
                name: format!("echo-{i}"),
            };
            echoes.push(me.spawn_on(address, echo).await?);
        }
        assert_eq!(echoes.len(), HOSTS);

        // Call them all at once; each answers from its own host.
        let answers = Group::new(echoes.clone())
            .ask_all()
            .echo("hello".into())
            .await
            .into_values()?;
        for (echo, answer) in echoes.iter().zip(&answers) {
            let host = echo.node_address().unwrap_or("this node");
            println!("{echo} on {host}: {answer}");
        }
        assert_eq!(
            answers,
            [
                "echo-0 echoes hello",
                "echo-1 echoes hello",
                "echo-2 echoes hello"
            ]
        );

        for host in hosts {
            host.shutdown();
        }
        me.shutdown();
        Ok::<(), actium::Error>(())
    })?;
    for system in systems {
        system.shutdown();
    }
    Ok(())
}
// ANCHOR_END: main
