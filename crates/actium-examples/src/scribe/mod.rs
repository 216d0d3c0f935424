//! Scribe (Castro, Druschel, Kermarrec and Rowstron, IEEE JSAC 2002):
//! publish/subscribe over the [`chord`](crate::chord) ring. A topic's
//! identifier is the hash of its name and its root is the Chord successor
//! of that identifier; subscribers' joins travel towards the root along
//! Chord's lookup paths and build the topic's multicast tree from them;
//! a publish goes to the root and down the tree; the tree repairs itself
//! when nodes fail.
//!
//! - [`node`]: the Scribe node, one actor beside each Chord node, attached
//!   to it ([`ChordNode::attach`](crate::chord::ChordNode::attach)) so that
//!   a Scribe node finds the next hop's Scribe node from Chord's `Peer`.
//! - [`protocol`]: what Scribe nodes exchange and report.
//! - [`driver`]: drives the Scribe nodes of a ring from one process:
//!   subscriptions, publishes, the check of every tree against the true
//!   ring, and the figures (delivery ratio, depth, link stress); and
//!   [`Network`], a ring of Chord and Scribe nodes in this process.
//! - [`process`]: a Chord and Scribe node per process (`scribe_node`).
//!
//! ```
//! use std::time::Duration;
//! use actium::prelude::*;
//! use actium_examples::scribe::{self, Network};
//! use actium_examples::chord;
//!
//! actium::launch(Mode::Tasks, async {
//!     let fast = Duration::from_millis(5);
//!     let config = chord::Config { fastest: fast, ..chord::Config::default() };
//!     let limit = Duration::from_secs(30);
//!     let mut network = Network::build(16, config, scribe::Config::default(), 7, limit).await?;
//!     network.scribes.subscribe(2, (0.25, 0.5), limit).await?;
//!     let round = network.scribes.publish(2, limit).await;
//!     assert_eq!(round.delivered, round.expected);
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod driver;
pub mod node;
pub mod process;
pub mod protocol;

pub use driver::{Forest, Network, Round, ScribeError, Scribes};
pub use node::ScribeNode;
pub use protocol::{Config, Delivery, Member, Message, PublishError, TreeState};
