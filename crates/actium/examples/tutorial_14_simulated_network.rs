//! Tutorial chapter 14: several nodes on a simulated network — latency
//! drawn from a seed, a node that crashes, and the same run replayed.
//! See `docs/tutorial/14_simulated_network.md`.
//!
//! ```text
//! cargo run --example tutorial_14_simulated_network --features remote
//! ```

use std::time::Duration;

use actium::Group;
use actium::prelude::*;
use actium::sim::Simulation;

// ANCHOR: store
/// One replica of a value.
#[derive(Default)]
struct Store {
    value: Option<String>,
}

#[actor(remote)]
impl Store {
    #[ask]
    fn put(&mut self, value: String) {
        self.value = Some(value);
    }

    #[ask]
    fn get(&self) -> Option<String> {
        self.value.clone()
    }
}
// ANCHOR_END: store

// ANCHOR: run
/// One seeded run: the client writes to two replicas, the primary
/// crashes, and the client reads from whichever replica still answers.
/// Returns what it read, how the primary's failure showed, and the run's
/// digest.
fn run(seed: u64) -> actium::Result<(Vec<Option<String>>, String, u64)> {
    let sim = Simulation::builder(seed)
        .latency(Duration::from_millis(1), Duration::from_millis(50))
        .build();
    let client = sim.node("client")?;
    let primary = sim.node("primary")?;
    let backup = sim.node("backup")?;
    let (read, failure) = sim.run(async {
        primary.register("store", &primary.spawn(Store::default()))?;
        backup.register("store", &backup.spawn(Store::default()))?;
        let replicas = Group::new([
            client.lookup::<Store>("sim://primary/store").await?,
            client.lookup::<Store>("sim://backup/store").await?,
        ]);
        replicas.ask_all().put("v1".into()).await.into_values()?;

        sim.crash("primary");
        // Noticed after the failure detector's timeout, in virtual time.
        let failure = match replicas.members()[0].get().await {
            Err(error @ actium::Error::NodeDown { .. }) => error.to_string(),
            other => panic!("a call to a crashed node answered {other:?}"),
        };
        let read = replicas.first(1).get().await?.into_values()?;
        Ok::<_, actium::Error>((read, failure))
    })??;
    Ok((read, failure, sim.digest()))
}
// ANCHOR_END: run

// ANCHOR: main
fn main() -> actium::Result<()> {
    for seed in 0..100 {
        let (read, _, _) = run(seed)?;
        assert_eq!(read, [Some("v1".to_owned())], "seed {seed}");
    }
    println!("100 seeds: the backup answered v1 after the primary crashed");

    let (read, failure, digest) = run(7)?;
    println!("seed 7: {failure}; read {read:?}; digest {digest:016x}");
    assert_eq!(run(7)?.2, digest, "the same seed replays the same run");
    Ok(())
}
// ANCHOR_END: main
