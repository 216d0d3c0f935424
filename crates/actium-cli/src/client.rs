//! The node the CLI asks from, for `actium top` and `actium observe`: a
//! TCP node (a client on an ephemeral port of 127.0.0.1, with the
//! cluster's cookie) for a `tcp://` address, or, with the `nats`
//! feature, a node of the watched node's NATS cluster for a
//! `nats://<cluster>/<node id>` address. Both ask with the same node
//! protocol requests and get the same snapshots and events, so what is
//! drawn does not depend on the transport.

use actium_core::observe::{RecentEvent, SystemSnapshot};
use actium_core::{ActorId, System};
use actium_remote::Node;

/// How to join: the cookie for TCP, the server and credentials for NATS.
pub struct Join<'a> {
    /// The CLI node's name (`actium-top`, `actium-observe`), for TCP.
    pub name: &'a str,
    /// The cluster's cookie, for TCP; where nodes read it if `None`.
    pub cookie: Option<&'a str>,
    /// The NATS server and credentials, for NATS.
    #[cfg(feature = "nats")]
    pub nats: &'a crate::nats::Connection,
}

/// A node of the CLI's own, that asks the watched node.
pub enum ClientNode {
    /// For a `tcp://` node.
    Tcp(Node),
    /// For a node of a NATS cluster.
    #[cfg(feature = "nats")]
    Nats(actium_nats::NatsNode),
}

impl ClientNode {
    /// Starts the node that can ask the node at `url`.
    pub fn start(system: &System, url: &str, join: &Join<'_>) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("nats://") {
            return Self::start_nats(system, rest, join);
        }
        let started = system.block_on(async {
            let mut builder = Node::builder()
                .listen("tcp://127.0.0.1:0")
                .name(join.name)
                .system(system.handle());
            if let Some(cookie) = join.cookie {
                builder = builder.cookie(cookie);
            }
            builder.start().await
        });
        started
            .map(ClientNode::Tcp)
            .map_err(|error| format!("cannot start a node to ask from: {error}"))
    }

    #[cfg(feature = "nats")]
    fn start_nats(system: &System, rest: &str, join: &Join<'_>) -> Result<Self, String> {
        // `nats://<cluster>/<node id>`: the node joins `<cluster>`; the
        // address itself is checked when asking. As an observer: a tool
        // watching the cluster must not free the members' names when it
        // loses sight of them, nor host their spawns.
        let cluster = rest.split('/').next().unwrap_or_default();
        let builder = crate::nats::builder(join.nats, cluster)?
            .observer()
            .system(system.handle());
        system
            .block_on(builder.start())
            .map(ClientNode::Nats)
            .map_err(|error| format!("cannot join the NATS cluster `{cluster}`: {error}"))
    }

    #[cfg(not(feature = "nats"))]
    fn start_nats(_system: &System, _rest: &str, _join: &Join<'_>) -> Result<Self, String> {
        Err(
            "this actium was built without NATS: `cargo install actium-cli --features nats`"
                .to_owned(),
        )
    }

    /// Asks the node at `url` for its snapshot; the error says why not.
    pub fn snapshot(&self, system: &System, url: &str) -> Result<SystemSnapshot, String> {
        let answer = match self {
            ClientNode::Tcp(node) => system.block_on(node.snapshot(url)),
            #[cfg(feature = "nats")]
            ClientNode::Nats(node) => system.block_on(node.snapshot(url)),
        };
        answer.map_err(|error| format!("cannot get a snapshot of {url}: {error}"))
    }

    /// Asks the node at `url` for the last `last` events of `actors` (all
    /// if empty) from its flight recorder; the error says why not.
    pub fn recent(
        &self,
        system: &System,
        url: &str,
        actors: &[ActorId],
        last: u32,
    ) -> Result<Vec<RecentEvent>, String> {
        let answer = match self {
            ClientNode::Tcp(node) => system.block_on(node.recent(url, actors, last)),
            #[cfg(feature = "nats")]
            ClientNode::Nats(node) => system.block_on(node.recent(url, actors, last)),
        };
        answer.map_err(|error| format!("no diagram: {error}"))
    }

    /// Leaves: closes the connections, or says goodbye to the cluster.
    pub fn shutdown(&self) {
        match self {
            ClientNode::Tcp(node) => node.shutdown(),
            #[cfg(feature = "nats")]
            ClientNode::Nats(node) => node.shutdown(),
        }
    }
}
