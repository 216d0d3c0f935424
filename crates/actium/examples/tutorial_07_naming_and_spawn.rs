//! Tutorial chapter 7: spawning an actor on another node, and a naming
//! service that hands out references to it. Three nodes run in this one
//! process, each on its own actor system and TCP port.
//! See `docs/tutorial/07_naming_and_spawn.md`.
//!
//! ```text
//! cargo run --example tutorial_07_naming_and_spawn --features remote
//! ```

use std::collections::HashMap;

use actium::prelude::*;
use actium::remote::Node;
use serde::{Deserialize, Serialize};

const COOKIE: &str = "tutorial-07";

// ANCHOR: echo
/// Its initial state travels to the node that spawns it, so it is
/// `Serialize` and `Deserialize`.
#[derive(Default, Serialize, Deserialize)]
struct Echo {
    heard: Vec<String>,
}

#[actor(remote)]
impl Echo {
    #[tell]
    fn echo(&mut self, message: String) {
        self.heard.push(message);
    }

    #[ask]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: echo

// ANCHOR: names
/// A naming service: names to references, which may point at any node.
#[derive(Default)]
struct Names {
    bound: HashMap<String, ActorRef<Echo>>,
}

#[actor(remote)]
impl Names {
    #[ask]
    fn bind(&mut self, name: String, echo: ActorRef<Echo>) {
        self.bound.insert(name, echo);
    }

    #[ask]
    fn resolve(&self, name: String) -> Option<ActorRef<Echo>> {
        self.bound.get(&name).cloned()
    }
}
// ANCHOR_END: names

// ANCHOR: main
fn main() -> actium::Result<()> {
    // Two more actor systems in this process: a host and a name server.
    let host_system = System::builder().start()?;
    let names_system = System::builder().start()?;
    let (host, names) = (host_system.handle().clone(), names_system.handle().clone());
    actium::launch(Mode::Tasks, async move {
        // The host lets other nodes spawn echoes on it.
        let host = Node::builder().system(&host).cookie(COOKIE).start().await?;
        host.allow_spawn::<Echo>();
        // The name server registers its naming service as `names`.
        let name_server = Node::builder()
            .system(&names)
            .cookie(COOKIE)
            .start()
            .await?;
        let service = Names::default().spawner().system(&names).spawn();
        name_server.register("names", &service)?;

        // This node spawns an echo on the host and binds it to a name.
        let me = Node::builder().cookie(COOKIE).start().await?;
        let echo = me
            .spawn_on(&host.address().to_string(), Echo::default())
            .await?;
        println!("spawned {echo} on {}", host.address());
        let names = me.lookup::<Names>(&name_server.url("names")).await?;
        names.bind("echo-1".into(), echo.clone()).await?;

        // Anyone can now resolve the name and call the echo on the host.
        let found = names.resolve("echo-1".into()).await?;
        let found = found.expect("echo-1 was bound");
        let at = found.node_address().unwrap_or("this node");
        println!("names resolved echo-1 to {found} on {at}");
        assert_eq!(found, echo);
        found.echo("found by name".into())?;
        assert_eq!(found.heard().await?, ["found by name"]);
        assert_eq!(names.resolve("echo-2".into()).await?, None);

        me.shutdown();
        name_server.shutdown();
        host.shutdown();
        Ok::<(), actium::Error>(())
    })?;
    host_system.shutdown();
    names_system.shutdown();
    Ok(())
}
// ANCHOR_END: main
