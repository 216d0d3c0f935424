//! Asking another node of the cluster what `actium top` and `actium
//! observe` show: its snapshot ([`NatsNode::snapshot`]) and the last
//! events of its flight recorder ([`NatsNode::recent`]), with the same
//! signatures and errors as a TCP node's. The requests and answers are
//! the node protocol's own (`Request::Snapshot`, `Request::Recent`),
//! published to the node's subject as spawn requests are; `node` answers
//! them, with the network part of its snapshot from here
//! ([`Shared::local_snapshot`]).

use std::sync::atomic::Ordering;

use actium_core::observe::{NetworkSnapshot, NodeKind, RecentEvent, SystemSnapshot};
use actium_core::{ActorId, Error, NodeId, transport};
use actium_remote::RecentRequestError;
use actium_remote::protocol::{NodeAnswer, Request, from_peer};

use crate::address;
use crate::node::{NatsNode, Shared};

impl Shared {
    /// This node's snapshot, with what it knows of its network: the
    /// other nodes of the cluster it hears (as `connections`: a NATS node
    /// has one connection, to its server, and talks to each member
    /// through it), and the payload bytes its NATS client received and
    /// sent (the client's own statistics: every subject this node
    /// subscribes to, protocol overhead not counted).
    pub(crate) fn local_snapshot(&self) -> SystemSnapshot {
        let mut snapshot = self.system.snapshot();
        let statistics = self.client.statistics();
        snapshot.network = Some(NetworkSnapshot {
            address: self.address.clone(),
            connections: u64::try_from(self.members.len()).unwrap_or(u64::MAX),
            bytes_in: statistics.in_bytes.load(Ordering::Relaxed),
            bytes_out: statistics.out_bytes.load(Ordering::Relaxed),
        });
        snapshot
    }
}

impl NatsNode {
    /// A snapshot of this node's system (see
    /// [`SystemHandle::snapshot`](actium_core::SystemHandle::snapshot)),
    /// with its network part: the cluster's other nodes it hears, as
    /// `connections`, and the bytes its NATS client received and sent.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use actium::nats::NatsNode;
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// let node = NatsNode::builder().cluster("shop").start().await?;
    /// let network = node.local_snapshot().network.expect("a node's");
    /// println!("{} other nodes heard", network.connections);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn local_snapshot(&self) -> SystemSnapshot {
        self.shared.local_snapshot()
    }

    /// Asks the node at `node` (`nats://<cluster>/<node id>`, as
    /// [`address`](Self::address) and `actium nats nodes` give) for its
    /// snapshot: its actors with their counters and relations, and its
    /// names (this node's own, with no message sent, if `node` is this
    /// node's address). `actium top` is built on it. Like any request, it
    /// goes only to nodes of this node's cluster, sealed with the
    /// cluster's secret if it has one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for an address that is not a node of
    /// this cluster; [`Error::NodeDown`] if the node does not answer
    /// within the system's default timeout (a node that does not exist,
    /// or died, is declared down sooner, after the heartbeat timeout).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use actium::nats::NatsNode;
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// let node = NatsNode::builder().cluster("shop").start().await?;
    /// // `other` is another node's address, from `actium nats nodes`.
    /// # let other = node.address().to_owned();
    /// let snapshot = node.snapshot(&other).await?;
    /// println!("{} actors", snapshot.actors.len());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
    pub async fn snapshot(&self, node: &str) -> Result<SystemSnapshot, Error> {
        let target = self.node_of(node)?;
        if target == self.shared.id {
            return Ok(self.shared.local_snapshot());
        }
        match self.ask(target, Request::Snapshot).await? {
            NodeAnswer::Snapshot(snapshot) => Ok(*snapshot),
            other => Err(self.unexpected(target, &other)),
        }
    }

    /// Asks the node at `node` for the last `last` events of its flight
    /// recorder (see
    /// [`NatsNodeBuilder::flight_recorder`](crate::NatsNodeBuilder::flight_recorder))
    /// that involve one of `actors` — all if empty — oldest first: what
    /// `actium observe` draws. A node gives at most
    /// [`MAX_RECENT`](actium_core::observe::MAX_RECENT) events a request;
    /// asking this node's own address reads its own ring.
    ///
    /// # Errors
    ///
    /// [`RecentRequestError::Node`] as for [`snapshot`](Self::snapshot);
    /// [`RecentRequestError::Refused`] with
    /// [`RecentError::Off`](actium_core::observe::RecentError::Off) (naming
    /// [`NatsNodeBuilder::flight_recorder`](crate::NatsNodeBuilder::flight_recorder))
    /// if the node keeps no flight recorder,
    /// [`RecentError::TooManyActors`](actium_core::observe::RecentError::TooManyActors)
    /// for more than
    /// [`MAX_RECENT_ACTORS`](actium_core::observe::MAX_RECENT_ACTORS)
    /// actors, or
    /// [`RecentError::UnknownActor`](actium_core::observe::RecentError::UnknownActor)
    /// for an actor it does not know.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use actium::nats::NatsNode;
    /// # use actium::prelude::*;
    /// # actium::launch(Mode::Tasks, async {
    /// let node = NatsNode::builder().cluster("shop").start().await?;
    /// # let other = node.address().to_owned();
    /// match node.recent(&other, &[], 100).await {
    ///     Ok(events) => println!("{} events", events.len()),
    ///     Err(error) => println!("no events: {error}"),
    /// }
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
    pub async fn recent(
        &self,
        node: &str,
        actors: &[ActorId],
        last: u32,
    ) -> Result<Vec<RecentEvent>, RecentRequestError> {
        let target = self.node_of(node)?;
        if target == self.shared.id {
            return transport::recent(&self.shared.system, actors, last)
                .map_err(|error| RecentRequestError::Refused(error.from_node(NodeKind::Nats)));
        }
        let request = Request::Recent {
            actors: actors.to_vec(),
            last,
        };
        match self.ask(target, request).await? {
            // The answering code is the one TCP nodes share: it names the
            // TCP builder, which this node knows is not the one to use.
            NodeAnswer::Recent(answer) => {
                answer.map_err(|error| RecentRequestError::Refused(error.from_node(NodeKind::Nats)))
            }
            other => Err(self.unexpected(target, &other).into()),
        }
    }

    /// The node named by `node`, a node address of this cluster.
    fn node_of(&self, node: &str) -> Result<NodeId, Error> {
        let parsed = address::parse(node)?;
        if parsed.name.is_some() {
            return Err(Error::InvalidAddress {
                address: node.to_owned(),
                reason: "expected a node's address, `nats://<cluster>/<node id>`".to_owned(),
            });
        }
        self.shared.check_cluster(node, parsed.cluster)?;
        Ok(parsed.node)
    }

    /// Sends `request` to `node` and waits for its answer, for at most the
    /// system's default timeout.
    async fn ask(&self, node: NodeId, request: Request<'_>) -> Result<NodeAnswer, Error> {
        let peer = self.shared.peer(node)?;
        peer.request(request, self.shared.system.default_timeout())
            .await
    }

    fn unexpected(&self, node: NodeId, answer: &NodeAnswer) -> Error {
        Error::NodeDown {
            node: address::node_address(&self.shared.cluster, node),
            reason: format!("unexpected answer: {}", from_peer(&format!("{answer:?}"))),
        }
    }
}
