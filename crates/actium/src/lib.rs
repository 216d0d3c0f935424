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

// Inlined, so that `cargo doc --no-deps` and docs.rs document these
// modules here, where users find them, rather than link to crates whose
// docs are not built. Each re-export's own line comes first on the page.

/// *With the `remote` feature (the `actium-remote` crate).*
#[cfg(feature = "remote")]
#[doc(inline)]
pub use actium_remote as remote;

/// *With the `nats` feature (the `actium-nats` crate; needs Rust 1.89):*
/// nodes that meet through a NATS server.
#[cfg(feature = "nats")]
#[doc(inline)]
pub use actium_nats as nats;

/// serde, as `#[actor(remote)]` needs it: the types of a remote actor's
/// arguments and results implement `Serialize` and `Deserialize`. A
/// program that has no serde dependency of its own derives them through
/// this re-export, naming it for the derive:
///
/// ```
/// use actium::serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// #[serde(crate = "actium::serde")]
/// struct Order {
///     item: String,
///     count: u32,
/// }
/// # let _ = Order { item: String::new(), count: 0 };
/// ```
#[cfg(feature = "remote")]
pub use serde;

/// *With the `trace` feature (the `actium-trace` crate).*
#[cfg(feature = "trace")]
#[doc(inline)]
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
///   resolves to the method's return value, or an [`Error`].
/// - Methods may be `async fn` and await other actors; the actor handles
///   nothing else until they return (unless the method is `parallel`).
/// - A parameter of type `&mut Context<Self>` (anywhere after `self`) gives
///   the method its [`Context`]; callers do not pass it.
/// - Methods without `#[ask]` or `#[tell]` are the actor's own: its
///   messages call them as any method (`pub` or not, `async`, generic,
///   borrowing), and the macro leaves them as written and warns of none. A
///   reference cannot call them: `account.audit()` on an
///   `ActorRef<Account>` is one compile error at the call, "`audit` is not
///   a message of `Account`: add `#[ask]` (request-reply) or `#[tell]`
///   (one-way) to make `audit` a message".
///
/// ```compile_fail
/// use actium::prelude::*;
///
/// struct Account;
///
/// #[actor]
/// impl Account {
///     fn audit(&self) -> bool {
///         true
///     }
/// }
///
/// async fn check(account: ActorRef<Account>) -> actium::Result<bool> {
///     account.audit().await // error: `audit` is not a message of `Account`
/// }
/// ```
///
/// Message methods take `&self` or `&mut self` (a `parallel` one takes
/// `this: Reentrant<Self>` instead) and owned arguments (no borrows: a
/// message outlives the call), have no generic parameters, and must not be
/// named like [`ActorRef`]'s own methods (`id`, `label`, `is_local`,
/// `node_address`, `stop`, `kill`, `stopped`, `is_alive`, `wait_for_room`)
/// or common trait methods (`clone`, `eq`, ...). The macro reports each of
/// these mistakes at the offending tokens.
///
/// ## Method options
///
/// | Option | On | What it does |
/// | --- | --- | --- |
/// | `timeout = "2s"` | `#[ask]` | This method's deadline, in [humantime](https://docs.rs/humantime) syntax (`"500ms"`, `"1m 30s"`; not zero). The system default is [`DEFAULT_TIMEOUT`] (5 s); a call may override both with `.timeout(d)`. A `#[tell]` has no deadline: nobody waits for it. |
/// | `blocking` | `#[tell]`, `#[ask]` | The method may block its thread (file I/O, a long computation, a C library). In tasks mode the worker's other tasks move to another thread first, so other actors keep running. It must be a plain `fn`. |
/// | `parallel` | `#[tell]`, `#[ask]` | The method is reentrant: while it awaits, the actor goes on handling other messages — including calls back from the actor it awaits, which would otherwise be a deadlock ([`Error::Deadlock`]). It must be an `async fn` whose first argument is `this: Reentrant<Self>`; it reaches the state between awaits with [`Reentrant::with`] and its context with [`Reentrant::with_context`], so state is still touched by one method at a time. It cannot also be `blocking`. |
///
/// Options combine in one attribute: `#[ask(blocking, timeout = "30s")]`.
///
/// ```
/// use actium::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Server {
///     served: u64,
/// }
///
/// #[actor]
/// impl Server {
///     #[ask(timeout = "500ms")]
///     fn count(&mut self) -> u64 {
///         self.served += 1;
///         self.served
///     }
///
///     /// Blocks its thread for a while, as file I/O or a C library would.
///     #[ask(blocking, timeout = "10s")]
///     fn slow_sum(&self, numbers: Vec<u64>) -> u64 {
///         std::thread::sleep(Duration::from_millis(10));
///         numbers.iter().sum()
///     }
///
///     /// Asks the helper, which calls `count` back while this method
///     /// waits: only a `parallel` method lets that call in.
///     #[ask(parallel)]
///     async fn via_helper(
///         mut this: Reentrant<Self>,
///         helper: ActorRef<Helper>,
///     ) -> actium::Result<u64> {
///         let me = this.with_context(|_server, ctx| ctx.myself());
///         helper.double_count(me).await?
///     }
/// }
///
/// struct Helper;
///
/// #[actor]
/// impl Helper {
///     #[ask]
///     async fn double_count(&self, server: ActorRef<Server>) -> actium::Result<u64> {
///         Ok(server.count().await? * 2)
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let server = Server::default().spawn();
///     assert_eq!(server.slow_sum(vec![1, 2, 3]).await?, 6);
///     assert_eq!(server.via_helper(Helper.spawn()).await??, 2);
///     assert_eq!(server.count().timeout(Duration::from_secs(1)).await?, 2);
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Lifecycle hooks
///
/// At most one method of each kind; each may be `async` and may take
/// `ctx: &mut Context<Self>`. The attributes take no options.
///
/// - `#[on_start]` runs before the first message. It may return
///   `Result<(), E: Display>`: an `Err` stops the actor with
///   [`ExitReason::Error`].
/// - `#[on_stop]` runs once after the last message and may also take
///   `reason: &ExitReason`. As Erlang's `terminate`, it runs only if
///   `on_start` succeeded, and not after a kill.
/// - `#[on_exit]` receives the exit signal of a linked actor,
///   `exit: `[`Exit`], when this actor traps exits
///   ([`Context::trap_exit`]); without trapping, an abnormal exit of a
///   linked actor kills this one instead (see [`Context::link`]).
/// - `#[on_down]` receives `down: `[`Down`] when an actor this one monitors
///   ([`Context::monitor`]) exits, for whatever reason.
///
/// `on_stop`, `on_exit` and `on_down` return nothing.
///
/// ```
/// use actium::prelude::*;
/// use tokio::sync::mpsc::UnboundedSender;
///
/// struct Worker;
///
/// #[actor]
/// impl Worker {
///     #[ask]
///     fn ping(&self) {}
/// }
///
/// struct Watcher {
///     seen: UnboundedSender<String>,
/// }
///
/// #[actor]
/// impl Watcher {
///     #[on_start]
///     fn start(&mut self, ctx: &mut Context<Self>) {
///         ctx.trap_exit(true); // a linked actor's exit calls `exited`
///     }
///
///     #[ask]
///     fn watch(
///         &mut self,
///         linked: ActorRef<Worker>,
///         watched: ActorRef<Worker>,
///         ctx: &mut Context<Self>,
///     ) {
///         ctx.link(&linked);
///         ctx.monitor(&watched);
///     }
///
///     #[on_exit]
///     fn exited(&mut self, exit: Exit) {
///         let _ = self.seen.send(format!("exit: {}", exit.reason));
///     }
///
///     #[on_down]
///     async fn down(&mut self, down: Down) {
///         let _ = self.seen.send(format!("down: {}", down.reason));
///     }
///
///     #[on_stop]
///     fn stop(&mut self, reason: &ExitReason) {
///         let _ = self.seen.send(format!("stopped: {reason}"));
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let (seen, mut log) = tokio::sync::mpsc::unbounded_channel();
///     let watcher = Watcher { seen }.spawn();
///     let (linked, watched) = (Worker.spawn(), Worker.spawn());
///     watcher.watch(linked.clone(), watched.clone()).await?;
///     linked.kill();
///     assert_eq!(log.recv().await.as_deref(), Some("exit: killed"));
///     watched.stop();
///     assert_eq!(log.recv().await.as_deref(), Some("down: stopped"));
///     watcher.stop();
///     assert_eq!(log.recv().await.as_deref(), Some("stopped: stopped"));
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Actor options
///
/// | Option | What it does |
/// | --- | --- |
/// | `on_panic = "stop"` | A panicking method stops the actor (Erlang style); an `ask` in flight gets [`Error::Panicked`]. |
/// | `on_panic = "resume"` | A panicking method is logged and the actor goes on with its next message. |
/// | `remote` | With the `remote` feature: also generates the wire codec, so other nodes can call the actor through the same `ActorRef` (see `actium::remote::Node`). Every argument and result type must implement serde's `Serialize` and `Deserialize` (derive them through `actium::serde`); a type that does not is one error where it is written: "`Handle` cannot cross nodes: the arguments and results of an `#[actor(remote)]` method must implement `serde::Serialize` and `serde::de::DeserializeOwned`", with a note on the derive. A remote method takes at most 16 arguments (they cross as one tuple). `ActorRef`s are serde types: they travel as references. |
///
/// Without `on_panic`, an actor stops if it is supervised, linked or
/// monitored, and resumes otherwise (see [`PanicPolicy`]). Options
/// combine: `#[actor(remote, on_panic = "stop")]`.
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Fragile;
///
/// #[actor(on_panic = "stop")]
/// impl Fragile {
///     #[ask]
///     fn divide(&self, a: u64, b: u64) -> u64 {
///         a / b
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let fragile = Fragile.spawn();
///     assert!(matches!(fragile.divide(1, 0).await, Err(Error::Panicked { .. })));
///     assert!(matches!(fragile.stopped().await, ExitReason::Panicked(_)));
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// With the `remote` feature, `#[actor(remote)]`:
///
/// ```
/// # #[cfg(feature = "remote")] {
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Store {
///     entries: std::collections::HashMap<String, String>,
/// }
///
/// #[actor(remote)]
/// impl Store {
///     #[tell]
///     fn put(&mut self, key: String, value: String) {
///         self.entries.insert(key, value);
///     }
///
///     #[ask]
///     fn get(&self, key: String) -> Option<String> {
///         self.entries.get(&key).cloned()
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     // Other nodes reach it by name through `actium::remote::Node`;
///     // locally it is an actor like any other.
///     let store = Store::default().spawn();
///     store.put("k".into(), "v".into())?;
///     assert_eq!(store.get("k".into()).await?, Some("v".into()));
///     Ok::<(), actium::Error>(())
/// })?;
/// # }
/// # Ok::<(), actium::Error>(())
/// ```
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
        Actor, ActorId, ActorLabel, ActorRef, AnyRef, Context, Down, Error, Exit, ExitReason,
        Group, Inbox, Message, Mode, Monitor, MonitorRef, PanicPolicy, Process, Reentrant, System,
        SystemHandle, actor,
    };
}
