//! The peer table: the nodes this node knows, by address, and the bounds
//! on what other nodes can make it grow.
//!
//! Entries are made by explicit use (a look-up, a remote spawn, a
//! describe), by an accepted connection, and by references decoded from
//! the wire. Three rules keep an authenticated peer from growing the
//! table (and the connections under it) without end:
//!
//! - **A cap** ([`NodeBuilder::max_peers`](crate::NodeBuilder::max_peers)):
//!   past it, a new node is refused with `NodeDown` (a look-up), a
//!   `Refused` handshake (a connection), or a reference whose calls fail
//!   with `NodeDown` (a decoded reference). Entries nothing uses are
//!   reclaimed first.
//! - **Idle eviction**
//!   ([`NodeBuilder::idle_timeout`](crate::NodeBuilder::idle_timeout)): a
//!   peer with no calls waiting, no links or monitors through it, no
//!   references or requests holding it, and no traffic either way for the
//!   idle timeout is disconnected (with `Bye { "idle" }`) and forgotten.
//! - **A dial policy for learnt addresses** ([`DialPolicy`]): a reference
//!   naming a node this one does not know is dialled only if the policy
//!   allows; otherwise it decodes to a reference whose calls fail with
//!   `NodeDown` until the node becomes known by other means.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use actium_core::transport::{OutgoingCall, Peer, RemoteSignal};
use actium_core::{Error, SystemHandle};

use crate::address::NodeAddress;
use crate::node::NodeShared;
use crate::peer::PeerHandle;

/// Which nodes a node dials when it learns their address from a reference
/// (an argument, a result or state decoded from the wire), rather than from
/// its own application; from
/// [`NodeBuilder::dial_learnt_addresses`](crate::NodeBuilder::dial_learnt_addresses).
///
/// Whatever the policy, a decoded reference is a value: it can be stored,
/// compared and passed on. The policy decides whether calling it makes
/// this node connect to an address another node chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialPolicy {
    /// Any address, within the peer table's cap (the default): a reference
    /// from a third node is called directly, as in Erlang and Akka.
    #[default]
    Any,
    /// Only nodes already in the peer table: ones this node looked up,
    /// spawned on or described, or that connected to it, and has not
    /// forgotten since. Calls through a reference to any other node fail
    /// with `NodeDown` until it is known.
    Known,
    /// Known nodes, and these addresses.
    Allow(Vec<NodeAddress>),
}

impl DialPolicy {
    fn allows(&self, address: &NodeAddress) -> bool {
        match self {
            DialPolicy::Any => true,
            DialPolicy::Known => false,
            DialPolicy::Allow(allowed) => allowed.contains(address),
        }
    }
}

/// The bounded table of peers, by address (`tcp://host:port`).
pub(crate) struct PeerTable {
    peers: Mutex<HashMap<String, Arc<PeerHandle>>>,
    max_peers: usize,
    idle_timeout: Duration,
    policy: DialPolicy,
}

impl PeerTable {
    pub(crate) fn new(max_peers: usize, idle_timeout: Duration, policy: DialPolicy) -> Self {
        PeerTable {
            peers: Mutex::new(HashMap::new()),
            max_peers,
            idle_timeout,
            policy,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<PeerHandle>>> {
        // Only map operations and the peers' bookkeeping run under it.
        self.peers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The peer for `address` (as `NodeAddress` prints it), if known.
    pub(crate) fn get(&self, address: &str) -> Option<Arc<PeerHandle>> {
        self.lock().get(address).cloned()
    }

    /// The peer for `address`, made with `make` if there is room. With
    /// `reclaim`, a full table first drops the entries nothing uses.
    ///
    /// # Errors
    ///
    /// Why there is no room, in words.
    pub(crate) fn get_or_add(
        &self,
        address: &str,
        reclaim: bool,
        make: impl FnOnce() -> Arc<PeerHandle>,
    ) -> Result<Arc<PeerHandle>, String> {
        let mut peers = self.lock();
        if let Some(peer) = peers.get(address) {
            return Ok(peer.clone());
        }
        if reclaim && peers.len() >= self.max_peers {
            // Entries nothing refers to and with no connection are free
            // to go, idle period or not.
            peers.retain(|_, peer| !peer.is_unused());
        }
        if peers.len() >= self.max_peers {
            return Err(format!(
                "this node already knows {} nodes, its limit (NodeBuilder::max_peers)",
                self.max_peers
            ));
        }
        let peer = make();
        peers.insert(address.to_owned(), peer.clone());
        Ok(peer)
    }

    /// Whether the policy lets this node dial `address`, learnt from a
    /// reference, though it is not known.
    pub(crate) fn may_dial(&self, address: &NodeAddress) -> bool {
        self.policy.allows(address)
    }

    /// Every peer.
    pub(crate) fn all(&self) -> Vec<Arc<PeerHandle>> {
        self.lock().values().cloned().collect()
    }

    /// The addresses of every peer, sorted.
    pub(crate) fn addresses(&self) -> Vec<String> {
        let mut addresses: Vec<String> = self.lock().keys().cloned().collect();
        addresses.sort();
        addresses
    }

    /// Removes the peers idle for the idle timeout, and returns them (to
    /// be disconnected outside the lock).
    pub(crate) fn evict_idle(&self, system: &SystemHandle) -> Vec<Arc<PeerHandle>> {
        let now = system.clock().now();
        let mut evicted = Vec::new();
        // Under the table's lock no new reference to a peer can be taken
        // from the table, so a peer's reference count is exact here.
        self.lock().retain(|_, peer| {
            let idle = peer.is_idle(now, self.idle_timeout, system);
            if idle {
                evicted.push(peer.clone());
            }
            !idle
        });
        evicted
    }

    /// How often to look for idle peers: a quarter of the idle timeout, so
    /// that a peer goes at most a quarter late.
    pub(crate) fn sweep_period(&self) -> Duration {
        (self.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(15))
    }
}

/// A node known only from a reference, that this node could not add to
/// its table when the reference was decoded (its policy does not allow
/// dialling it, or the table is full). Each use asks again, so that calls
/// go through once the node is known, or there is room.
pub(crate) struct LearntPeer {
    address: String,
    node: Weak<NodeShared>,
}

impl LearntPeer {
    pub(crate) fn new(address: String, node: Weak<NodeShared>) -> Self {
        LearntPeer { address, node }
    }

    fn resolve(&self) -> Result<Arc<PeerHandle>, Error> {
        match self.node.upgrade() {
            Some(node) => node.learnt_peer(&self.address),
            None => Err(Error::NodeDown {
                node: self.address.clone(),
                reason: "this node has shut down".to_owned(),
            }),
        }
    }
}

impl Peer for LearntPeer {
    fn address(&self) -> &str {
        &self.address
    }

    fn is_connected(&self) -> bool {
        self.node
            .upgrade()
            .and_then(|node| node.known_peer(&self.address))
            .is_some_and(|peer| peer.is_up())
    }

    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Box<Error>> {
        self.resolve()?.call(call)
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        self.resolve()?.signal(signal)
    }
}
