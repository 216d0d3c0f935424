//! Named actors, as in PyActive's registry example: a server registers
//! under a name; clients find it by name, typed, and call it. Missing names
//! and wrong types are clear errors.
//!
//! ```text
//! cargo run --example registry -- [tasks|threads]
//! ```

mod common;

use std::collections::HashMap;

use actium::prelude::*;

#[derive(Default)]
struct Directory {
    entries: HashMap<String, String>,
}

#[actor]
impl Directory {
    #[tell]
    fn put(&mut self, key: String, value: String) {
        self.entries.insert(key, value);
    }

    #[ask]
    fn get(&self, key: String) -> Option<String> {
        self.entries.get(&key).cloned()
    }
}

struct Clock;

#[actor]
impl Clock {
    #[ask]
    fn now(&self) -> String {
        "tea time".to_owned()
    }
}

/// A client that knows only the name of its server.
async fn client(name: &str) -> actium::Result<()> {
    let directory = actium::whereis::<Directory>(name)?;
    directory.put("actium".into(), "actors whose methods are messages".into())?;
    println!(
        "client: actium = {:?}",
        directory.get("actium".into()).await?
    );
    Ok(())
}

fn main() -> actium::Result<()> {
    common::each_mode(run)
}

fn run(mode: Mode) -> actium::Result<()> {
    actium::launch(mode, async {
        actium::register("directory", &Directory::default().spawn())?;
        actium::register("clock", &Clock.spawn())?;
        println!("registered: {:?}", SystemHandle::current().registered());

        client("directory").await?;

        // The errors a client can act on:
        match actium::whereis::<Directory>("phonebook") {
            Err(error) => println!("lookup of a missing name: {error}"),
            Ok(_) => unreachable!("nothing is registered as phonebook"),
        }
        match actium::whereis::<Directory>("clock") {
            Err(error) => println!("lookup with the wrong type: {error}"),
            Ok(_) => unreachable!("clock is a Clock"),
        }

        // A name goes away with its actor.
        let clock = actium::whereis::<Clock>("clock")?;
        println!("clock says {}", clock.now().await?);
        clock.stop();
        clock.stopped().await;
        assert!(actium::whereis::<Clock>("clock").is_err());
        println!(
            "after the clock stopped: {:?}",
            SystemHandle::current().registered()
        );
        Ok(())
    })
}
