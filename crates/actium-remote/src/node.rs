//! The node: a system's presence on the network.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use actium_core::transport::{self, Peer, Resolver};
use actium_core::{Actor, ActorLabel, ActorRef, Error, NodeId, SystemHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::address::{ActorUrl, NodeAddress};
use crate::auth::Cookie;
use crate::connection::{self, Io};
use crate::peer::PeerHandle;
use crate::peer_table::{DialPolicy, LearntPeer, PeerTable};
use crate::wire::{DEFAULT_MAX_FRAME, Frame, NodeAnswer, NodeInfo, Request};

/// How often an idle connection is pinged, by default.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(300);

/// How long a connection may stay silent before its node is declared
/// down, by default. With the default interval, a peer that dies or is cut
/// off is detected within about 1.8 s (a closed socket, at once).
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long connecting (TCP, TLS and the handshake) may take, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a peer may stay unused before it is disconnected and
/// forgotten, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many nodes a node knows at once (its peer table), by default.
pub const DEFAULT_MAX_PEERS: usize = 1024;

/// How many accepted connections may be setting up (TLS and the
/// handshake) at once. Each is bounded in time and memory, but strangers
/// could still open them faster than they time out and exhaust the
/// process's file descriptors; past this many, new connections are closed
/// at once (connections already set up are unaffected).
const MAX_HANDSHAKING: usize = 256;

/// A node: hosts a system's actors on the network, so that actors on other
/// nodes can call them with the same method calls as local ones.
///
/// ```no_run
/// use actium::prelude::*;
/// use actium::remote::Node;
///
/// #[derive(Default)]
/// struct Store {
///     value: u64,
/// }
///
/// #[actor(remote)]
/// impl Store {
///     #[tell]
///     fn set(&mut self, value: u64) {
///         self.value = value;
///     }
///
///     #[ask]
///     fn get(&self) -> u64 {
///         self.value
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     // The server: a node on port 4000 with a registered store.
///     let node = Node::builder().listen("tcp://127.0.0.1:4000").cookie("secret").start().await?;
///     node.register("store", &Store::default().spawn())?;
///
///     // A client (usually another process): the same calls as locally.
///     let store = node.lookup::<Store>("tcp://127.0.0.1:4000/store").await?;
///     store.set(7)?;
///     assert_eq!(store.get().await?, 7);
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// A node connects to another lazily, on the first call, and keeps one
/// connection per pair of nodes, authenticated with a shared cookie (see
/// [`NodeBuilder::cookie`]). Cloning a `Node` is cheap; all clones are the
/// same node.
#[derive(Clone)]
pub struct Node {
    shared: Arc<NodeShared>,
}

/// Settings of a node; from [`Node::builder`].
#[must_use = "nothing starts until `start` is awaited"]
pub struct NodeBuilder {
    listen: String,
    advertise: Option<String>,
    name: Option<String>,
    cookie: Option<Cookie>,
    heartbeat_interval: Duration,
    heartbeat_timeout: Duration,
    connect_timeout: Duration,
    max_frame: usize,
    max_decoded: Option<usize>,
    idle_timeout: Duration,
    max_peers: usize,
    dial_policy: DialPolicy,
    system: Option<SystemHandle>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsConfig>,
}

pub(crate) struct Config {
    pub(crate) cookie: Cookie,
    pub(crate) heartbeat_interval: Duration,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_frame: usize,
    pub(crate) max_decoded: usize,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsConfig>,
}

/// A way to spawn an allowed type from its encoded state.
type SpawnFn = Box<dyn Fn(&SystemHandle, &[u8]) -> Result<ActorLabel, String> + Send + Sync>;

pub(crate) struct NodeShared {
    me: Weak<NodeShared>,
    system: SystemHandle,
    runtime: Handle,
    id: NodeId,
    name: String,
    address: NodeAddress,
    address_str: String,
    pub(crate) config: Config,
    peers: PeerTable,
    spawnable: Mutex<HashMap<String, SpawnFn>>,
    generation: AtomicU64,
    epoch: Instant,
    listener: Mutex<Option<AbortHandle>>,
    /// The task that disconnects idle peers.
    sweeper: Mutex<Option<AbortHandle>>,
    closed: AtomicBool,
    /// Accepted connections still setting up; see [`MAX_HANDSHAKING`].
    handshaking: AtomicUsize,
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only map operations run under the node's locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Node {
    /// Starts building a node.
    pub fn builder() -> NodeBuilder {
        NodeBuilder {
            listen: "tcp://127.0.0.1:0".to_owned(),
            advertise: None,
            name: None,
            cookie: None,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            heartbeat_timeout: DEFAULT_HEARTBEAT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_frame: DEFAULT_MAX_FRAME,
            max_decoded: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_peers: DEFAULT_MAX_PEERS,
            dial_policy: DialPolicy::Any,
            system: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The address other nodes reach this one at, such as
    /// `tcp://127.0.0.1:40123` (the port chosen if it listened on port 0).
    pub fn address(&self) -> &NodeAddress {
        &self.shared.address
    }

    /// The node's name (its address unless one was given).
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The node's id: its system's node id, the first half of every actor
    /// id it hosts.
    pub fn id(&self) -> NodeId {
        self.shared.id
    }

    /// The system whose actors this node hosts.
    pub fn system(&self) -> &SystemHandle {
        &self.shared.system
    }

    /// The `tcp://host:port/name` URL of `name` on this node.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.shared.address)
    }

    /// Registers `actor` under `name` on this node, so other nodes can look
    /// it up as `tcp://host:port/name`. The same as
    /// [`SystemHandle::register`].
    ///
    /// # Errors
    ///
    /// As [`SystemHandle::register`].
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        self.shared.system.register(name, actor)
    }

    /// The actor registered as `url` (`tcp://host:port/name`), as a typed
    /// reference: the same type a local spawn returns, with the same
    /// methods. A URL of this node resolves locally.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a malformed URL,
    /// [`Error::NotRegistered`] if the node has no such name,
    /// [`Error::WrongType`] if the actor there is not an `A`,
    /// [`Error::NotRemote`] if `A` is not `#[actor(remote)]`,
    /// [`Error::NodeDown`] if the node cannot be reached.
    pub async fn lookup<A: Actor>(&self, url: &str) -> Result<ActorRef<A>, Error> {
        let url = ActorUrl::parse(url)?;
        if url.node() == self.address() {
            return self.shared.system.whereis(url.name());
        }
        if !A::REMOTE {
            return Err(Error::NotRemote {
                actor_type: A::NAME,
            });
        }
        let peer = self.shared.peer_for(&url.node().to_string())?;
        let answer = peer
            .request(
                Request::Lookup { name: url.name() },
                self.shared.system.default_timeout(),
            )
            .await?;
        match answer {
            NodeAnswer::Found(label) if label.type_name() == A::NAME => {
                Ok(transport::remote_ref(&self.shared.system, label, peer))
            }
            NodeAnswer::Found(label) => Err(Error::WrongType {
                name: url.to_string(),
                expected: A::NAME,
                found: label.type_name(),
            }),
            NodeAnswer::NotRegistered => Err(Error::NotRegistered {
                name: url.to_string(),
            }),
            other => Err(unexpected(&peer, &other)),
        }
    }

    /// Allows other nodes to spawn actors of type `A` here with
    /// [`spawn_on`](Node::spawn_on) (PyActive's remote `spawn_id`). The
    /// actor's initial state arrives encoded; it is spawned with default
    /// options.
    pub fn allow_spawn<A>(&self)
    where
        A: actium_core::__private::Handler + DeserializeOwned,
    {
        let spawn: SpawnFn = Box::new(|system, state| {
            let actor: A = transport::decode_in(system, state)?;
            let actor = actor
                .spawner()
                .system(system)
                .try_spawn()
                .map_err(|e| e.to_string())?;
            Ok(actor.label())
        });
        lock(&self.shared.spawnable).insert(A::NAME.to_owned(), spawn);
    }

    /// Spawns `actor` on the node at `node` and returns its reference. The
    /// node must [`allow_spawn`](Node::allow_spawn) the type; the actor's
    /// state is sent encoded.
    ///
    /// # Errors
    ///
    /// [`Error::NotSpawnable`] if the node does not allow the type,
    /// [`Error::Codec`] if the state does not encode or decode,
    /// [`Error::NodeDown`] if the node cannot be reached.
    pub async fn spawn_on<A: Actor + Serialize>(
        &self,
        node: &str,
        actor: A,
    ) -> Result<ActorRef<A>, Error> {
        let address = NodeAddress::parse(node)?;
        let mut state = Vec::new();
        transport::encode(&actor, &mut state).map_err(|message| Error::Codec {
            actor_type: A::NAME.to_owned(),
            method: "spawn".to_owned(),
            message,
        })?;
        let peer = self.shared.peer_for(&address.to_string())?;
        let answer = peer
            .request(
                Request::Spawn {
                    type_name: A::NAME,
                    state: &state,
                },
                self.shared.system.default_timeout(),
            )
            .await?;
        match answer {
            NodeAnswer::Spawned(label) => {
                Ok(transport::remote_ref(&self.shared.system, label, peer))
            }
            NodeAnswer::NotSpawnable => Err(Error::NotSpawnable {
                node: address.to_string(),
                actor_type: A::NAME.to_owned(),
            }),
            NodeAnswer::SpawnFailed(message) => Err(Error::Codec {
                actor_type: A::NAME.to_owned(),
                method: "spawn".to_owned(),
                message,
            }),
            other => Err(unexpected(&peer, &other)),
        }
    }

    /// What the node at `node` hosts: its name, actors and registered names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`], or [`Error::NodeDown`] if it cannot be
    /// reached.
    pub async fn describe(&self, node: &str) -> Result<NodeInfo, Error> {
        let address = NodeAddress::parse(node)?;
        if &address == self.address() {
            return Ok(self.info());
        }
        let peer = self.shared.peer_for(&address.to_string())?;
        match peer
            .request(Request::Describe, self.shared.system.default_timeout())
            .await?
        {
            NodeAnswer::Description(info) => Ok(info),
            other => Err(unexpected(&peer, &other)),
        }
    }

    /// What this node hosts: its name, actors and registered names.
    pub fn info(&self) -> NodeInfo {
        self.shared.info()
    }

    /// The addresses of the nodes this one is connected to now.
    pub fn connected(&self) -> Vec<String> {
        let mut connected: Vec<String> = self
            .shared
            .peers
            .all()
            .iter()
            .filter(|peer| peer.is_up())
            .map(|peer| peer.address().to_owned())
            .collect();
        connected.sort();
        connected
    }

    /// The addresses of the nodes this one knows now (its peer table),
    /// connected or not, sorted. Nodes are forgotten once idle (see
    /// [`NodeBuilder::idle_timeout`]); at most
    /// [`NodeBuilder::max_peers`] are known at once.
    pub fn known_nodes(&self) -> Vec<String> {
        self.shared.peers.addresses()
    }

    /// Leaves the network: tells connected nodes goodbye (their calls to
    /// this node fail with `NodeDown` and their links and monitors fire),
    /// stops listening, and detaches from the system. The system and its
    /// actors go on, reachable only locally. Idempotent.
    pub fn shutdown(&self) {
        self.shared.shutdown();
    }
}

fn unexpected(peer: &PeerHandle, answer: &NodeAnswer) -> Error {
    Error::NodeDown {
        node: peer.address().to_owned(),
        reason: format!("unexpected answer {answer:?}"),
    }
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.shared.name)
            .field("address", &self.shared.address_str)
            .field("id", &self.shared.id)
            .finish_non_exhaustive()
    }
}

impl NodeBuilder {
    /// Where to listen: `tcp://host:port`; port 0 picks a free port.
    /// Default `tcp://127.0.0.1:0`.
    pub fn listen(mut self, address: impl Into<String>) -> Self {
        self.listen = address.into();
        self
    }

    /// The address other nodes should use to reach this one, when it is
    /// not the listening address (listening on `0.0.0.0`, or behind NAT).
    pub fn advertise(mut self, address: impl Into<String>) -> Self {
        self.advertise = Some(address.into());
        self
    }

    /// The node's name, for logs and [`Node::info`]. Default: its address.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The shared secret nodes authenticate each other with: nodes connect
    /// only to nodes with the same cookie. It never crosses the wire.
    /// Default: the `ACTIUM_COOKIE` environment variable, else the file
    /// `~/.actium.cookie` (created with a random secret if missing), as
    /// Erlang does.
    pub fn cookie(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.cookie = Some(Cookie::new(secret));
        self
    }

    /// How often idle connections are pinged, and how long one may stay
    /// silent before its node is declared down. Defaults:
    /// [`DEFAULT_HEARTBEAT_INTERVAL`], [`DEFAULT_HEARTBEAT_TIMEOUT`].
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = interval;
        self.heartbeat_timeout = timeout;
        self
    }

    /// How long connecting to a node may take. Default
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest frame accepted or sent, in bytes (a call's encoded
    /// arguments, or a result, must fit). A peer sending a larger one is
    /// disconnected. Default 16 MiB.
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }

    /// The most memory, in bytes, that one received message (a call's
    /// arguments, an answer, a frame) may decode into; a message needing
    /// more fails to decode (a call with `Error::Codec`). Whatever this
    /// cap, a message may decode into at most 32 times its encoded size
    /// plus 64 KiB, and a list may declare no more elements than it has
    /// bytes. Default: four times the largest frame (64 MiB).
    pub fn max_decoded(mut self, bytes: usize) -> Self {
        self.max_decoded = Some(bytes);
        self
    }

    /// How long a peer may go unused before it is disconnected and
    /// forgotten: no calls waiting on it, no links or monitors through it,
    /// no references to its actors held here, and no traffic but
    /// heartbeats either way. Erlang keeps such connections; Akka stops
    /// idle outbound streams after five minutes. Using the node again
    /// reconnects. Default [`DEFAULT_IDLE_TIMEOUT`] (a minute).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many nodes this one knows at once (connected, connecting, or
    /// remembered): past it, looking up, spawning on or describing a new
    /// node fails with `Error::NodeDown`, a connection from a new node is
    /// refused, and a reference to a new node decodes but its calls fail
    /// with `Error::NodeDown`. Unused entries make room first. Default
    /// [`DEFAULT_MAX_PEERS`].
    pub fn max_peers(mut self, peers: usize) -> Self {
        self.max_peers = peers;
        self
    }

    /// Which nodes to dial when a reference decoded from the wire names a
    /// node this one does not know (see [`DialPolicy`]). Default
    /// [`DialPolicy::Any`], within [`max_peers`](Self::max_peers): a
    /// reference handed on by another node is called directly.
    pub fn dial_learnt_addresses(mut self, policy: DialPolicy) -> Self {
        self.dial_policy = policy;
        self
    }

    /// The system whose actors the node hosts. Default: the current one.
    pub fn system(mut self, system: &SystemHandle) -> Self {
        self.system = Some(system.clone());
        self
    }

    /// Runs every connection over TLS (both nodes need it).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Starts listening and attaches the node to its system.
    ///
    /// # Errors
    ///
    /// [`Error::NoSystem`] outside a system, [`Error::InvalidAddress`] for
    /// a malformed address, [`Error::Listen`] if the address cannot be
    /// bound or the cookie cannot be read.
    pub async fn start(self) -> Result<Node, Error> {
        let system = match self.system {
            Some(system) => system,
            None => SystemHandle::try_current()?,
        };
        let listen = NodeAddress::parse(&self.listen)?;
        if transport::is_attached(&system) {
            return Err(Error::Listen {
                address: listen.to_string(),
                reason: "a node already runs on this system".to_owned(),
            });
        }
        let cookie = match self.cookie {
            Some(cookie) => cookie,
            None => Cookie::from_environment().map_err(|error| Error::Listen {
                address: listen.to_string(),
                reason: format!("no cookie given, and ~/.actium.cookie is unreadable: {error}"),
            })?,
        };
        let listener = TcpListener::bind(listen.socket())
            .await
            .map_err(|error| Error::Listen {
                address: listen.to_string(),
                reason: error.to_string(),
            })?;
        let bound = listener.local_addr().map_err(|error| Error::Listen {
            address: listen.to_string(),
            reason: error.to_string(),
        })?;
        let address = match &self.advertise {
            Some(advertised) => NodeAddress::parse(advertised)?,
            None => NodeAddress::new(listen.host(), bound.port()),
        };
        let address_str = address.to_string();
        let shared = Arc::new_cyclic(|me| NodeShared {
            me: me.clone(),
            id: system.node(),
            runtime: Handle::current(),
            name: self.name.unwrap_or_else(|| address_str.clone()),
            address,
            address_str,
            config: Config {
                cookie,
                heartbeat_interval: self.heartbeat_interval,
                heartbeat_timeout: self.heartbeat_timeout,
                connect_timeout: self.connect_timeout,
                max_frame: self.max_frame,
                max_decoded: self
                    .max_decoded
                    .unwrap_or_else(|| self.max_frame.saturating_mul(4)),
                #[cfg(feature = "tls")]
                tls: self.tls,
            },
            system,
            peers: PeerTable::new(self.max_peers, self.idle_timeout, self.dial_policy),
            spawnable: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(1),
            epoch: Instant::now(),
            listener: Mutex::new(None),
            sweeper: Mutex::new(None),
            closed: AtomicBool::new(false),
            handshaking: AtomicUsize::new(0),
        });
        let accepting = shared
            .runtime
            .spawn(listen_loop(Arc::downgrade(&shared), listener));
        *lock(&shared.listener) = Some(accepting.abort_handle());
        let sweeping = shared.runtime.spawn(sweep_loop(
            Arc::downgrade(&shared),
            shared.peers.sweep_period(),
        ));
        *lock(&shared.sweeper) = Some(sweeping.abort_handle());
        if let Err(error) = transport::attach(&shared.system, shared.clone()) {
            accepting.abort();
            sweeping.abort();
            return Err(error);
        }
        tracing::info!(node = %shared.name, address = %shared.address_str, "node listening");
        Ok(Node { shared })
    }
}

async fn listen_loop(node: Weak<NodeShared>, listener: TcpListener) {
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, say: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
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
        node.runtime.clone().spawn(async move {
            match node.secure_accepted(stream).await {
                Ok(io) => connection::accept(node, io, from, place).await,
                Err(reason) => tracing::warn!(%from, %reason, "refused a connection"),
            }
        });
    }
}

/// Disconnects and forgets idle peers, every `period`.
async fn sweep_loop(node: Weak<NodeShared>, period: Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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

    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    pub(crate) fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn now_millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The peer for `address`, made on first use if the table has room.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`], or [`Error::NodeDown`] if the table is
    /// full.
    pub(crate) fn peer_for(&self, address: &str) -> Result<Arc<PeerHandle>, Error> {
        let address = NodeAddress::parse(address)?.to_string();
        self.peers
            .get_or_add(&address, || {
                PeerHandle::new(address.clone(), self.me.clone(), self.config.max_frame)
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
        self.peer_for(&address)
    }

    /// Starts connecting to `peer` in the background.
    pub(crate) fn connect(&self, peer: Arc<PeerHandle>, generation: u64) {
        if let Some(node) = self.me.upgrade() {
            if node.closed.load(Ordering::Acquire) {
                // Fail the attempt at once; no task for a closed node.
                self.runtime.spawn(async move {
                    peer.ended(generation, "this node has shut down");
                });
                return;
            }
            self.runtime
                .spawn(connection::connect(node, peer, generation));
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
            return tokio::time::timeout(self.config.connect_timeout, tls.accept(stream))
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
        }
    }

    fn shutdown(&self) {
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
