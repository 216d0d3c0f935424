//! The runtime of [Actium](https://docs.rs/actium), an actor / active-object
//! middleware. Applications depend on the `actium` facade crate, which
//! re-exports everything here together with the `#[actor]` macro.
//!
//! # Layout
//!
//! One concept per module, depending downward:
//!
//! - [`id`](ActorId), `error`, `exit` — addresses, the [`Error`] enum, and
//!   [`ExitReason`].
//! - `mailbox` — one actor's message queue (a per-actor mutex around a
//!   `VecDeque`, drained in batches).
//! - `chain`, `current` — the causal chain of blocked callers carried by each
//!   ask, and the task-local frame that says which actor is running; together
//!   they turn call cycles into an immediate [`Error::Deadlock`].
//! - `cell` — what an actor's references and its loop share: mailbox and
//!   lifecycle.
//! - `dispatch`, `reference`, `ask` — [`ActorRef`], the seam generated
//!   proxies call through, and the [`Ask`] future of a request-reply.
//! - `primitives::slot`, `deadline` — the lock-free reply slot an answer (or
//!   a timeout, or a stop) completes, and the one background thread that
//!   expires overdue asks without a timer per call.
//! - `runner` — the actor loop that takes messages and runs methods.
//! - `context` — [`Context`], the actor's view of itself (timers, stop).
//! - `system`, `table`, `spawn`, `launch` — [`System`] (a Tokio runtime plus
//!   the actor table), the [`Spawner`] builder, [`launch`] and
//!   [`serve_forever`].
//! - `time`, `blocking` — the time seam and blocking work.
//! - [`observe`] — the recording seam: [`Event`](observe::Event)s about
//!   messages and method runs, handed to a [`Recorder`](observe::Recorder)
//!   installed on a system; one relaxed atomic load per hook while nothing
//!   records.
//!
//! # How a call flows
//!
//! `counter.incr(5)` calls a method of the proxy that `ActorRef<Counter>`
//! dereferences to. The proxy hands the arguments and a message constructor
//! to the reference's endpoint, which builds the message and pushes it onto
//! the actor's mailbox (one short lock, no serialisation), waking the actor
//! loop if it was idle. The loop takes the whole queue in one swap, and for
//! each message runs the generated `handle`, which matches the message and
//! calls `Counter::incr(&mut self, 5)`. A request-reply additionally carries
//! a one-shot reply slot; the loop answers through it, and the caller's
//! [`Ask`] future resolves, or fails once the deadline sweeper expires the
//! slot.

#![warn(missing_docs)]

mod actor;
mod ask;
mod blocking;
mod cell;
mod chain;
mod context;
mod current;
mod deadline;
mod dispatch;
mod error;
mod exit;
mod function;
mod group;
mod id;
mod launch;
mod mailbox;
pub mod observe;
mod primitives;
mod process;
mod reentrant;
mod reference;
mod registry;
mod runner;
mod signal;
mod spawn;
pub mod supervisor;
mod system;
mod table;
mod time;
pub mod transport;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use actor::{Actor, PanicPolicy};
pub use ask::Ask;
pub use blocking::blocking;
pub use context::Context;
pub use error::{Cycle, Error, Result};
pub use exit::ExitReason;
pub use function::{FunctionActor, function_actor};
pub use group::{
    FirstAnswers, FirstCall, GatherCall, Gathering, Group, MemberReply, MulticastCall, Replies,
};
pub use id::{ActorId, ActorLabel, NodeId};
pub use launch::{launch, serve_forever};
pub use process::{Inbox, Message, Process, ProcessMethods, ProcessResult, spawn, try_spawn};
pub use reentrant::Reentrant;
pub use reference::{ActorRef, Stopped};
pub use registry::{register, unregister, whereis};
pub use signal::{Down, Exit, Monitor, MonitorRef};
pub use spawn::Spawner;
pub use system::{
    DEFAULT_SHUTDOWN_GRACE, DEFAULT_TIMEOUT, EnterGuard, Mode, System, SystemBuilder, SystemHandle,
};
pub use time::{Timer, sleep};
