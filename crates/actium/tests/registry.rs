//! Names: register (one name per actor, as in Erlang), typed look-up,
//! unregister, automatic removal on exit, and clear errors for missing
//! names, wrong types and bad names.

mod support;

use actium::prelude::*;
use support::Counter;

struct Store;

#[actor]
impl Store {
    #[ask]
    fn kind(&self) -> &'static str {
        "store"
    }
}

#[actium::test]
async fn a_registered_actor_is_found_by_name_with_its_type() -> actium::Result<()> {
    let store = Store.spawn();
    actium::register("store", &store)?;
    let found = actium::whereis::<Store>("store")?;
    assert_eq!(found, store);
    assert_eq!(found.kind().await?, "store");
    assert_eq!(SystemHandle::current().registered(), ["store"]);
    Ok(())
}

#[actium::test]
async fn a_missing_name_is_a_clear_error() -> actium::Result<()> {
    let error = actium::whereis::<Store>("nobody").expect_err("missing");
    assert!(matches!(&error, Error::NotRegistered { name } if name == "nobody"));
    assert_eq!(error.to_string(), "no actor is registered as `nobody`");
    Ok(())
}

#[actium::test]
async fn a_look_up_with_the_wrong_type_is_a_clear_error() -> actium::Result<()> {
    actium::register("counter", &Counter::default().spawn())?;
    let error = actium::whereis::<Store>("counter").expect_err("wrong type");
    assert!(matches!(
        error,
        Error::WrongType {
            expected: "Store",
            found: "Counter",
            ..
        }
    ));
    assert_eq!(error.to_string(), "`counter` is a Counter, not a Store");
    Ok(())
}

#[actium::test]
async fn a_name_is_held_by_one_actor_at_a_time() -> actium::Result<()> {
    let first = Store.spawn();
    actium::register("store", &first)?;
    let error = actium::register("store", &Store.spawn()).expect_err("taken");
    assert!(matches!(&error, Error::NameTaken { holder, .. } if holder.id() == first.id()));
    assert!(actium::unregister("store"));
    assert!(!actium::unregister("store"));
    actium::register("store", &Store.spawn())?;
    Ok(())
}

#[actium::test]
async fn names_are_non_empty_and_contain_no_slash() -> actium::Result<()> {
    for bad in ["", "a/b", "tcp://host:1/store"] {
        let error = actium::register(bad, &Store.spawn()).expect_err("invalid");
        assert!(
            matches!(error, Error::InvalidName { .. }),
            "{bad}: {error:?}"
        );
    }
    Ok(())
}

#[actium::test]
async fn an_actor_has_one_name_at_most() -> actium::Result<()> {
    let store = Store.spawn();
    actium::register("store", &store)?;
    // Erlang's `register/2` fails the same way (`badarg`).
    let error = actium::register("depot", &store).expect_err("already named");
    assert!(
        matches!(&error, Error::AlreadyNamed { name, .. } if name == "store"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("is already registered as `store`")
    );
    assert!(matches!(
        actium::whereis::<Store>("depot"),
        Err(Error::NotRegistered { .. })
    ));
    // Renaming is unregistering, then registering.
    assert!(actium::unregister("store"));
    actium::register("depot", &store)?;
    assert_eq!(actium::whereis::<Store>("depot")?, store);
    Ok(())
}

#[actium::test]
async fn an_actor_loses_its_name_when_it_exits() -> actium::Result<()> {
    let store = Store.spawn();
    actium::register("store", &store)?;
    store.stop();
    store.stopped().await;
    assert!(matches!(
        actium::whereis::<Store>("store"),
        Err(Error::NotRegistered { .. })
    ));
    assert!(SystemHandle::current().registered().is_empty());
    // An exited actor cannot take a name.
    let error = actium::register("store", &store).expect_err("exited");
    assert!(matches!(error, Error::ActorStopped { .. }));
    Ok(())
}

#[test]
fn the_registry_needs_a_system() {
    assert!(matches!(
        actium::whereis::<Store>("store"),
        Err(Error::NoSystem)
    ));
}
