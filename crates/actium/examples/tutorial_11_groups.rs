//! Tutorial chapter 11: one-to-many calls — a `Group` of replicas,
//! multicast, gather, the first answer, a quorum, and a member that is
//! gone. See `docs/tutorial/11_groups.md`.
//!
//! ```text
//! cargo run --example tutorial_11_groups
//! ```

use actium::Group;
use actium::prelude::*;

// ANCHOR: replica
struct Replica {
    value: u64,
}

#[actor]
impl Replica {
    #[tell]
    fn set(&mut self, value: u64) {
        self.value = value;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.value
    }
}
// ANCHOR_END: replica

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let replicas: Group<Replica> = (0..3).map(|_| Replica { value: 0 }.spawn()).collect();

        replicas.tell_all().set(7).send(); // multicast: one tell per member
        let all = replicas.ask_all().get().await; // gather: one reply per member
        let values = all.into_values()?;
        println!("ask_all: {values:?}");
        assert_eq!(values, [7, 7, 7]);

        let fastest = replicas.first(1).get().await?; // the first answer
        let values = fastest.into_values()?;
        println!("first(1): {values:?}");
        assert_eq!(values, [7]);

        // One replica goes away.
        let gone = replicas.members()[2].clone();
        gone.stop();
        gone.stopped().await;

        // Gather reports each member's failure beside the others' answers.
        let all = replicas.ask_all().get().await;
        for (member, value) in all.successes() {
            println!("  {member} answered {value}");
        }
        for (member, error) in all.failures() {
            println!("  {member} failed: {error}");
        }
        assert_eq!(all.successes().count(), 2);
        assert!(all.into_values().is_err()); // not every member answered

        // A quorum (a majority: two of three) still answers.
        let majority = replicas.quorum().get().await?;
        let values = majority.into_values()?;
        println!("quorum: {values:?}");
        assert_eq!(values, [7, 7]);
        Ok(())
    })
}
// ANCHOR_END: main
