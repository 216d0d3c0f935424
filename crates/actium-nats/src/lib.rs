//! Nodes for [Actium](https://docs.rs/actium) that meet through a
//! [NATS](https://nats.io) server: the same method calls on actors in
//! other processes, with no listening port, no address book and no mesh of
//! connections of their own.
//!
//! Applications use this crate through the `actium` facade's `nats`
//! feature, as `actium::nats`. A [`NatsNode`] puts a system on a NATS
//! server under a cluster name; `#[actor(remote)]` gives an actor type the
//! wire codec its calls need, exactly as for TCP nodes.
//!
//! This crate needs Rust 1.89 (async-nats does); the rest of Actium needs
//! 1.85.
//!
//! # Layout
//!
//! - `address` — node addresses (`nats://<cluster>/<node id>`), actor
//!   URLs, and the subjects they map to.
//! - `envelope` — one NATS message: a header naming the sending node, then
//!   one frame of the same protocol TCP nodes speak
//!   (`actium_remote::protocol`), a numbered batch of them, or an
//!   acknowledgement or probe of a stream.
//! - `flow` — the stream of frames from one node to another: sequence
//!   numbers (a lost message is a broken connection, never a silent gap)
//!   and a window of credit (a sender never overruns its receiver).
//! - `peer` — another node as seen from here: its subject, the streams
//!   each way, the calls waiting for its answers, whether it is alive;
//!   implements the core's `Peer` seam. `outbound` — what the node's
//!   writer publishes, and the bound on it.
//! - `inbound` — each message that arrives: checked, then taken in its
//!   stream (or found to follow a gap), and what the node does with each
//!   of its frames (a batch's calls to one actor queued together).
//! - `node` — [`NatsNode`]: look-ups, answers to other nodes' requests;
//!   implements the core's `Resolver` seam.
//! - `observe` — asking another node for its snapshot and its flight
//!   recorder's last events (what `actium top` and `actium observe` show).
//! - `spawn` — remote spawn: the types other nodes may spawn here
//!   (`allow_spawn`), and spawning on another node (`spawn_on`).
//! - `members` — the nodes alive in the cluster, from their heartbeats.
//! - [`names`] — the cluster's names (Erlang's `global`), in a JetStream
//!   key-value bucket; `global` — the node's methods on them and on the
//!   members.
//! - `builder` — [`NatsNodeBuilder`]: connecting and subscribing.
//! - `tasks` — the writer, the readers, the heartbeat and the
//!   connection's events.
//! - `connect` — servers, [`Credentials`], TLS: async-nats' options.
//! - `view` — [`ClusterView`]: the cluster's nodes and names from a tool
//!   that is not a node.
//! - `local` — [`LocalServer`]: a `nats-server` of the program's own,
//!   for examples, tests and trying a cluster on one machine; its
//!   [`LocalServerBuilder`] adds JetStream, a cluster of servers and more
//!   arguments.
//!
//! # How a call flows
//!
//! Each node subscribes to `actium.<cluster>.node.<its id>`. A call on a
//! reference to an actor of node `N` is encoded as over TCP into this
//! node's stream to `N` and published, numbered and batched with the
//! frames before it, to `N`'s subject, with this node's id in the header;
//! `N` checks the numbers, delivers it to the actor, and publishes the
//! reply in its own stream to the caller's subject, where the waiting call
//! is found by its id. Every node publishes a heartbeat
//! to `actium.<cluster>.alive`; a node silent for the heartbeat timeout is
//! down: calls waiting on it fail with `NodeDown`, and links and monitors
//! to its actors fire with `NoConnection`.

#![warn(missing_docs)]

mod address;
mod builder;
mod connect;
mod departed;
mod envelope;
mod flow;
mod global;
mod inbound;
mod local;
mod members;
pub mod names;
mod node;
mod observe;
mod outbound;
mod peer;
mod spawn;
mod tasks;
mod view;

pub use builder::{
    DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_HEARTBEAT_TIMEOUT, DEFAULT_MAX_FRAME, NatsNodeBuilder,
};
pub use connect::Credentials;
pub use local::{LocalServer, LocalServerBuilder, LocalServerError};
pub use names::ClusterName;
pub use node::{NatsNode, NatsNodeStats};
pub use view::ClusterView;
