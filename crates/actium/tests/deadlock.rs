//! Deadlock detection: a cycle of plain request-replies fails at once with
//! `Error::Deadlock` naming the actors; the same shape through a parallel
//! method completes.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::Event;

struct Node;

#[actor]
impl Node {
    /// Asks the first of `route` to relay the rest; answers with the number
    /// of hops.
    #[ask]
    async fn relay(&self, route: Vec<ActorRef<Node>>) -> Result<u32, Error> {
        hop(route).await
    }

    /// Asks `slow` to call back once released, but gives up after
    /// `patience`.
    #[ask]
    async fn ask_back(
        &self,
        ctx: &mut Context<Self>,
        slow: ActorRef<Slow>,
        release: Event,
        patience: Duration,
    ) -> Result<u32, Error> {
        let me = ctx.myself();
        slow.call_back(me, release).timeout(patience).await?
    }

    /// The same, without holding this actor while it waits.
    #[ask(parallel)]
    async fn relay_parallel(
        _this: Reentrant<Self>,
        route: Vec<ActorRef<Node>>,
    ) -> Result<u32, Error> {
        hop(route).await
    }
}

async fn hop(mut route: Vec<ActorRef<Node>>) -> Result<u32, Error> {
    if route.is_empty() {
        return Ok(0);
    }
    let next = route.remove(0);
    Ok(next.relay(route).await?? + 1)
}

fn cycle_of(error: &Error) -> String {
    match error {
        Error::Deadlock { cycle, .. } => cycle.to_string(),
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

/// A generous deadline: the point is that detection does not wait for it.
fn system(mode: Mode) -> actium::SystemBuilder {
    System::builder()
        .mode(mode)
        .default_timeout(Duration::from_secs(30))
}

#[test]
fn a_two_actor_cycle_of_plain_asks_fails_at_once_naming_both() {
    for mode in [Mode::Tasks, Mode::Threads] {
        system(mode)
            .launch(async {
                let (a, b) = (Node.spawn(), Node.spawn());
                let error = a
                    .relay(vec![b.clone(), a.clone()])
                    .await?
                    .expect_err("deadlock");
                assert_eq!(cycle_of(&error), format!("{a} → {b} → {a}"));
                assert!(
                    error
                        .to_string()
                        .starts_with("deadlock: `relay` would close the cycle")
                );
                Ok::<(), Error>(())
            })
            .expect("launch");
    }
}

#[test]
fn a_three_actor_cycle_fails_at_once_naming_all_three() {
    for mode in [Mode::Tasks, Mode::Threads] {
        system(mode)
            .launch(async {
                let (a, b, c) = (Node.spawn(), Node.spawn(), Node.spawn());
                let error = a
                    .relay(vec![b.clone(), c.clone(), a.clone()])
                    .await?
                    .expect_err("deadlock");
                assert_eq!(cycle_of(&error), format!("{a} → {b} → {c} → {a}"));
                Ok::<(), Error>(())
            })
            .expect("launch");
    }
}

#[test]
fn asking_oneself_from_a_plain_method_is_a_deadlock() {
    for mode in [Mode::Tasks, Mode::Threads] {
        system(mode)
            .launch(async {
                let a = Node.spawn();
                let error = a.relay(vec![a.clone()]).await?.expect_err("deadlock");
                assert_eq!(cycle_of(&error), format!("{a} → {a}"));
                Ok::<(), Error>(())
            })
            .expect("launch");
    }
}

#[actium::test]
async fn the_same_cycles_through_a_parallel_method_complete() -> actium::Result<()> {
    let (a, b, c) = (Node.spawn(), Node.spawn(), Node.spawn());
    assert_eq!(a.relay_parallel(vec![b.clone(), a.clone()]).await??, 2);
    assert_eq!(
        a.relay_parallel(vec![b.clone(), c.clone(), a.clone()])
            .await??,
        3
    );
    assert_eq!(a.relay_parallel(vec![a.clone()]).await??, 1);
    Ok(())
}

#[actium::test]
async fn chains_without_a_cycle_are_not_deadlocks() -> actium::Result<()> {
    let (a, b, c) = (Node.spawn(), Node.spawn(), Node.spawn());
    assert_eq!(a.relay(vec![b.clone(), c.clone()]).await??, 2);
    // Sequential calls reuse actors without a cycle.
    assert_eq!(a.relay(vec![b.clone()]).await??, 1);
    assert_eq!(b.relay(vec![a.clone()]).await??, 1);
    Ok(())
}

/// Calls back the actor that asked it, once released; keeps the outcome.
#[derive(Default)]
struct Slow {
    outcome: Option<Result<u32, String>>,
}

#[actor]
impl Slow {
    #[ask]
    async fn call_back(&mut self, caller: ActorRef<Node>, release: Event) -> Result<u32, Error> {
        release.wait().await;
        let outcome = caller.relay(Vec::new()).await.and_then(|hops| hops);
        self.outcome = Some(outcome.clone().map_err(|error| error.to_string()));
        outcome
    }

    #[ask]
    fn outcome(&self) -> Option<Result<u32, String>> {
        self.outcome.clone()
    }
}

#[actium::test]
async fn a_caller_that_gave_up_is_not_part_of_a_cycle() -> actium::Result<()> {
    let (a, slow) = (Node.spawn(), Slow::default().spawn());
    let release = Event::new();
    let gave_up = a
        .ask_back(slow.clone(), release.clone(), Duration::from_millis(50))
        .await?;
    assert!(matches!(gave_up, Err(Error::Timeout { .. })), "{gave_up:?}");
    // A no longer waits for `slow`, so `slow` calling A is no cycle: A is
    // idle and answers.
    release.fire();
    assert_eq!(slow.outcome().await?, Some(Ok(0)));
    Ok(())
}
