//! Reaching actors by registered name, as Erlang's `Name ! Msg` and
//! `monitor(process, Name)`: `Named` looks the name up at every call, so it
//! follows a supervisor's restarted child and any new holder of the name;
//! `monitor_name` monitors whoever holds the name now, and delivers a
//! `Down` with `noproc` at once when nobody does, as Erlang does. A call
//! to an unregistered name is a typed error, never a panic.

use std::time::Duration;

use actium::Error;
use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};

/// Registers itself as `store` when it starts, so that each new cell a
/// supervisor starts takes the name.
#[derive(Default)]
struct Store {
    value: u64,
}

#[actor]
impl Store {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        actium::register("store", &ctx.myself()).expect("the name is free");
    }

    #[tell]
    fn put(&mut self, value: u64) {
        self.value = value;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.value
    }

    #[ask]
    fn me(&self, ctx: &mut Context<Self>) -> ActorId {
        ctx.id()
    }
}

struct Other;

#[actor]
impl Other {
    #[ask]
    fn ping(&self) {}
}

/// Monitors actors by name and lists the `Down`s it gets.
#[derive(Default)]
struct Watcher {
    downs: Vec<String>,
}

#[actor]
impl Watcher {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, name: String) -> MonitorRef {
        ctx.monitor_name(&name).id()
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.downs
            .push(format!("{} {}", down.actor.type_name(), down.reason));
    }

    #[ask]
    fn downs(&self) -> Vec<String> {
        self.downs.clone()
    }
}

#[actium::test]
async fn a_named_handle_fails_with_a_typed_error_while_nobody_holds_the_name() -> actium::Result<()>
{
    let store = SystemHandle::current().named::<Store>("store");
    assert_eq!(store.name(), "store");
    assert!(matches!(store.put(1), Err(Error::NotRegistered { name }) if name == "store"));
    assert!(matches!(
        store.get().await,
        Err(Error::NotRegistered { .. })
    ));
    assert!(matches!(store.whereis(), Err(Error::NotRegistered { .. })));
    actium::register("store", &Other.spawn())?;
    assert!(matches!(store.put(1), Err(Error::WrongType { .. })));
    assert!(matches!(store.get().await, Err(Error::WrongType { .. })));
    Ok(())
}

#[actium::test]
async fn a_named_handle_follows_a_new_holder_of_the_name() -> actium::Result<()> {
    let store = SystemHandle::current().named::<Store>("store");
    let first = Store::default().spawn();
    // It registers itself on start; once a call has returned, it has.
    first.get().await?;
    store.put(1)?;
    assert_eq!(store.get().await?, 1);
    assert_eq!(store.whereis()?, first);
    first.stop();
    first.stopped().await;
    let second = Store::default().spawn();
    second.get().await?;
    assert_eq!(store.get().await?, 0);
    assert_eq!(store.me().await?, second.id());
    Ok(())
}

#[actium::test]
async fn a_named_handle_follows_a_child_its_supervisor_starts_again() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("store", Store::default))
        .spawn();
    let first = supervisor.children().await?.get::<Store>("store")?;
    let store = SystemHandle::current().named::<Store>("store");
    store.put(5)?;
    assert_eq!(store.get().await?, 5);
    // A child terminated and started again by hand gets a new cell.
    supervisor.terminate_child("store".into()).await??;
    // terminate_child returns once the child is gone, its name free.
    assert!(matches!(
        store.get().await,
        Err(Error::NotRegistered { .. })
    ));
    supervisor.restart_child("store".into()).await??;
    assert_eq!(store.get().await?, 0);
    assert_ne!(store.me().await?, first.id());
    Ok(())
}

#[actium::test]
async fn monitoring_an_unregistered_name_delivers_noproc_at_once() -> actium::Result<()> {
    let watcher = Watcher::default().spawn();
    watcher.watch("store".into()).await?;
    let limit = std::time::Instant::now() + Duration::from_secs(10);
    while watcher.downs().await?.is_empty() && std::time::Instant::now() < limit {
        actium::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(watcher.downs().await?, ["Unregistered noproc"]);
    Ok(())
}

#[actium::test]
async fn monitoring_a_name_watches_the_actor_that_holds_it() -> actium::Result<()> {
    let watcher = Watcher::default().spawn();
    let store = Store::default().spawn();
    // The Store registers itself on start; a call has returned, so it has.
    store.get().await?;
    watcher.watch("store".into()).await?;
    store.kill();
    store.stopped().await;
    assert_eq!(watcher.downs().await?, ["Store killed"]);
    Ok(())
}

#[actium::test]
async fn a_process_monitors_a_name() -> actium::Result<()> {
    let store = Store::default().spawn();
    store.get().await?;
    let process = actium::spawn(move |mut inbox: Inbox| async move {
        let nobody = inbox.monitor_name("nobody");
        let down = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
        assert_eq!(
            (down.monitor, down.reason),
            (nobody.id(), ExitReason::NoProc)
        );
        let monitor = inbox.monitor_name("store");
        store.stop();
        let down = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
        assert_eq!(down.monitor, monitor.id());
        assert_eq!(down.reason, ExitReason::Stopped);
    });
    assert_eq!(process.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn whereis_any_finds_an_actor_of_any_type_by_name() -> actium::Result<()> {
    let system = SystemHandle::current();
    assert!(matches!(
        system.whereis_any("other"),
        Err(Error::NotRegistered { .. })
    ));
    let other = Other.spawn();
    actium::register("other", &other)?;
    let found = system.whereis_any("other")?;
    assert_eq!(found, other);
    assert!(found.downcast::<Other>().is_some());
    Ok(())
}
