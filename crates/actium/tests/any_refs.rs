//! `AnyRef`: one reference type for actors of any type, so that one
//! method can link to, monitor, signal and stop them all (Erlang's pid).

use std::collections::HashSet;

use actium::prelude::*;

/// Keeps watch over actors of any type.
#[derive(Default)]
struct Janitor {
    log: Vec<String>,
}

#[actor]
impl Janitor {
    #[ask]
    fn trap(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exit(true);
    }

    #[ask]
    fn link(&mut self, ctx: &mut Context<Self>, other: AnyRef) {
        ctx.link(&other);
    }

    #[ask]
    fn unlink(&mut self, ctx: &mut Context<Self>, other: AnyRef) {
        ctx.unlink(&other);
    }

    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, other: AnyRef) {
        ctx.monitor(&other);
    }

    #[ask]
    fn end(&mut self, ctx: &mut Context<Self>, other: AnyRef, reason: ExitReason) {
        ctx.exit(&other, reason);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        self.log
            .push(format!("exit {} {}", exit.actor.type_name(), exit.reason));
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.log
            .push(format!("down {} {}", down.actor.type_name(), down.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }
}

struct Counter;

#[actor]
impl Counter {
    #[ask]
    fn get(&self) -> u64 {
        7
    }
}

struct Logger;

#[actor]
impl Logger {
    #[tell]
    fn fail(&mut self, ctx: &mut Context<Self>) {
        ctx.fail("disk full");
    }
}

#[actium::test]
async fn one_method_monitors_actors_of_different_types() -> actium::Result<()> {
    let janitor = Janitor::default().spawn();
    let (counter, logger) = (Counter.spawn(), Logger.spawn());
    janitor.watch(counter.clone().into()).await?;
    janitor.watch(AnyRef::from(&logger)).await?;
    counter.stop();
    logger.fail()?;
    counter.stopped().await;
    logger.stopped().await;
    // Both exits are queued before the janitor's next call.
    let mut log = janitor.log().await?;
    log.sort();
    assert_eq!(
        log,
        ["down Counter stopped", "down Logger error: disk full"]
    );
    Ok(())
}

#[actium::test]
async fn one_method_links_to_and_unlinks_from_actors_of_different_types() -> actium::Result<()> {
    let janitor = Janitor::default().spawn();
    janitor.trap().await?;
    let (counter, logger) = (Counter.spawn(), Logger.spawn());
    janitor.link(counter.clone().into()).await?;
    janitor.link(logger.clone().into()).await?;
    janitor.unlink(counter.clone().into()).await?;
    counter.kill();
    logger.fail()?;
    counter.stopped().await;
    logger.stopped().await;
    assert_eq!(janitor.log().await?, ["exit Logger error: disk full"]);
    Ok(())
}

#[actium::test]
async fn an_exit_signal_reaches_an_actor_through_an_any_ref() -> actium::Result<()> {
    let janitor = Janitor::default().spawn();
    let counter = Counter.spawn();
    janitor
        .end(counter.clone().into(), ExitReason::Error("retired".into()))
        .await?;
    assert_eq!(counter.stopped().await, ExitReason::Error("retired".into()));
    Ok(())
}

#[actium::test]
async fn an_any_ref_stops_kills_and_waits_for_its_actor() -> actium::Result<()> {
    let (counter, logger) = (Counter.spawn(), Logger.spawn());
    let (any_counter, any_logger) = (AnyRef::from(&counter), AnyRef::from(&logger));
    assert!(any_counter.is_alive() && any_counter.is_local());
    assert_eq!(any_counter.node_address(), None);
    any_counter.stop();
    any_logger.kill();
    assert_eq!(any_counter.stopped().await, ExitReason::Stopped);
    assert_eq!(any_logger.stopped().await, ExitReason::Killed);
    assert!(!any_counter.is_alive());
    assert_eq!(counter.stopped().await, ExitReason::Stopped);
    Ok(())
}

#[actium::test]
async fn any_refs_compare_hash_and_print_as_their_typed_refs() -> actium::Result<()> {
    let (counter, logger) = (Counter.spawn(), Logger.spawn());
    let any = AnyRef::from(&counter);
    assert_eq!(any, counter);
    assert_eq!(counter, any);
    assert_eq!(any.id(), counter.id());
    assert_eq!(any.label(), counter.label());
    assert_eq!(any.to_string(), counter.to_string());
    assert_ne!(any, AnyRef::from(&logger));
    let set: HashSet<AnyRef> = [any.clone(), counter.clone().into(), logger.clone().into()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
    assert!(format!("{any:?}").starts_with("AnyRef(Counter#"));
    Ok(())
}

#[actium::test]
async fn an_any_ref_downcasts_to_its_own_type_only() -> actium::Result<()> {
    let counter = Counter.spawn();
    let any = AnyRef::from(counter.clone());
    assert!(any.downcast::<Logger>().is_none());
    let typed = any.downcast::<Counter>().expect("a Counter");
    assert_eq!(typed, counter);
    assert_eq!(typed.get().await?, 7);
    Ok(())
}

#[actium::test]
async fn a_process_links_to_and_monitors_any_refs() -> actium::Result<()> {
    let (counter, logger) = (Counter.spawn(), Logger.spawn());
    let targets = [AnyRef::from(&counter), AnyRef::from(&logger)];
    let watcher = actium::spawn(move |mut inbox: Inbox| async move {
        inbox.monitor(&targets[0]);
        inbox.link(&targets[1]);
        inbox.unlink(&targets[1]);
        targets[0].stop();
        let down = inbox
            .recv_as::<Down>(std::time::Duration::MAX)
            .await
            .expect("a Down");
        assert_eq!(down.actor, targets[0].label());
        inbox.exit(&targets[1], ExitReason::Killed);
    });
    assert_eq!(watcher.stopped().await, ExitReason::Normal);
    assert_eq!(logger.stopped().await, ExitReason::Killed);
    Ok(())
}
