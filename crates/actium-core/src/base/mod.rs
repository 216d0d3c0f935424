//! The vocabulary every folder uses: addresses ([`ActorId`], [`ActorLabel`],
//! [`NodeId`]), [`ExitReason`], the [`Error`] enum with [`Cycle`] and
//! `panic_message`, and the signals links and monitors deliver ([`Exit`],
//! [`Down`], [`MonitorRef`], `Signal`).
//!
//! *May use:* nothing in the crate. Every other folder may use this one.

mod error;
mod exit;
mod id;
mod signal;

pub(crate) use error::panic_message;
pub use error::{Cycle, Error, Result};
pub use exit::ExitReason;
pub use id::{ActorId, ActorLabel, NodeId};
pub(crate) use signal::Signal;
pub use signal::{Down, Exit, MonitorRef};
