//! One-way calls (`#[tell]`): they return at once, arrive in order, and fail
//! with a clear error once the actor has stopped.

mod support;

use actium::prelude::*;
use support::Gate;

#[derive(Default)]
struct Log {
    seen: Vec<u32>,
}

#[actor]
impl Log {
    #[tell]
    fn push(&mut self, n: u32) {
        self.seen.push(n);
    }

    #[ask]
    fn seen(&self) -> Vec<u32> {
        self.seen.clone()
    }
}

#[actium::test]
async fn tells_from_one_sender_arrive_in_order() -> actium::Result<()> {
    let log = Log::default().spawn();
    for n in 0..10_000 {
        log.push(n)?;
    }
    assert_eq!(log.seen().await?, (0..10_000).collect::<Vec<_>>());
    Ok(())
}

#[actium::test]
async fn tells_from_concurrent_senders_keep_each_senders_order() -> actium::Result<()> {
    let log = Log::default().spawn();
    let senders: Vec<_> = (0..4_u32)
        .map(|sender| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..1_000 {
                    log.push(sender * 10_000 + i)?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for sender in senders {
        sender.await.expect("sender task")?;
    }
    let seen = log.seen().await?;
    assert_eq!(seen.len(), 4_000);
    for sender in 0..4 {
        let mine: Vec<u32> = seen
            .iter()
            .filter(|n| *n / 10_000 == sender)
            .copied()
            .collect();
        assert_eq!(
            mine,
            (0..1_000).map(|i| sender * 10_000 + i).collect::<Vec<_>>()
        );
    }
    Ok(())
}

#[actium::test]
async fn a_tell_returns_while_the_actor_is_busy() -> actium::Result<()> {
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawn();
    let held = gate.hold();
    entered.wait().await;
    // The actor is inside `hold` until the gate opens; tells must not wait.
    for _ in 0..1_000 {
        gate.touch()?;
    }
    open.fire();
    assert_eq!(held.await?, 1);
    assert_eq!(gate.handled().await?, 1_001);
    Ok(())
}

#[actium::test]
async fn a_tell_to_a_stopped_actor_is_an_actor_stopped_error() -> actium::Result<()> {
    let log = Log::default().spawn();
    log.stop();
    log.stopped().await;
    let error = log.push(1).expect_err("the actor has stopped");
    assert!(
        matches!(error, Error::ActorStopped { method: "push", .. }),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("Log#"), "{error}");
    Ok(())
}
