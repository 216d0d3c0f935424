//! Names across nodes: a server registers actors under names; a client
//! lists them, looks them up by `tcp://host:port/name` with their type, and
//! gets clear errors for a missing name or the wrong type.
//!
//! ```text
//! cargo run --example remote_registry --features remote
//! ```

#[path = "support/server.rs"]
mod server;

use std::collections::HashMap;

use actium::prelude::*;
use actium::remote::Node;

const COOKIE: &str = "remote-registry";

/// A key-value store.
#[derive(Default)]
struct Store {
    entries: HashMap<String, String>,
}

#[actor(remote)]
impl Store {
    #[tell]
    fn put(&mut self, key: String, value: String) {
        self.entries.insert(key, value);
    }

    #[ask]
    fn get(&self, key: String) -> Option<String> {
        self.entries.get(&key).cloned()
    }
}

/// An append-only log.
#[derive(Default)]
struct Journal {
    lines: Vec<String>,
}

#[actor(remote)]
impl Journal {
    #[tell]
    fn write(&mut self, line: String) {
        self.lines.push(line);
    }

    #[ask]
    fn lines(&self) -> Vec<String> {
        self.lines.clone()
    }
}

async fn serve(port: u16) -> actium::Result<()> {
    let node = Node::builder()
        .listen(format!("tcp://127.0.0.1:{port}"))
        .name("registry-server")
        .cookie(COOKIE)
        .start()
        .await?;
    node.register("store", &Store::default().spawn())?;
    node.register("journal", &Journal::default().spawn())?;
    println!("listening {}", node.address());
    server::serve_until_stdin_closes().await;
    node.shutdown();
    Ok(())
}

async fn client(address: String) -> actium::Result<()> {
    let address = address.as_str();
    let node = Node::builder()
        .name("registry-client")
        .cookie(COOKIE)
        .start()
        .await?;
    let info = node.describe(address).await?;
    println!("{} ({}) registers:", info.name, info.address);
    for (name, actor) in &info.names {
        println!("  {name:<8} → {actor}");
    }

    let store = node.lookup::<Store>(&format!("{address}/store")).await?;
    let journal = node
        .lookup::<Journal>(&format!("{address}/journal"))
        .await?;
    store.put("language".into(), "Rust".into())?;
    journal.write(format!("put language from {}", node.address()))?;
    let value = store.get("language".into()).await?;
    println!(
        "store[language] = {value:?}; journal = {:?}",
        journal.lines().await?
    );
    assert_eq!(value.as_deref(), Some("Rust"));

    let missing = node.lookup::<Store>(&format!("{address}/cache")).await;
    println!(
        "looking up `cache`: {}",
        missing
            .as_ref()
            .map(|_| "found".to_owned())
            .unwrap_or_else(|e| e.to_string())
    );
    assert!(matches!(missing, Err(actium::Error::NotRegistered { .. })));
    let wrong = node.lookup::<Store>(&format!("{address}/journal")).await;
    println!(
        "looking up `journal` as a Store: {}",
        wrong
            .as_ref()
            .map(|_| "found".to_owned())
            .unwrap_or_else(|e| e.to_string())
    );
    assert!(matches!(wrong, Err(actium::Error::WrongType { .. })));
    node.shutdown();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    server::main(serve, client)
}
