//! What an actor is and how it is reached: the [`Actor`]/`Handler` traits
//! and their enums (`traits`), [`Context`], the typed `Cell<A>` (mailbox
//! plus cell core, and its `ErasedCell` implementation), [`Reentrant`] and
//! the lending of state, what a running actor does to its links and
//! monitors, shared by `Context` and `Inbox` (`relations`), the dispatch
//! seam generated proxies call through (`Dispatch`, `Methods`,
//! `MethodInfo`, `NoMethods`), references ([`ActorRef`], [`Stopped`], the
//! endpoint and the patient sends: `reference`), [`Group`]s and their
//! dispatchers, the [`Spawner`] builder *type* (spawning itself is in
//! `runtime`), timers ([`Timer`], [`sleep`]), requests sent after a delay
//! ([`Delayed`]), stamping the messages an actor sends (`stamp`), and the
//! state an idle loop lends to a caller that runs its requests itself
//! (`standby`).
//!
//! *May use:* `base`, `host`, `observe`, `wire`, `call`, `mailbox`, `cell`. One
//! call goes up by method resolution, not by path: the provided method
//! `Actor::spawn` calls `Spawner::spawn`, which `runtime` implements.

mod cell;
mod context;
mod delayed;
mod dispatch;
mod group;
mod reentrant;
mod reference;
mod relations;
mod spawner;
mod stamp;
mod standby;
pub(crate) mod time;
mod traits;

pub(crate) use cell::Cell;
pub use context::Context;
pub use delayed::Delayed;
pub use dispatch::{Dispatch, MethodInfo, Methods, NoMessage, NoMethods};
pub use group::{
    AskAll, AskAllFuture, AskFirst, AskFirstFuture, Collect, Discard, FirstOf, Gather, Group,
    GroupReplies, MemberReply, TellAll, ToMembers,
};
pub use reentrant::Reentrant;
pub(crate) use reentrant::{Lend, Parallel, State};
#[cfg(feature = "remote")]
pub(crate) use reference::Target;
pub use reference::{
    ActorRef, AnyRef, AsAnyRef, AskWhenRoom, Endpoint, Patient, SendWhenRoom, Stopped,
};
pub use spawner::Spawner;
pub(crate) use spawner::{Birth, SpawnOptions};
pub(crate) use stamp::envelope;
use stamp::{ask_trace, refused, remote_ask_trace, remote_envelope, remote_refused, remote_sent};
pub(crate) use standby::{Leave, Standby};
pub use time::{Timer, sleep};
pub use traits::{Actor, Handled, Handler, Outcome, PanicPolicy, Panicked, ParallelTask, Unusual};
