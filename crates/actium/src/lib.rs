#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! This crate is a facade: the runtime lives in `actium-core`, the macros in
//! `actium-macros`. Everything a program needs is re-exported here, and
//! [`prelude`] brings the everyday names into scope. With the `trace`
//! feature, `actium::trace` is the `actium-trace` crate: recording messages
//! and drawing them as sequence diagrams.
//!
//! # Spawning
//!
//! There is one way to start each kind of actor. Each starts it in the
//! system running on this thread (inside [`launch`], an actor, or after
//! [`System::enter`]) and panics if there is none; the `try_` form returns
//! [`Error::NoSystem`] instead.
//!
//! | Kind | Spawn | Options |
//! | --- | --- | --- |
//! | method actor (`#[actor]`) | `value.spawn()` ([`Actor::spawn`]) | `value.spawner()` gives a [`Spawner`]: `.capacity(n)`, `.mode(m)`, `.on_panic(p)`, `.system(&handle)`, then `.spawn()` or `.try_spawn()` |
//! | mailbox actor | [`spawn`]`(\|inbox\| async { .. })` | [`try_spawn`] |
//! | function actor | [`function_actor`]`(f)` | — |
//! | supervisor | [`Supervisor::builder()`](supervisor::Supervisor::builder)`.child(..).spawn()` | `.build()` gives the supervisor's state, to spawn with `.spawner()` or nest in a [`ChildSpec`](supervisor::ChildSpec) |
//!
//! A child linked to its parent from the start is spawned by the parent:
//! [`Context::spawn_link`], [`Inbox::spawn_link`] and
//! [`Inbox::spawn_link_process`]. With the `remote` feature,
//! `actium::remote::Node::spawn_on` starts an actor on another node.
//!
//! ```
//! use actium::prelude::*;
//! use actium::supervisor::{ChildSpec, Supervisor};
//!
//! #[derive(Default)]
//! struct Counter {
//!     n: u64,
//! }
//!
//! #[actor]
//! impl Counter {
//!     #[ask]
//!     fn incr(&mut self) -> u64 {
//!         self.n += 1;
//!         self.n
//!     }
//! }
//!
//! actium::launch(Mode::Tasks, async {
//!     // A method actor, with default options and with some.
//!     let counter = Counter::default().spawn();
//!     let bounded = Counter::default().spawner().capacity(16).spawn();
//!     assert_eq!(counter.incr().await? + bounded.incr().await?, 2);
//!
//!     // A mailbox actor: a task that receives what it is sent.
//!     let echo = actium::spawn(|mut inbox: Inbox| async move {
//!         while let Some(message) = inbox.recv().await {
//!             println!("got a {}", message.type_name());
//!         }
//!     });
//!     echo.send("hello")?;
//!
//!     // A function actor: one request, one answer.
//!     let double = actium::function_actor(|n: u64| n * 2);
//!     assert_eq!(double.call(21).await?, 42);
//!
//!     // A supervisor and its children.
//!     let supervisor = Supervisor::builder()
//!         .child(ChildSpec::new("counter", Counter::default))
//!         .spawn();
//!     let child = supervisor.children().await?.get::<Counter>("counter")?;
//!     assert_eq!(child.incr().await?, 1);
//!     Ok::<(), actium::Error>(())
//! })?;
//! # Ok::<(), actium::Error>(())
//! ```
#![warn(missing_docs)]

pub use actium_core::*;

/// Nodes: calls, references, links and monitors across processes and
/// machines (the `remote` feature). See [`remote::Node`].
#[cfg(feature = "remote")]
pub use actium_remote as remote;

/// Message recording and sequence diagrams (the `actium-trace` crate).
#[cfg(feature = "trace")]
pub use actium_trace as trace;

/// Turns an inherent `impl` block into an actor whose methods are messages.
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Account {
///     balance: u64,
/// }
///
/// #[derive(Debug, PartialEq, thiserror::Error)]
/// #[error("insufficient funds: {balance} < {wanted}")]
/// struct Insufficient {
///     balance: u64,
///     wanted: u64,
/// }
///
/// #[actor]
/// impl Account {
///     /// One-way: `account.deposit(10)?` returns as soon as it is queued.
///     #[tell]
///     fn deposit(&mut self, amount: u64) {
///         self.balance += amount;
///     }
///
///     /// Request-reply: `account.withdraw(5).await?` is the method's own
///     /// `Result`.
///     #[ask(timeout = "2s")]
///     fn withdraw(&mut self, amount: u64) -> Result<u64, Insufficient> {
///         if amount > self.balance {
///             return Err(Insufficient { balance: self.balance, wanted: amount });
///         }
///         self.balance -= amount;
///         Ok(self.balance)
///     }
///
///     /// Not exported: only the actor itself can call it.
///     fn audit(&self) -> bool {
///         self.balance < 1_000_000
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let account = Account::default().spawn();
///     account.deposit(10)?;
///     assert_eq!(account.withdraw(4).await?, Ok(6));
///     assert_eq!(
///         account.withdraw(100).await?,
///         Err(Insufficient { balance: 6, wanted: 100 })
///     );
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Methods
///
/// - `#[tell]`: a one-way message. On a reference it returns
///   `Result<(), Error>` at once (an error only if the actor has stopped or
///   its bounded mailbox is full). The method returns nothing.
/// - `#[ask]`: a request-reply. On a reference it returns an [`Ask`] that
///   resolves to the method's return value, or an [`Error`]. Options:
///   `timeout = "2s"` sets this method's deadline (the system default is
///   5 s; a call may override both with `.timeout(d)`).
/// - `blocking` (on either): the method may block its thread; in tasks mode
///   the worker's other tasks move to another thread first, so other actors
///   keep running. It must be a plain `fn`.
/// - Methods may be `async fn` and await other actors; the actor handles
///   nothing else until they return.
/// - A parameter of type `&mut Context<Self>` (anywhere after `self`) gives
///   the method its [`Context`]; callers do not pass it.
/// - Methods without an attribute are private to the actor.
///
/// Message methods take `&self` or `&mut self` and owned arguments (no
/// borrows: a message outlives the call), have no generic parameters, and
/// must not be named like [`ActorRef`]'s own methods (`id`, `label`,
/// `is_local`, `node_address`, `stop`, `kill`, `stopped`, `is_alive`,
/// `wait_for_room`) or common trait methods (`clone`, `eq`, ...). The
/// macro reports each of these mistakes at the offending tokens.
///
/// # Lifecycle hooks
///
/// `#[on_start]` runs before the first message; it may be async, may take
/// the context, and may return `Result<(), E: Display>` — an `Err` stops the
/// actor with [`ExitReason::Error`]. `#[on_stop]` runs once after the last
/// message and may also take `reason: &ExitReason`; as Erlang's `terminate`,
/// it runs only if `on_start` succeeded, and not after a kill.
///
/// # Options
///
/// `#[actor(on_panic = "stop")]` makes a panicking method stop the actor
/// (Erlang style), `on_panic = "resume"` makes it log the panic and go on.
/// Without either, an actor stops if it is supervised, linked or monitored,
/// and resumes otherwise (see [`PanicPolicy`]).
///
/// `#[actor(remote)]` (with the `remote` feature) also generates the wire
/// codec, so the actor can be called from other nodes through the same
/// `ActorRef` (see `actium::remote::Node`). Every argument and result type
/// must then implement serde's `Serialize` and `Deserialize`; a type that
/// does not is reported where it is written. `ActorRef`s are serde types:
/// they travel as references.
pub use actium_macros::actor;

/// Runs an `async fn` test once under each execution model.
///
/// Expands to a module named after the function with two tests, `tasks`
/// and `threads`; each starts a fresh system, runs the body with a time
/// limit of 60 s, and shuts the system down. The body may return `()` or
/// `Result<(), E: Debug>`. `#[actium::test(tasks)]` or `(threads)` runs one
/// model only.
///
/// ```
/// # use actium::prelude::*;
/// #[actium::test]
/// async fn spawns_in_both_models() -> actium::Result<()> {
///     assert_eq!(actium::SystemHandle::current().actor_count(), 0);
///     Ok(())
/// }
/// ```
pub use actium_macros::test;

/// Runs an `async fn` test in a deterministic simulation
/// ([`Mode::Simulated`]), once for each of many seeds (100 unless
/// `seeds = N`), each in a fresh system, and fails with the first seed
/// whose run fails, panics or stalls — and the command that replays it
/// (`ACTIUM_SEED=<seed> cargo test <name>`). `ACTIUM_SEEDS=<count>` runs
/// more seeds than the attribute says, for long runs. The body may take
/// the seed as its one argument, and return `()` or `Result<(), E: Debug>`.
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Counter {
///     n: u64,
/// }
///
/// #[actor]
/// impl Counter {
///     #[ask]
///     fn incr(&mut self) -> u64 {
///         self.n += 1;
///         self.n
///     }
/// }
///
/// #[actium::sim_test(seeds = 50)]
/// async fn increments_are_counted(seed: u64) -> actium::Result<()> {
///     let counter = Counter::default().spawn();
///     let calls: Vec<_> = (0..3).map(|_| counter.incr()).collect();
///     for call in calls {
///         call.await?;
///     }
///     assert_eq!(counter.incr().await?, 4, "seed {seed}");
///     Ok(())
/// }
/// ```
pub use actium_macros::sim_test;

/// The names almost every Actium program uses.
pub mod prelude {
    pub use crate::{
        Actor, ActorId, ActorRef, Context, Down, Error, Exit, ExitReason, Group, Inbox, Message,
        Mode, PanicPolicy, Process, Reentrant, System, SystemHandle, actor,
    };
}
