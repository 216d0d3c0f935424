//! Running actors: [`System`], [`SystemHandle`], [`SystemBuilder`],
//! [`EnterGuard`] and the thread's current system (`system`, `handle`),
//! shutdown, spawning (`spawn`: `SystemShared::spawn`, `Spawner::spawn`,
//! `Context::spawn_link`), the actor loop (`runner`: incarnations, plain
//! and reentrant serving, kill-at-await guards), [`launch`],
//! [`serve_forever`], [`blocking`], `KILL_GRACE`, and
//! `SystemHandle::record`.
//!
//! *May use:* `base`, `host`, `observe`, `wire`, `call`, `mailbox`, `cell`,
//! `actor`.

mod blocking;
mod builder;
mod handle;
mod launch;
pub(crate) mod runner;
mod simulated;
mod snapshot;

pub(crate) use snapshot::count_error;
mod spawn;
mod system;

pub use blocking::blocking;
pub use builder::SystemBuilder;
pub use handle::{EnterGuard, SystemHandle};
pub use launch::{launch, serve_forever};
pub(crate) use runner::{ExitGuard, guarded};
pub use system::{KILL_GRACE, System};
