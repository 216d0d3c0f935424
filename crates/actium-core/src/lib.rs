//! The runtime of [Actium](https://docs.rs/actium), an actor / active-object
//! middleware. Applications depend on the `actium` facade crate, which
//! re-exports everything here together with the `#[actor]` macro.
//!
//! # Layout
//!
//! The modules are grouped by role in folders. Each folder's `mod.rs` says
//! what it owns and what it may use; a folder uses only folders listed
//! before it (`scripts/layering` checks this in CI), so the list below reads
//! bottom to top:
//!
//! - `base` — the vocabulary every folder uses: addresses
//!   ([`ActorId`], [`ActorLabel`], [`NodeId`]), [`ExitReason`], the
//!   [`Error`] enum, and the signals links and monitors deliver ([`Exit`],
//!   [`Down`]).
//! - `sync` — the hand-written lock-free primitives loom model-checks: the
//!   one-shot reply slot, the mailbox's armed wait, the sweeper's alarm.
//! - `host` — the only ways a system reaches its host: the [`Clock`] every
//!   wait reads (ask deadlines, timers, restart windows, kill grace,
//!   heartbeats; real, or a [`ManualClock`]), with the deadline sweeper that
//!   expires overdue asks on the real clock without a timer per call, the
//!   executor that starts every task and thread ([`TaskHandle`]), and the
//!   simulated host: one thread, virtual time, a seeded scheduler.
//! - [`observe`] — the recording seam: [`Event`](observe::Event)s about
//!   messages and method runs, handed to a [`Recorder`](observe::Recorder)
//!   installed on a system; one relaxed atomic load per hook while nothing
//!   records.
//! - `wire` — the vocabulary of the transport seam (what a remote call,
//!   answer and signal are; the traits a network layer implements),
//!   re-exported by `transport`.
//! - `call` — a call in flight: the [`Ask`] future and its reply, the
//!   causal chain of blocked callers and the task-local frame of the
//!   running actor; together they turn call cycles into an immediate
//!   [`Error::Deadlock`].
//! - `mailbox` — one actor's message queue (a per-actor mutex around a
//!   `VecDeque`, drained in batches).
//! - `cell` — what an actor's references, its loop and its system share,
//!   untyped: lifecycle, links and monitors ([`Monitor`]), the system's
//!   shared state, the actor and name tables.
//! - `actor` — what an actor is and how it is reached: [`Actor`],
//!   [`Context`], [`ActorRef`], [`Group`], [`Reentrant`], the [`Spawner`]
//!   builder, timers.
//! - `runtime` — running actors: [`System`] (a Tokio runtime plus the actor
//!   table), [`SystemHandle`], spawning, the actor loop, [`launch`],
//!   [`serve_forever`], [`blocking`].
//! - `transport` — delivering calls and signals that cross nodes, and the
//!   wire codec: the seam `actium-remote` implements. Not public API: it is
//!   hidden from the docs, and applications reach other nodes through
//!   `actium::remote::Node`.
//! - `__private` — what `#[actor]` expansions call. Not public API.
//! - `otp` — what is built on the runtime the way OTP builds on processes:
//!   [`supervisor`]s, the name registry ([`register`], [`whereis`]),
//!   mailbox [`Process`]es, function actors.
//! - [`sim`] — several simulated nodes on a simulated network, and running
//!   a check over many seeds ([`Mode::Simulated`] runs one system).
//!
//! # How a call flows
//!
//! `counter.incr(5)` calls a method of the proxy that `ActorRef<Counter>`
//! dereferences to. The proxy hands the arguments and a message constructor
//! to the reference's endpoint (`actor/reference/endpoint.rs`), which builds
//! the message and pushes it onto the actor's mailbox (`mailbox/`; one short
//! lock, no serialisation), waking the actor loop if it was idle. The loop
//! (`runtime/runner/`) takes the whole queue in one swap, and for each
//! message runs the generated `handle`, which matches the message and calls
//! `Counter::incr(&mut self, 5)`. A request-reply additionally carries a
//! one-shot reply slot (`sync/slot/`); the loop answers through it, and the
//! caller's [`Ask`] future (`call/ask.rs`) resolves, or fails once the
//! deadline sweeper (`host/deadline/`) expires the slot.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod actor;
mod base;
mod call;
mod cell;
mod host;
mod mailbox;
pub mod observe;
mod otp;
mod runtime;
pub mod sim;
mod sync;
// Public because `actium-remote` (another crate) implements the seam;
// hidden because applications never call it.
#[doc(hidden)]
pub mod transport;
mod wire;

pub use actor::{
    Actor, ActorRef, AnyRef, AsAnyRef, AskAll, AskAllFuture, AskFirst, AskFirstFuture, Context,
    Delayed, Group, GroupReplies, MemberReply, PanicPolicy, Reentrant, Spawner, Stopped, TellAll,
    Timer, sleep,
};
pub use base::{
    ActorId, ActorLabel, Cycle, Down, Error, Exit, ExitReason, MonitorRef, NodeId, Result,
};
pub use call::Ask;
pub use cell::{Cancelled, DEFAULT_SHUTDOWN_GRACE, DEFAULT_TIMEOUT, Mode, Monitor};
/// The generator behind [`Context::rng`], re-exported so that its type
/// can be named without depending on `fastrand`.
pub use fastrand::Rng;
pub use host::{Clock, Elapsed, Exploration, Interval, ManualClock, Sleep, TaskHandle, Timeout};
pub use otp::supervisor;
pub use otp::{
    ByName, FunctionActor, Inbox, Message, Named, Process, ProcessMethods, ProcessResult,
    function_actor, register, spawn, try_spawn, unregister, whereis,
};
pub use runtime::{
    EnterGuard, System, SystemBuilder, SystemHandle, blocking, launch, serve_forever,
};
