//! Chord (Stoica et al., SIGCOMM 2001), written with active objects: each
//! node is an actor, each procedure of the paper's pseudocode one of its
//! methods, and a remote call `n'.closest_preceding_finger(id)` is a method
//! call on a reference, `n1.node.closest_preceding_finger(id).await`.
//!
//! - [`id`]: the identifier ring of 2^64 points and its intervals.
//! - [`node`]: the node — lookup (Fig. 4), join and stabilisation (Fig. 7),
//!   successor lists and failures (§5.2), and a key-value store on top.
//! - [`ring`]: a whole ring driven from one process, which knows the truth
//!   and checks the nodes against it.
//! - [`process`]: one node per process — a node process's `main`, and a
//!   ring of node processes to drive and kill.
//! - [`meeting`]: how node processes reach each other, over TCP or
//!   through a NATS server.
//! - [`trace`]: one node's join, recorded and drawn as a sequence diagram.
//! - [`simulate`]: a ring in deterministic simulation, one simulated node
//!   per Chord node, with latency and churn drawn from a seed.
//!
//! ```
//! use std::time::Duration;
//! use actium::prelude::*;
//! use actium_examples::chord::{Config, Ring};
//!
//! actium::launch(Mode::Tasks, async {
//!     let config = Config { fastest: Duration::from_millis(5), ..Config::default() };
//!     let mut ring = Ring::build(16, config, 7, Duration::from_secs(30)).await?;
//!     let lookups = ring.lookups(100).await;
//!     assert_eq!(lookups.failed, 0);
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod id;
pub mod meeting;
pub mod node;
pub mod process;
mod protocol;
pub mod ring;
pub mod simulate;
pub mod trace;

pub use id::Id;
pub use meeting::{AnyNode, Meeting};
pub use node::{ChordNode, Config, Entry, Found, Hop, LookupError, NodeState, Peer};
pub use process::{NodeArgs, NodeCommand, NodeProcess, ProcessError, ProcessRing};
pub use ring::{Batch, Lookups, Ring, RingError};
