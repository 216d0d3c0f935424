//! Reaching an actor by its registered name at each call: [`Named`]
//! (Erlang's `Name ! Msg` and `gen_server:call(Name, ..)`), and monitoring
//! by name.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use crate::actor::{Actor, ActorRef, AnyRef, Dispatch, Endpoint, MethodInfo, Methods};
use crate::base::{ActorId, ActorLabel, Error};
use crate::call::{Ask, Reply};
use crate::cell::SystemShared;
use crate::runtime::SystemHandle;

/// The actor registered under a name in this system (for a name on
/// another node, see `Node::lookup` in `actium::remote`), looked up again
/// at every call:
/// after a supervisor restarts a child in a new cell, or a new actor takes
/// the name, calls reach whoever holds the name then. Made by
/// [`SystemHandle::named`].
///
/// It offers `A`'s methods as an [`ActorRef<A>`] does. A call made while
/// no actor holds the name fails with [`Error::NotRegistered`], and while
/// an actor of another type holds it with [`Error::WrongType`]: a tell at
/// once, an ask when awaited. Nothing panics.
///
/// # Examples
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Store {
///     value: u64,
/// }
///
/// #[actor]
/// impl Store {
///     #[tell]
///     fn put(&mut self, value: u64) {
///         self.value = value;
///     }
///
///     #[ask]
///     fn get(&self) -> u64 {
///         self.value
///     }
/// }
/// # actium::launch(Mode::Tasks, async {
/// let store = SystemHandle::current().named::<Store>("store");
/// assert!(matches!(store.get().await, Err(actium::Error::NotRegistered { .. })));
///
/// let first = Store::default().spawn();
/// actium::register("store", &first)?;
/// store.put(1)?;
/// assert_eq!(store.get().await?, 1);
///
/// // Another actor takes the name: the same handle follows it.
/// first.stop();
/// first.stopped().await;
/// let second = Store::default().spawn();
/// actium::register("store", &second)?;
/// assert_eq!(store.get().await?, 0);
/// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
/// ```
pub struct Named<A: Actor> {
    methods: A::Methods<ByName<A>>,
}

/// The dispatcher behind a [`Named`]: it looks the name up, then calls
/// the actor found as its [`ActorRef`] would.
pub struct ByName<A: Actor> {
    system: Arc<SystemShared>,
    name: Arc<str>,
    actor: PhantomData<fn() -> A>,
}

impl<A: Actor> ByName<A> {
    fn resolve(&self) -> Result<Endpoint<A>, Error> {
        self.system
            .registry
            .lookup::<A>(&self.name)
            .map(|actor| actor.endpoint().clone())
    }

    /// Who a failed ask names: the type, with no actor behind it.
    fn nobody(&self) -> ActorLabel {
        ActorLabel::new(ActorId::new(self.system.node, 0), A::NAME)
    }
}

impl<A: Actor> Dispatch<A> for ByName<A> {
    type Tell<Args: Send + 'static> = Result<(), Error>;
    type Ask<Args: Send + 'static, R: Send + 'static> = Ask<R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> Result<(), Error> {
        self.resolve()?.tell(method, args, make)
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> Ask<R> {
        match self.resolve() {
            Ok(endpoint) => endpoint.ask(method, args, make),
            Err(error) => Ask::failed(error, self.nobody(), method.name),
        }
    }
}

impl<A: Actor> Named<A> {
    /// The name it calls.
    pub fn name(&self) -> &str {
        &self.methods.dispatch().name
    }

    /// The actor holding the name now.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] or [`Error::WrongType`], as a call would.
    pub fn whereis(&self) -> Result<ActorRef<A>, Error> {
        let by_name = self.methods.dispatch();
        by_name.system.registry.lookup(&by_name.name)
    }
}

impl<A: Actor> Deref for Named<A> {
    type Target = A::Methods<ByName<A>>;

    fn deref(&self) -> &Self::Target {
        &self.methods
    }
}

impl<A: Actor> Clone for Named<A> {
    fn clone(&self) -> Self {
        let by_name = self.methods.dispatch();
        Named {
            methods: Methods::new(ByName {
                system: by_name.system.clone(),
                name: by_name.name.clone(),
                actor: PhantomData,
            }),
        }
    }
}

impl<A: Actor> std::fmt::Debug for Named<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Named<{}>({:?})", A::NAME, self.name())
    }
}

impl SystemHandle {
    /// A handle calling the `A` registered as `name` at each call; see
    /// [`Named`]. The name need not be registered yet.
    pub fn named<A: Actor>(&self, name: &str) -> Named<A> {
        Named {
            methods: Methods::new(ByName {
                system: self.shared.clone(),
                name: name.into(),
                actor: PhantomData,
            }),
        }
    }

    /// The actor registered as `name`, whatever its type.
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`] if no actor holds the name.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Store;
    /// # #[actor] impl Store { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let store = Store.spawn();
    /// actium::register("store", &store)?;
    /// let system = SystemHandle::current();
    /// assert_eq!(system.whereis_any("store")?, store);
    /// assert!(system.whereis_any("nobody").is_err());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn whereis_any(&self, name: &str) -> Result<AnyRef, Error> {
        self.shared
            .registry
            .get(name)
            .map(AnyRef::local)
            .ok_or_else(|| Error::NotRegistered {
                name: name.to_owned(),
            })
    }
}
