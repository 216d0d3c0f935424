//! A call in flight, independent of any actor type: the reply and its
//! future (`Reply`, [`Ask`], `Forward`) — whose deadline the system's
//! clock (`host`) enforces — the causal chain of blocked callers that
//! turns a call cycle into [`Error::Deadlock`](crate::Error::Deadlock)
//! (`chain`), the task-local frame of the running actor (`current`), and
//! recording against that frame: a method run's activation, its answer,
//! its panic (`activation`).
//!
//! *May use:* `base`, `sync`, `host`, `observe`. Nothing here knows an actor,
//! a mailbox or a system.

mod activation;
mod ask;
pub(crate) mod chain;
pub(crate) mod current;

pub(crate) use activation::{activated, activated_async, answered, panicked};
pub use ask::Ask;
#[cfg(feature = "remote")]
pub(crate) use ask::Forward;
pub use ask::Reply;
pub(crate) use ask::{AskTrace, Help, Sent};
#[cfg(test)]
pub(crate) use chain::check;
pub(crate) use chain::{Awaiting, Chain, ChainLink};
pub(crate) use current::{Frame, handling, within};
