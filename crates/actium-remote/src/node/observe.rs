//! What a node says about itself for metrics: its traffic, counted by its
//! connections, and its system's snapshot with that traffic, for this
//! process ([`Node::local_snapshot`]) or another that asks over the
//! node protocol ([`Node::snapshot`]); and the last events of its flight
//! recorder ([`Node::recent`]).

use std::sync::atomic::{AtomicU64, Ordering};

use actium_core::observe::{NetworkSnapshot, RecentError, RecentEvent, SystemSnapshot};
use actium_core::{ActorId, Error, transport};

use super::{Node, NodeShared, unexpected};
use crate::address::NodeAddress;
use crate::wire::{NodeAnswer, Request};

/// A node's connections and bytes, counted by its connection tasks: a
/// relaxed add per frame read and per batch written.
#[derive(Default)]
pub(crate) struct Traffic {
    connections: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Traffic {
    pub(crate) fn opened(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self) {
        self.connections.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self, bytes: usize) {
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

impl NodeShared {
    pub(crate) fn snapshot(&self) -> SystemSnapshot {
        let mut snapshot = self.system().snapshot();
        snapshot.network = Some(NetworkSnapshot {
            address: self.address_str().to_owned(),
            connections: self.traffic.connections.load(Ordering::Relaxed),
            bytes_in: self.traffic.bytes_in.load(Ordering::Relaxed),
            bytes_out: self.traffic.bytes_out.load(Ordering::Relaxed),
        });
        snapshot
    }
}

impl Node {
    /// A snapshot of this node's system (see
    /// [`SystemHandle::snapshot`](actium_core::SystemHandle::snapshot)),
    /// with the node's connections and traffic.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// let node = Node::builder().start().await?;
    /// let snapshot = node.local_snapshot();
    /// assert_eq!(snapshot.network.expect("a node's").connections, 0);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn local_snapshot(&self) -> SystemSnapshot {
        self.shared.snapshot()
    }

    /// Asks another node for its snapshot: its actors with their counters
    /// and relations, its names and its traffic (this node's own, without
    /// a connection, if `node` is this node's address). The request goes
    /// over the authenticated connection, so only a node with the cookie
    /// may ask; `actium top` is built on it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a malformed address; [`Error::NodeDown`]
    /// if the node cannot be reached or does not answer within the
    /// system's default timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let other = System::builder().start()?; let server = Node::builder().system(other.handle()).start().await?; let node = Node::builder().start().await?;
    /// let snapshot = node.snapshot(&server.address().to_string()).await?;
    /// println!("{} actors", snapshot.actors.len());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
    pub async fn snapshot(&self, node: &str) -> Result<SystemSnapshot, Error> {
        let address = NodeAddress::parse(node)?;
        if &address == self.address() {
            return Ok(self.local_snapshot());
        }
        let peer = self.shared.peer_for(&address.to_string())?;
        match peer
            .request(Request::Snapshot, self.shared.system().default_timeout())
            .await?
        {
            NodeAnswer::Snapshot(snapshot) => Ok(*snapshot),
            other => Err(unexpected(&peer, &other)),
        }
    }
}

/// Why [`Node::recent`] got no events.
#[derive(Debug, Clone)]
pub enum RecentRequestError {
    /// The node could not be asked: a malformed address, or it is down or
    /// did not answer in time.
    Node(Error),
    /// The node answered, with why it has no events to give.
    Refused(RecentError),
}

impl std::fmt::Display for RecentRequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecentRequestError::Node(error) => error.fmt(f),
            RecentRequestError::Refused(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for RecentRequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecentRequestError::Node(error) => Some(error),
            RecentRequestError::Refused(error) => Some(error),
        }
    }
}

impl From<Error> for RecentRequestError {
    fn from(error: Error) -> Self {
        RecentRequestError::Node(error)
    }
}

impl Node {
    /// Asks a node for the last `last` events of its flight recorder (see
    /// [`NodeBuilder::flight_recorder`](crate::NodeBuilder::flight_recorder))
    /// that involve one of `actors` — all if empty — oldest first: what
    /// `actium observe` draws as a live sequence diagram. A node gives at
    /// most [`MAX_RECENT`](actium_core::observe::MAX_RECENT) events a
    /// request, and asking this node's own address reads its own ring.
    /// Authenticated like [`snapshot`](Node::snapshot).
    ///
    /// # Errors
    ///
    /// [`RecentRequestError::Node`] as for [`snapshot`](Node::snapshot);
    /// [`RecentRequestError::Refused`] with [`RecentError::Off`] if the
    /// node keeps no flight recorder, or [`RecentError::UnknownActor`]
    /// for an actor it does not know.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let other = System::builder().start()?;
    /// let server = Node::builder()
    ///     .system(other.handle())
    ///     .flight_recorder(1_000)
    ///     .start()
    ///     .await?;
    /// let node = Node::builder().start().await?;
    /// let events = node.recent(&server.address().to_string(), &[], 100).await;
    /// assert!(events.is_ok());
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
        let address = NodeAddress::parse(node)?;
        if &address == self.address() {
            return transport::recent(self.shared.system(), actors, last)
                .map_err(RecentRequestError::Refused);
        }
        let peer = self.shared.peer_for(&address.to_string())?;
        let request = Request::Recent {
            actors: actors.to_vec(),
            last,
        };
        match peer
            .request(request, self.shared.system().default_timeout())
            .await?
        {
            NodeAnswer::Recent(answer) => answer.map_err(RecentRequestError::Refused),
            other => Err(unexpected(&peer, &other).into()),
        }
    }
}
