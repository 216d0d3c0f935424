//! The name registry: [`register`], [`whereis`], [`unregister`] and the
//! name methods of `SystemHandle`. The table itself is `cell::Registry`;
//! this is the typed look-up over it.

use crate::actor::{Actor, ActorRef, Cell};
use crate::base::{ActorLabel, Error};
use crate::cell::Registry;
use crate::runtime::SystemHandle;

impl Registry {
    pub(crate) fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, Error> {
        let cell = self.get(name);
        let Some(cell) = cell else {
            return Err(Error::NotRegistered {
                name: name.to_owned(),
            });
        };
        let found = cell.core().label.type_name();
        match cell.into_any().downcast::<Cell<A>>() {
            Ok(cell) => Ok(ActorRef::from_cell(cell)),
            Err(_) => Err(Error::WrongType {
                name: name.to_owned(),
                expected: A::NAME,
                found,
            }),
        }
    }
}

/// Registers `actor` under `name` in the current system.
///
/// # Errors
///
/// As [`SystemHandle::register`](crate::runtime::SystemHandle::register), and
/// [`Error::NoSystem`] outside a system.
pub fn register<A: Actor>(name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
    crate::runtime::SystemHandle::try_current()?.register(name, actor)
}

/// The actor registered under `name` in the current system.
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Store;
///
/// #[actor]
/// impl Store {
///     #[ask]
///     fn size(&self) -> usize {
///         0
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     actium::register("store", &Store.spawn())?;
///     let store = actium::whereis::<Store>("store")?;
///     assert_eq!(store.size().await?, 0);
///     assert!(matches!(
///         actium::whereis::<Store>("cache"),
///         Err(actium::Error::NotRegistered { .. })
///     ));
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Errors
///
/// As [`SystemHandle::whereis`](crate::runtime::SystemHandle::whereis), and
/// [`Error::NoSystem`] outside a system.
pub fn whereis<A: Actor>(name: &str) -> Result<ActorRef<A>, Error> {
    crate::runtime::SystemHandle::try_current()?.whereis(name)
}

/// Removes `name` from the current system's registry; returns whether it was
/// registered (`false` outside a system).
pub fn unregister(name: &str) -> bool {
    crate::runtime::SystemHandle::try_current().is_ok_and(|system| system.unregister(name))
}

impl SystemHandle {
    /// Registers `actor` under `name` in this system, until it exits or the
    /// name is unregistered.
    ///
    /// # Errors
    ///
    /// [`Error::NameTaken`] if another actor holds the name,
    /// [`Error::AlreadyNamed`] if this actor already has a name (one at
    /// most, as in Erlang),
    /// [`Error::InvalidName`] if the name is empty or contains `/`,
    /// [`Error::ActorStopped`] if the actor has exited.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// system.register("counter", &Counter::default().spawn())?;
    /// let counter = system.whereis::<Counter>("counter")?;
    /// counter.incr()?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        self.shared.registry.register(name, actor.erased())
    }

    /// Removes a name; returns whether it was registered.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// system.register("counter", &Counter::default().spawn())?;
    /// assert!(system.unregister("counter"));
    /// assert!(!system.unregister("counter"));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn unregister(&self, name: &str) -> bool {
        self.shared.registry.unregister(name)
    }

    /// The actor registered under `name`, as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] if no actor holds the name,
    /// [`Error::WrongType`] if the actor there is not an `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// system.register("counter", &Counter::default().spawn())?;
    /// assert_eq!(system.whereis::<Counter>("counter")?.get().await?, 0);
    /// assert!(system.whereis::<Counter>("nobody").is_err());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn whereis<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, Error> {
        self.shared.registry.lookup(name)
    }

    /// Every registered name, sorted.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// system.register("b", &Counter::default().spawn())?;
    /// system.register("a", &Counter::default().spawn())?;
    /// assert_eq!(system.registered(), ["a", "b"]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn registered(&self) -> Vec<String> {
        self.shared.registry.names()
    }

    /// The actor registered under `name`, whatever its type.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// let counter = Counter::default().spawn();
    /// system.register("counter", &counter)?;
    /// assert_eq!(system.registered_label("counter"), Some(counter.label()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn registered_label(&self, name: &str) -> Option<ActorLabel> {
        self.shared.registry.label_of(name)
    }

    /// Every registered name with the actor holding it, sorted by name.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # actium::launch(Mode::Tasks, async {
    /// let system = SystemHandle::current();
    /// let counter = Counter::default().spawn();
    /// system.register("counter", &counter)?;
    /// assert_eq!(system.registered_actors(), [("counter".to_owned(), counter.label())]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn registered_actors(&self) -> Vec<(String, ActorLabel)> {
        self.shared.registry.entries()
    }
}
