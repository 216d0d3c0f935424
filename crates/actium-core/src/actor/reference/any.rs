//! [`AnyRef`]: a reference to an actor whatever its type, for what does
//! not need the type — links, monitors, exit signals, stopping, naming.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::{ActorRef, Stopped, Target, Waiting};
use crate::actor::{Actor, Cell};
use crate::base::{ActorId, ActorLabel, ExitReason};
use crate::cell::ErasedCell;
use crate::wire::Peer;

/// A reference to an actor of any type (Erlang's pid): it cannot call the
/// actor's methods, but it can be linked to, monitored, sent an exit
/// signal, stopped, killed and waited for, so that one method can take
/// actors of several types.
///
/// Made from any [`ActorRef`] with `From`/`Into` (`AnyRef::from(&counter)`
/// or `counter.into()`) or [`AsAnyRef::as_any_ref`]; [`downcast`](AnyRef::downcast) gives the typed
/// reference back. Every method of [`Context`](crate::Context) and of the
/// mailbox actor's `Inbox` that links, unlinks, monitors or sends an exit
/// signal takes an `ActorRef` or an `AnyRef` alike. It works for actors on
/// other nodes as their typed references do.
///
/// Like `ActorRef`, it is cheap to clone, compares and hashes by actor id
/// (an `AnyRef` and the `ActorRef` it came from have the same id), and
/// prints as the actor's label (`Counter#3`).
///
/// # Examples
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Counter;
/// #[actor]
/// impl Counter {
///     #[ask]
///     fn get(&self) -> u64 { 0 }
/// }
///
/// #[derive(Default)]
/// struct Logger;
/// #[actor]
/// impl Logger {
///     #[ask]
///     fn log(&self, _line: String) {}
/// }
///
/// /// Watches actors of any type: one method for all of them.
/// #[derive(Default)]
/// struct Janitor {
///     gone: Vec<ActorLabel>,
/// }
///
/// #[actor]
/// impl Janitor {
///     #[ask]
///     fn watch(&mut self, actor: AnyRef, ctx: &mut Context<Self>) {
///         ctx.monitor(&actor);
///     }
///
///     #[on_down]
///     fn down(&mut self, down: Down) {
///         self.gone.push(down.actor);
///     }
///
///     #[ask]
///     fn gone(&self) -> usize {
///         self.gone.len()
///     }
/// }
/// # actium::launch(Mode::Tasks, async {
/// let janitor = Janitor::default().spawn();
/// let (counter, logger) = (Counter.spawn(), Logger.spawn());
/// janitor.watch(counter.clone().into()).await?;
/// janitor.watch(AnyRef::from(&logger)).await?;
///
/// let any = AnyRef::from(&counter);
/// assert_eq!(any, counter); // compares with its ActorRef
/// assert_eq!(any.id(), counter.id());
/// assert!(any.downcast::<Counter>().is_some());
/// assert!(any.downcast::<Logger>().is_none());
///
/// any.stop();
/// logger.kill();
/// assert_eq!(any.stopped().await, ExitReason::Stopped);
/// # while janitor.gone().await? < 2 { actium::sleep(std::time::Duration::from_millis(1)).await; }
/// assert_eq!(janitor.gone().await?, 2);
/// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
/// ```
#[derive(Clone)]
pub struct AnyRef {
    cell: Arc<dyn ErasedCell>,
    /// The connection to the actor's node, for an actor on another node.
    peer: Option<Arc<dyn Peer>>,
}

impl AnyRef {
    /// A reference to an actor of this node, from its cell (the registry's
    /// or a supervisor's).
    pub(crate) fn local(cell: Arc<dyn ErasedCell>) -> Self {
        AnyRef { cell, peer: None }
    }

    /// A reference to the actor `label` on the node `peer` reaches.
    #[cfg(feature = "remote")]
    pub(crate) fn remote(
        label: ActorLabel,
        peer: Arc<dyn Peer>,
        system: Arc<crate::cell::SystemShared>,
    ) -> Self {
        let cell = Arc::new(crate::cell::RemoteCell::actor(label, peer.clone(), system));
        AnyRef {
            cell,
            peer: Some(peer),
        }
    }

    /// The connection to the actor's node, for an actor on another node.
    #[cfg(feature = "remote")]
    pub(crate) fn peer(&self) -> Option<&Arc<dyn Peer>> {
        self.peer.as_ref()
    }

    /// The cell (or, for a remote actor, its stand-in) behind it.
    pub(crate) fn erased(&self) -> &Arc<dyn ErasedCell> {
        &self.cell
    }

    /// The actor's label: its type and id.
    pub fn label(&self) -> ActorLabel {
        self.cell.core().label
    }

    /// The actor's id, unique across nodes.
    pub fn id(&self) -> ActorId {
        self.label().id()
    }

    /// Whether the actor lives in this process.
    pub fn is_local(&self) -> bool {
        self.peer.is_none()
    }

    /// The address of the actor's node (`tcp://host:port`), for an actor
    /// on another node.
    pub fn node_address(&self) -> Option<&str> {
        self.peer.as_ref().map(|peer| peer.address())
    }

    /// Asks the actor to stop after its current message; see
    /// [`ActorRef::stop`].
    pub fn stop(&self) {
        self.cell.request_stop(ExitReason::Stopped);
    }

    /// Stops the actor at once; see [`ActorRef::kill`].
    pub fn kill(&self) {
        self.cell.kill(ExitReason::Killed);
    }

    /// Resolves with the actor's exit reason once it has stopped; see
    /// [`ActorRef::stopped`].
    pub fn stopped(&self) -> Stopped {
        let waiting = match self.peer {
            None => Waiting::Local(self.cell.clone(), None),
            Some(_) => Waiting::Remote(crate::cell::watch_exit(self.cell.clone())),
        };
        Stopped { waiting }
    }

    /// Whether the actor still runs (for an actor on another node: whether
    /// its node is still connected); see [`ActorRef::is_alive`].
    pub fn is_alive(&self) -> bool {
        match &self.peer {
            None => self.cell.core().exit_reason().is_none(),
            Some(peer) => peer.is_connected(),
        }
    }

    /// The typed reference, if the actor is an `A`. For an actor on
    /// another node, the type is known by name (the label's type name).
    pub fn downcast<A: Actor>(&self) -> Option<ActorRef<A>> {
        match &self.peer {
            None => self
                .cell
                .clone()
                .into_any()
                .downcast::<Cell<A>>()
                .ok()
                .map(ActorRef::from_cell),
            Some(peer) => (self.label().type_name() == A::NAME).then(|| {
                ActorRef::from_remote(self.label(), peer.clone(), self.cell.core().system.clone())
            }),
        }
    }
}

/// A reference to an actor, typed or not: what [`Context`](crate::Context)'s
/// and `Inbox`'s `link`, `unlink`, `monitor` and `exit` take, so that they
/// accept an [`ActorRef`] of any type and an [`AnyRef`] alike.
pub trait AsAnyRef {
    /// This reference without the actor's type.
    fn as_any_ref(&self) -> AnyRef;
}

impl<A: Actor> AsAnyRef for ActorRef<A> {
    fn as_any_ref(&self) -> AnyRef {
        AnyRef::from(self)
    }
}

impl AsAnyRef for AnyRef {
    fn as_any_ref(&self) -> AnyRef {
        self.clone()
    }
}

impl<A: Actor> From<&ActorRef<A>> for AnyRef {
    fn from(actor: &ActorRef<A>) -> Self {
        let peer = match actor.target() {
            Target::Local(_) => None,
            Target::Remote(remote) => Some(remote.peer.clone()),
        };
        AnyRef {
            cell: actor.erased(),
            peer,
        }
    }
}

impl<A: Actor> From<ActorRef<A>> for AnyRef {
    fn from(actor: ActorRef<A>) -> Self {
        AnyRef::from(&actor)
    }
}

impl From<&AnyRef> for AnyRef {
    fn from(actor: &AnyRef) -> Self {
        actor.clone()
    }
}

impl PartialEq for AnyRef {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for AnyRef {}

impl Hash for AnyRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<A: Actor> PartialEq<ActorRef<A>> for AnyRef {
    fn eq(&self, other: &ActorRef<A>) -> bool {
        self.id() == other.id()
    }
}

impl<A: Actor> PartialEq<AnyRef> for ActorRef<A> {
    fn eq(&self, other: &AnyRef) -> bool {
        self.id() == other.id()
    }
}

impl fmt::Debug for AnyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node_address() {
            None => write!(f, "AnyRef({}, {})", self.label(), self.id()),
            Some(node) => write!(f, "AnyRef({}, {}, {node})", self.label(), self.id()),
        }
    }
}

impl fmt::Display for AnyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.label(), f)
    }
}
