//! What the rest of the crate asks of a running node: its identity, its
//! peers (known, learnt from references, dialled), answers to requests from
//! other nodes, and the loops that accept connections and sweep idle peers.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use actium_core::transport::{self, Peer, Resolver};
use actium_core::{Clock, Error, NodeId, SystemHandle, TaskHandle};
use tokio::net::{TcpListener, TcpStream};

use super::{MAX_HANDSHAKING, NodeShared, lock};
use crate::address::NodeAddress;
use crate::connection::{self, Io};
use crate::peer::PeerHandle;
use crate::peer_table::LearntPeer;
use crate::wire::{Frame, NodeAnswer, NodeInfo, Request};

pub(super) async fn listen_loop(node: Weak<NodeShared>, listener: TcpListener) {
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, say: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                let Some(clock) = node.upgrade().map(|node| node.clock.clone()) else {
                    return;
                };
                clock.sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(node) = node.upgrade() else { return };
        let from = from.to_string();
        let Some(place) = Handshaking::enter(&node) else {
            tracing::warn!(%from, reason = "too many connections are being set up", "refused a connection");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        node.clone().spawn(async move {
            match node.secure_accepted(stream).await {
                Ok(io) => connection::accept(node, io, from, place).await,
                Err(reason) => tracing::warn!(%from, %reason, "refused a connection"),
            }
        });
    }
}

/// One of the [`MAX_HANDSHAKING`] places for a connection being set up,
/// given back when dropped.
pub(crate) struct Handshaking(Arc<NodeShared>);

impl Handshaking {
    fn enter(node: &Arc<NodeShared>) -> Option<Handshaking> {
        node.handshaking
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_HANDSHAKING).then_some(n + 1)
            })
            .ok()
            .map(|_| Handshaking(node.clone()))
    }
}

impl Drop for Handshaking {
    fn drop(&mut self) {
        self.0.handshaking.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Disconnects and forgets idle peers, every `period`.
pub(super) async fn sweep_loop(node: Weak<NodeShared>, period: Duration) {
    let Some(mut ticks) = node.upgrade().map(|node| node.clock.interval(period)) else {
        return;
    };
    loop {
        ticks.tick().await;
        let Some(node) = node.upgrade() else { return };
        for peer in node.peers.evict_idle(&node.system) {
            tracing::debug!(node = %node.name, peer = %peer.address(), "disconnected an idle node");
            peer.retire();
        }
    }
}

impl NodeShared {
    pub(crate) fn id(&self) -> NodeId {
        self.id
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn address_str(&self) -> &str {
        &self.address_str
    }

    pub(crate) fn system(&self) -> &SystemHandle {
        &self.system
    }

    /// The system's clock, which everything the node waits for reads.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Starts one of the node's tasks on its system's executor.
    pub(crate) fn spawn(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> TaskHandle {
        transport::spawn(&self.system, task)
    }

    pub(crate) fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn now_millis(&self) -> u64 {
        let elapsed = self.clock.now().saturating_duration_since(self.epoch);
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    }

    /// The peer for `address`, made on first use if the table has room.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`], or [`Error::NodeDown`] if the table is
    /// full.
    pub(crate) fn peer_for(&self, address: &str) -> Result<Arc<PeerHandle>, Error> {
        self.add_peer(address, true)
    }

    /// [`peer_for`](Self::peer_for); `reclaim` says whether a full table
    /// may first be scanned for unused entries (not for addresses learnt
    /// from references: a frame holding many references to new nodes would
    /// make each of them scan the whole table under its lock).
    fn add_peer(&self, address: &str, reclaim: bool) -> Result<Arc<PeerHandle>, Error> {
        let address = NodeAddress::parse(address)?.to_string();
        self.peers
            .get_or_add(&address, reclaim, || {
                PeerHandle::new(
                    address.clone(),
                    self.me.clone(),
                    self.clock.clone(),
                    self.config.max_frame,
                )
            })
            .map_err(|reason| Error::NodeDown {
                node: address.clone(),
                reason,
            })
    }

    /// The peer for `address`, if this node knows it.
    pub(crate) fn known_peer(&self, address: &str) -> Option<Arc<PeerHandle>> {
        self.peers.get(address)
    }

    /// The peer for `address`, learnt from a reference: known, or made if
    /// the dial policy allows and the table has room.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`], or [`Error::NodeDown`] saying which
    /// rule refused it.
    pub(crate) fn learnt_peer(&self, address: &str) -> Result<Arc<PeerHandle>, Error> {
        let parsed = NodeAddress::parse(address)?;
        let address = parsed.to_string();
        if let Some(peer) = self.peers.get(&address) {
            return Ok(peer);
        }
        if !self.peers.may_dial(&parsed) {
            return Err(Error::NodeDown {
                node: address,
                reason: "its address was learnt from a reference, and this node's policy \
                         (NodeBuilder::dial_learnt_addresses) does not allow dialling it"
                    .to_owned(),
            });
        }
        self.add_peer(&address, false)
    }

    /// Starts connecting to `peer` in the background.
    pub(crate) fn connect(&self, peer: Arc<PeerHandle>, generation: u64) {
        if let Some(node) = self.me.upgrade() {
            if node.closed.load(Ordering::Acquire) {
                // Fail the attempt at once; no task for a closed node.
                self.spawn(async move {
                    peer.ended(generation, "this node has shut down");
                });
                return;
            }
            self.spawn(connection::connect(node, peer, generation));
        }
    }

    /// Opens a stream to `address`: TCP, then TLS if configured.
    pub(crate) async fn dial(&self, address: &str) -> Result<Box<dyn Io>, String> {
        let target = NodeAddress::parse(address).map_err(|e| e.to_string())?;
        let stream = TcpStream::connect(target.socket())
            .await
            .map_err(|error| format!("connect failed: {error}"))?;
        let _ = stream.set_nodelay(true);
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.config.tls {
            return tls.connect(target.host(), stream).await;
        }
        Ok(Box::new(stream))
    }

    async fn secure_accepted(&self, stream: TcpStream) -> Result<Box<dyn Io>, String> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.config.tls {
            return self
                .clock
                .timeout(self.config.connect_timeout, tls.accept(stream))
                .await
                .map_err(|_| "the TLS handshake timed out".to_owned())?;
        }
        Ok(Box::new(stream))
    }

    pub(crate) fn info(&self) -> NodeInfo {
        NodeInfo {
            name: self.name.clone(),
            address: self.address_str.clone(),
            actors: self.system.actors(),
            names: self.system.registered_actors(),
        }
    }

    /// Answers another node's request.
    pub(crate) fn answer(&self, request: Request<'_>) -> NodeAnswer {
        match request {
            Request::Lookup { name } => match self.system.registered_label(name) {
                Some(label) => NodeAnswer::Found(label),
                None => NodeAnswer::NotRegistered,
            },
            Request::Spawn { type_name, state } => {
                let spawnable = lock(&self.spawnable);
                match spawnable.get(type_name) {
                    Some(spawn) => match spawn(&self.system, state) {
                        Ok(label) => NodeAnswer::Spawned(label),
                        Err(message) => NodeAnswer::SpawnFailed(message),
                    },
                    None => NodeAnswer::NotSpawnable,
                }
            }
            Request::Describe => NodeAnswer::Description(self.info()),
            Request::Snapshot => NodeAnswer::Snapshot(Box::new(self.snapshot())),
            Request::Recent { actors, last } => {
                NodeAnswer::Recent(transport::recent(&self.system, &actors, last))
            }
        }
    }

    pub(super) fn shutdown(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(listener) = lock(&self.listener).take() {
            listener.abort();
        }
        if let Some(sweeper) = lock(&self.sweeper).take() {
            sweeper.abort();
        }
        for peer in self.peers.all() {
            peer.send_if_connected(&Frame::Bye {
                reason: "the node is shutting down".into(),
            });
        }
        transport::detach(&self.system);
        tracing::info!(node = %self.name, "node shut down");
    }
}

impl Resolver for NodeShared {
    fn address(&self) -> &str {
        &self.address_str
    }

    /// A reference's node: known, allowed and with room, a peer of the
    /// table; otherwise a reference that decodes but whose calls fail
    /// with `NodeDown` (asking again on each use), so that no address a
    /// peer chose is dialled, nor the table grown, against the rules.
    fn peer(&self, address: &str) -> Result<Arc<dyn Peer>, Error> {
        match self.learnt_peer(address) {
            Ok(peer) => Ok(peer),
            Err(Error::NodeDown { node, reason }) => {
                tracing::debug!(node = %self.name, peer = %node, %reason, "not dialling a node learnt from a reference");
                Ok(Arc::new(LearntPeer::new(node, self.me.clone())))
            }
            Err(other) => Err(other),
        }
    }
}
