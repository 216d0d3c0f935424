//! Nodes for [Actium](https://docs.rs/actium): the same method calls on
//! actors in other processes and on other machines.
//!
//! Applications use this crate through the `actium` facade's `remote`
//! feature, as `actium::remote`. A [`Node`] puts a system on the network;
//! `#[actor(remote)]` gives an actor type the wire codec its calls need.
//! A reference to an actor on another node has the same type and methods
//! as a local one: `store.get().await?` is one line either way.
//!
//! # Layout
//!
//! - `address` — [`NodeAddress`] (`tcp://host:port`) and [`ActorUrl`]
//!   (`tcp://host:port/name`).
//! - `wire` — the frames: length-prefixed, postcard-encoded, versioned
//!   handshake.
//! - `auth` — the cookie and the challenge-response proving it.
//! - `outbox` — the bytes waiting for one peer, written in batches by the
//!   writer task, or by a sender that finds them piling up.
//! - `peer` — one remote node as seen from here: connection phase, calls
//!   waiting for answers; implements the core's `Peer` seam.
//! - `peer_table` — the nodes a node knows: the cap, idle eviction, and
//!   the [`DialPolicy`] for addresses learnt from references.
//! - `connection` — the handshake and the reader, writer and heartbeat
//!   tasks of one connection.
//! - `node` — [`Node`]: the listener, the peer table, look-ups, remote
//!   spawn; implements the core's `Resolver` seam.
//! - `tls` — TLS with rustls (feature `tls`).
//!
//! # How a remote call flows
//!
//! `store.get()` on a reference to a remote actor builds the message as a
//! local call would, and the actor's generated codec encodes its arguments.
//! The reference's peer appends a frame to its outbox (one lock, no
//! allocation once warm) and registers the caller's reply slot under a
//! fresh id. The writer task writes the outbox with one system call (a
//! sender that never yields writes it itself once it piles up). On the
//! other node the reader task decodes the frame, finds the actor by id and
//! queues the decoded message in its mailbox, with a responder in place of
//! the reply slot. When the method returns, the responder encodes the value
//! and queues a reply frame; back here the reader finds the waiting slot by
//! id and completes it, and the caller's `.await` returns.

#![warn(missing_docs)]

mod address;
mod auth;
mod connection;
mod node;
mod outbox;
mod peer;
mod peer_table;
mod pending;
#[doc(hidden)]
pub mod testing;
#[cfg(feature = "tls")]
mod tls;
mod wire;

/// Not public API: the frames of Actium's node protocol, shared with the
/// NATS transport (`actium-nats`), which carries the same frames over NATS
/// subjects instead of TCP connections. No stability promise beyond the
/// workspace's own crates.
#[doc(hidden)]
pub mod protocol {
    pub use crate::connection::sent_from;
    pub use crate::pending::{Orphans, PendingCalls, Taken};
    pub use crate::wire::{Frame, NodeAnswer, NodeInfo, Request, from_peer, read_frame};
}

pub use address::{ActorUrl, NodeAddress};
pub use auth::COOKIE_ENV;
pub use node::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_PEERS, Node, NodeBuilder, RecentRequestError,
};
pub use peer_table::DialPolicy;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
pub use wire::{DEFAULT_MAX_FRAME, NodeInfo};
