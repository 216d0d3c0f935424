//! The node: a system's presence on the network.
//!
//! This file holds the public handle, [`Node`], and the state its clones
//! share; `builder` configures and starts a node, `shared` is what the
//! connections and references ask of it (peers, dialling, requests).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use actium_core::transport;
use actium_core::{Actor, ActorLabel, ActorRef, Clock, Error, NodeId, SystemHandle, TaskHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::address::{ActorUrl, NodeAddress};
use crate::auth::Cookie;
use crate::peer::PeerHandle;
use crate::peer_table::{DialPolicy, PeerTable};
use crate::wire::{DEFAULT_MAX_FRAME, NodeAnswer, NodeInfo, Request};

mod builder;
mod observe;
mod shared;

pub use observe::RecentRequestError;
pub(crate) use observe::Traffic;
pub(crate) use shared::Handshaking;

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
/// ```
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
///     // The server: a node on a free port with a registered store.
///     let node = Node::builder().listen("tcp://127.0.0.1:0").cookie("secret").start().await?;
///     node.register("store", &Store::default().spawn())?;
///
///     // A client (usually another process): the same calls as locally.
///     let store = node.lookup::<Store>(&node.url("store")).await?;
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
    flight_recorder: Option<usize>,
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
    /// The system's clock: heartbeats, timeouts and back-off read it.
    clock: Clock,
    id: NodeId,
    name: String,
    address: NodeAddress,
    address_str: String,
    pub(crate) config: Config,
    peers: PeerTable,
    spawnable: Mutex<HashMap<String, SpawnFn>>,
    generation: AtomicU64,
    epoch: Instant,
    listener: Mutex<Option<TaskHandle>>,
    /// The task that disconnects idle peers.
    sweeper: Mutex<Option<TaskHandle>>,
    closed: AtomicBool,
    /// Accepted connections still setting up; see [`MAX_HANDSHAKING`].
    handshaking: AtomicUsize,
    /// Connections and bytes, for snapshots.
    pub(crate) traffic: Arc<Traffic>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only map operations run under the node's locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Node {
    /// Starts building a node.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// let node = Node::builder().listen("tcp://127.0.0.1:0").cookie("secret").start().await?;
    /// node.shutdown();
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
            flight_recorder: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The address other nodes reach this one at, such as
    /// `tcp://127.0.0.1:40123` (the port chosen if it listened on port 0).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert!(node.address().to_string().starts_with("tcp://127.0.0.1:"));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn address(&self) -> &NodeAddress {
        &self.shared.address
    }

    /// The node's name (its address unless one was given).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// let node = Node::builder().name("alpha").start().await?;
    /// assert_eq!(node.name(), "alpha");
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The node's id: its system's node id, the first half of every actor
    /// id it hosts.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert_eq!(node.id(), node.system().node());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn id(&self) -> NodeId {
        self.shared.id
    }

    /// The system whose actors this node hosts.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert_eq!(node.system().node(), SystemHandle::current().node());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn system(&self) -> &SystemHandle {
        &self.shared.system
    }

    /// The `tcp://host:port/name` URL of `name` on this node.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert_eq!(node.url("store"), format!("{}/store", node.address()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// node.register("store", &Store::default().spawn())?;
    /// assert_eq!(node.lookup::<Store>(&node.url("store")).await?.get().await?, 0);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// # let other = System::builder().start()?; let server = Node::builder().system(other.handle()).start().await?; let node = Node::builder().start().await?; server.register("store", &Store::default().spawner().system(other.handle()).spawn())?;
    /// let store = node.lookup::<Store>(&server.url("store")).await?;
    /// assert_eq!(store.get().await?, 0);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// node.allow_spawn::<Store>(); // other nodes may now `spawn_on` it here
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # #[derive(Default, serde::Serialize, serde::Deserialize)] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// # let other = System::builder().start()?; let server = Node::builder().system(other.handle()).start().await?; let node = Node::builder().start().await?;
    /// server.allow_spawn::<Store>();
    /// let store = node.spawn_on(&server.address().to_string(), Store { n: 7 }).await?;
    /// assert_eq!(store.get().await?, 7);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let other = System::builder().start()?; let server = Node::builder().system(other.handle()).start().await?; let node = Node::builder().start().await?;
    /// println!("{:?}", node.describe(&server.address().to_string()).await?);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// println!("{:?}", node.info());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn info(&self) -> NodeInfo {
        self.shared.info()
    }

    /// The addresses of the nodes this one is connected to now.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert!(node.connected().is_empty()); // connections open on first use
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// assert!(node.known_nodes().is_empty());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn known_nodes(&self) -> Vec<String> {
        self.shared.peers.addresses()
    }

    /// What the node's connections share, for the crate's unit tests.
    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Arc<NodeShared> {
        &self.shared
    }

    /// Leaves the network: tells connected nodes goodbye (their calls to
    /// this node fail with `NodeDown` and their links and monitors fire),
    /// stops listening, and detaches from the system. The system and its
    /// actors go on, reachable only locally. Idempotent.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::{prelude::*, remote::Node};
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = Node::builder().start().await?;
    /// node.shutdown();
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
