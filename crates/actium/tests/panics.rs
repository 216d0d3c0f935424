//! Panics cross the call: the caller gets `Error::Panicked` with the panic
//! message, and the actor resumes or stops according to its panic policy.

use actium::prelude::*;

#[derive(Default)]
struct Fragile {
    n: u64,
}

#[actor]
impl Fragile {
    #[ask]
    fn boom(&self, message: String) -> u64 {
        panic!("{message}")
    }

    #[ask]
    async fn boom_later(&self) -> u64 {
        actium::sleep(std::time::Duration::from_millis(1)).await;
        panic!("late boom")
    }

    #[tell]
    fn crash(&mut self) {
        panic!("one-way boom")
    }

    #[tell]
    fn incr(&mut self) {
        self.n += 1;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

#[derive(Default)]
struct Brittle;

#[actor(on_panic = "stop")]
impl Brittle {
    #[ask]
    fn boom(&self) -> u64 {
        panic!("brittle boom")
    }

    #[ask]
    fn get(&self) -> u64 {
        7
    }
}

#[actium::test]
async fn a_panicking_ask_returns_panicked_and_the_actor_goes_on() -> actium::Result<()> {
    let fragile = Fragile::default().spawn();
    let error = fragile.boom("kaboom".into()).await.expect_err("panics");
    match &error {
        Error::Panicked {
            method, message, ..
        } => {
            assert_eq!((*method, message.as_str()), ("boom", "kaboom"));
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert!(error.to_string().ends_with("panicked: kaboom"), "{error}");
    fragile.incr()?;
    assert_eq!(fragile.get().await?, 1);
    assert!(fragile.is_alive());
    Ok(())
}

#[actium::test]
async fn a_panic_after_an_await_is_reported_the_same_way() -> actium::Result<()> {
    let fragile = Fragile::default().spawn();
    let error = fragile.boom_later().await.expect_err("panics");
    assert!(
        matches!(&error, Error::Panicked { method: "boom_later", message, .. } if message == "late boom"),
        "{error:?}"
    );
    assert_eq!(fragile.get().await?, 0);
    Ok(())
}

#[actium::test]
async fn a_panicking_tell_does_not_stop_a_resuming_actor() -> actium::Result<()> {
    let fragile = Fragile::default().spawn();
    fragile.crash()?;
    fragile.incr()?;
    assert_eq!(fragile.get().await?, 1);
    Ok(())
}

#[actium::test]
async fn the_stop_policy_stops_the_actor_with_a_panicked_reason() -> actium::Result<()> {
    let brittle = Brittle.spawn();
    let error = brittle.boom().await.expect_err("panics");
    assert!(matches!(error, Error::Panicked { .. }), "{error:?}");
    match brittle.stopped().await {
        ExitReason::Panicked(message) => assert!(message.contains("brittle boom"), "{message}"),
        other => panic!("expected a panicked exit, got {other:?}"),
    }
    let later = brittle.get().await.expect_err("stopped");
    assert!(matches!(later, Error::ActorStopped { .. }), "{later:?}");
    Ok(())
}

#[actium::test]
async fn the_spawner_can_override_the_panic_policy() -> actium::Result<()> {
    let fragile = Fragile::default()
        .spawner()
        .on_panic(PanicPolicy::Stop)
        .spawn();
    fragile.crash()?;
    assert!(matches!(fragile.stopped().await, ExitReason::Panicked(_)));

    let brittle = Brittle.spawner().on_panic(PanicPolicy::Resume).spawn();
    assert!(brittle.boom().await.is_err());
    assert_eq!(brittle.get().await?, 7);
    Ok(())
}
