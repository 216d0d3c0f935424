//! Two-phase commit: a coordinator asks every participant to prepare (a
//! gather with one deadline), then tells all to commit if every vote was
//! yes, or to abort otherwise. One participant fails: the transaction
//! aborts everywhere.
//!
//! ```text
//! cargo run --example two_phase_commit -- [tasks|threads]
//! ```

mod common;

use std::time::Duration;

use actium::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vote {
    Yes,
    No,
}

/// A resource manager holding one value.
struct Participant {
    name: &'static str,
    committed: u64,
    pending: Option<u64>,
    /// Refuses transactions with this value (a constraint violation).
    refuses: Option<u64>,
}

#[actor]
impl Participant {
    #[ask]
    fn prepare(&mut self, value: u64) -> Vote {
        if self.refuses == Some(value) {
            return Vote::No;
        }
        self.pending = Some(value);
        Vote::Yes
    }

    #[tell]
    fn commit(&mut self) {
        if let Some(value) = self.pending.take() {
            self.committed = value;
        }
    }

    #[tell]
    fn abort(&mut self) {
        self.pending = None;
    }

    #[ask]
    fn value(&self) -> (&'static str, u64) {
        (self.name, self.committed)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Committed,
    Aborted(String),
}

struct Coordinator {
    participants: Group<Participant>,
}

#[actor]
impl Coordinator {
    #[ask]
    async fn transaction(&self, value: u64) -> Outcome {
        // Phase 1: every participant votes, under one deadline.
        let votes = self
            .participants
            .ask_all()
            .prepare(value)
            .timeout(Duration::from_millis(500))
            .await;
        let problems: Vec<String> = votes
            .iter()
            .filter_map(|vote| match &vote.result {
                Ok(Vote::Yes) => None,
                Ok(Vote::No) => Some(format!("{} voted no", vote.member.local())),
                Err(error) => Some(error.to_string()),
            })
            .collect();
        // Phase 2: one decision, sent to all.
        if problems.is_empty() {
            self.participants.tell_all().commit().send();
            Outcome::Committed
        } else {
            self.participants.tell_all().abort().send();
            Outcome::Aborted(problems.join("; "))
        }
    }
}

fn participant(name: &'static str, refuses: Option<u64>) -> ActorRef<Participant> {
    Participant {
        name,
        committed: 0,
        pending: None,
        refuses,
    }
    .spawn()
}

fn main() -> actium::Result<()> {
    common::each_mode(run)
}

fn run(mode: Mode) -> actium::Result<()> {
    actium::launch(mode, async {
        let participants: Group<Participant> = [
            participant("accounts", None),
            participant("inventory", Some(13)),
            participant("shipping", None),
        ]
        .into_iter()
        .collect();
        let coordinator = Coordinator {
            participants: participants.clone(),
        }
        .spawn();

        let first = coordinator.transaction(7).await?;
        println!("transaction 7: {first:?}");
        assert_eq!(first, Outcome::Committed);

        let second = coordinator.transaction(13).await?;
        println!("transaction 13: {second:?}");
        assert!(matches!(second, Outcome::Aborted(_)));

        // A participant that is gone fails the vote too.
        participants.members()[2].stop();
        participants.members()[2].stopped().await;
        let third = coordinator.transaction(21).await?;
        println!("transaction 21 with shipping stopped: {third:?}");
        assert!(matches!(third, Outcome::Aborted(_)));

        let values = participants.ask_all().value().await;
        for value in values.iter() {
            println!("  {:?}", value.result);
        }
        // Every live participant holds the last committed value, 7.
        for value in values.successes() {
            assert_eq!(value.1.1, 7);
        }
        Ok(())
    })
}
