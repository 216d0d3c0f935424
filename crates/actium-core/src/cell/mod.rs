//! What an actor's references, its loop and its system share, untyped: the
//! cell core (lifecycle, incarnations, supervisor decisions, waiters;
//! `core`), its relations (links, monitors, names, parent, supervisor;
//! `relations`) and [`Monitor`], the `ErasedCell` trait (`erased`) and its
//! two implementations that are not actors (`RemoteCell` for an actor on
//! another node, `proxy`; the exit watcher, `watch`; an actor that had exited before a reference
//! to it arrived, `exited`), the recording of
//! signals and names reaching a cell (`record`), and the system's shared
//! state every cell points to (`SystemShared`, `Config`, [`Mode`], the
//! default durations; `world`) with the actor table (`table`) and the name
//! table (`names`).
//!
//! *May use:* `base`, `host`, `observe`, `wire`, `call` (only to record against the
//! current frame). The typed cell (`Cell<A>`, mailbox plus core) is in
//! `actor`, because it names the actor's type.

mod core;
mod erased;
mod exited;
mod monitor;
mod names;
mod proxy;
mod record;
mod relations;
mod table;
mod watch;
mod world;

#[cfg(test)]
pub(crate) use core::Phase;
pub(crate) use core::{CellCore, Decision, Doing, Waiter, drop_contained};
pub(crate) use erased::{ErasedCell, Staged};
pub(crate) use exited::ExitedCell;
pub use monitor::{Cancelled, Monitor};
pub(crate) use names::Registry;
pub(crate) use proxy::RemoteCell;
pub(crate) use record::{named, signal, stopped};
use relations::NameRefused;
pub(crate) use table::ActorTable;
pub(crate) use watch::{ExitWatch, watch_exit};
pub(crate) use world::{Config, Slot, SystemShared, work_for};
pub use world::{DEFAULT_SHUTDOWN_GRACE, DEFAULT_TIMEOUT, Mode};
