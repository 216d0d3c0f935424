//! [`NatsNode`]: a system's presence in a cluster that meets through NATS,
//! and what the node answers other nodes' requests with (the frames
//! themselves are acted on in `inbound`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actium_core::transport::{self, Peer, Resolver};
use actium_core::{Actor, ActorRef, Clock, Error, NodeId, SystemHandle, TaskHandle};
use actium_remote::protocol::{Frame, NodeAnswer, NodeInfo, Request, from_peer};
use async_nats::Subject;

use crate::address;
use crate::members::Members;
use crate::names::Names;
use crate::spawn::Spawnable;

/// Which subscription a message came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// This node's own subject: frames addressed to it.
    Node,
    /// The cluster's alive subject: heartbeats and goodbyes to everyone.
    Alive,
}
use crate::builder::NatsNodeBuilder;
use crate::departed::Departed;
use crate::peer::{NatsPeer, Outbound, Refused};

/// The most other nodes one node keeps track of: a publisher cannot make
/// a node grow without bound by claiming ever new node ids.
const MAX_PEERS: usize = 4096;

/// A node that meets the other nodes of its cluster through a NATS server:
/// hosts a system's actors, with no listening port of its own.
///
/// References to its actors can be sent to other nodes of the cluster, and
/// calls on references to theirs are the same method calls as local ones.
///
/// # Examples
///
/// ```no_run
/// use actium::nats::NatsNode;
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[actor(remote)]
/// impl Greeter {
///     #[ask]
///     fn greet(&self, name: String) -> String {
///         format!("hello, {name}")
///     }
/// }
///
/// actium::launch(Mode::Tasks, async {
///     let node = NatsNode::builder()
///         .server("nats://127.0.0.1:4222")
///         .cluster("shop")
///         .start()
///         .await?;
///     node.register("greeter", &Greeter.spawn())?;
///     println!("look me up at {}", node.url("greeter"));
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
pub struct NatsNode {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Config {
    pub(crate) heartbeat_interval: Duration,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) max_frame: usize,
    /// Joined as an observer (`NatsNodeBuilder::observer`).
    pub(crate) observer: bool,
}

pub(crate) struct Shared {
    pub(crate) system: SystemHandle,
    pub(crate) clock: Clock,
    pub(crate) id: NodeId,
    pub(crate) cluster: String,
    pub(crate) address: String,
    pub(crate) alive_subject: Subject,
    /// This node's own subject.
    pub(crate) node_subject: Subject,
    pub(crate) out: Arc<Outbound>,
    pub(crate) config: Config,
    pub(crate) peers: Mutex<HashMap<NodeId, Arc<NatsPeer>>>,
    /// The next sending epochs of the peers forgotten.
    pub(crate) departed: Mutex<Departed>,
    pub(crate) tasks: Mutex<Vec<TaskHandle>>,
    pub(crate) closed: AtomicBool,
    pub(crate) names: Arc<Names>,
    pub(crate) client: async_nats::Client,
    pub(crate) members: Arc<Members>,
    pub(crate) counters: Counters,
    /// The types other nodes may spawn here.
    pub(crate) spawnable: Spawnable,
}

/// What a node counts of its troubles; see [`NatsNodeStats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) dropped: AtomicU64,
    pub(crate) slow_consumer: Arc<AtomicU64>,
    pub(crate) disconnects: AtomicU64,
    pub(crate) gaps: AtomicU64,
}

/// What a node counts of its troubles, from [`NatsNode::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatsNodeStats {
    /// Messages dropped on arrival: not Actium's, malformed, oversize, or
    /// (with a cluster secret) not authenticated. Each is also logged.
    pub dropped_messages: u64,
    /// Times the NATS client dropped messages for this node because the
    /// node did not take them fast enough (NATS' slow consumer). The
    /// calls waiting at such a time fail with `NodeDown`.
    pub slow_consumer_events: u64,
    /// Times the connection to NATS was lost (and, after each, taken up
    /// again once the client reconnected).
    pub disconnects: u64,
    /// Times frames from another node were found lost on the way (a gap
    /// in that node's sequence numbers: NATS dropped some), each handled
    /// as a broken connection to that node: the calls waiting on it
    /// failed with `NodeDown`, links and monitors fired with
    /// `noconnection`. Each is also logged as an error.
    pub gaps: u64,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl NatsNode {
    /// Settings for a new node.
    pub fn builder() -> NatsNodeBuilder {
        NatsNodeBuilder::new()
    }

    /// The node's address, `nats://<cluster>/<node id>`: references to its
    /// actors carry it.
    pub fn address(&self) -> &str {
        &self.shared.address
    }

    /// The node's id: its system's node id.
    pub fn id(&self) -> NodeId {
        self.shared.id
    }

    /// The cluster the node belongs to.
    pub fn cluster(&self) -> &str {
        &self.shared.cluster
    }

    /// The system whose actors this node hosts.
    pub fn system(&self) -> &SystemHandle {
        &self.shared.system
    }

    /// The URL other nodes look up the actor registered here as `name`
    /// by: `nats://<cluster>/<node id>/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.shared.address)
    }

    /// Registers `actor` under `name` on this node, for other nodes'
    /// [`lookup`](Self::lookup).
    ///
    /// # Errors
    ///
    /// As [`SystemHandle::register`]: the name is taken, or the actor has
    /// stopped.
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        self.shared.system.register(name, actor)
    }

    /// The actor registered as `name` on the node of `url`
    /// (`nats://<cluster>/<node id>/<name>`, as [`url`](Self::url) gives,
    /// for a name given to [`register`](Self::register)), or registered
    /// as `name` for the whole cluster (`nats://<cluster>/<name>`, for a
    /// name given to [`register_global`](Self::register_global), found
    /// without knowing its node).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a URL that is not of this cluster;
    /// [`Error::NotRegistered`], [`Error::WrongType`],
    /// [`Error::NotRemote`] for a type that is not `#[actor(remote)]`, and
    /// [`Error::NodeDown`] if the node does not answer within the system's
    /// default timeout.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the node is unaffected.
    pub async fn lookup<A: Actor>(&self, url: &str) -> Result<ActorRef<A>, Error> {
        if let Some((cluster, name)) = address::cluster_wide(url) {
            self.shared.check_cluster(url, cluster)?;
            return self.lookup_global(url, name).await;
        }
        let parsed = address::parse(url)?;
        let Some(name) = parsed.name else {
            return Err(Error::InvalidAddress {
                address: url.to_owned(),
                reason: "expected `nats://<cluster>/<node id>/<name>`".to_owned(),
            });
        };
        self.shared.check_cluster(url, parsed.cluster)?;
        if parsed.node == self.shared.id {
            return self.shared.system.whereis(name);
        }
        if !A::REMOTE {
            return Err(Error::NotRemote {
                actor_type: A::NAME,
            });
        }
        let peer = self.shared.peer(parsed.node)?;
        let timeout = self.shared.system.default_timeout();
        match peer.request(Request::Lookup { name }, timeout).await? {
            NodeAnswer::Found(label) if label.type_name() == A::NAME => {
                Ok(transport::remote_ref(&self.shared.system, label, peer))
            }
            NodeAnswer::Found(label) => Err(Error::WrongType {
                name: url.to_owned(),
                expected: A::NAME,
                found: label.type_name(),
            }),
            NodeAnswer::NotRegistered => Err(Error::NotRegistered {
                name: url.to_owned(),
            }),
            other => Err(Error::NodeDown {
                node: peer.address().to_owned(),
                reason: format!("unexpected answer: {}", from_peer(&format!("{other:?}"))),
            }),
        }
    }

    /// Leaves the cluster: tells the other nodes (their calls to this node
    /// fail with `NodeDown` at once, their links and monitors fire), stops
    /// the node's tasks and detaches it from its system. Also done on drop.
    pub fn shutdown(&self) {
        self.shared.shutdown(true);
    }

    /// The NATS server the node is connected to now (`host:port`, as the
    /// server announces itself), or was last.
    pub fn server(&self) -> String {
        let info = self.shared.client.server_info();
        format!("{}:{}", info.host, info.port)
    }

    /// What the node counted of its troubles so far.
    pub fn stats(&self) -> NatsNodeStats {
        let counters = &self.shared.counters;
        NatsNodeStats {
            dropped_messages: counters.dropped.load(Ordering::Relaxed),
            slow_consumer_events: counters.slow_consumer.load(Ordering::Relaxed),
            disconnects: counters.disconnects.load(Ordering::Relaxed),
            gaps: counters.gaps.load(Ordering::Relaxed),
        }
    }

    /// Not public API: stops the node as a crash would, without a goodbye,
    /// so that tests can show the other nodes detect it by its silence.
    #[doc(hidden)]
    pub fn vanish(&self) {
        self.shared.shutdown(false);
    }
}

impl Drop for NatsNode {
    fn drop(&mut self) {
        self.shared.shutdown(true);
    }
}

impl std::fmt::Debug for NatsNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsNode")
            .field("address", &self.shared.address)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn set_tasks(&self, tasks: Vec<TaskHandle>) {
        *lock(&self.tasks) = tasks;
    }

    pub(crate) fn check_cluster(&self, address: &str, cluster: &str) -> Result<(), Error> {
        if cluster == self.cluster {
            return Ok(());
        }
        Err(Error::InvalidAddress {
            address: address.to_owned(),
            reason: format!("not of this node's cluster `{}`", self.cluster),
        })
    }

    /// The peer for node `node`, made on first use.
    pub(crate) fn peer(&self, node: NodeId) -> Result<Arc<NatsPeer>, Error> {
        let mut peers = lock(&self.peers);
        if let Some(peer) = peers.get(&node) {
            return Ok(peer.clone());
        }
        let address = address::node_address(&self.cluster, node);
        if peers.len() >= MAX_PEERS {
            return Err(Error::NodeDown {
                node: address,
                reason: format!("this node already tracks {MAX_PEERS} nodes"),
            });
        }
        let subject = address::node_subject(&self.cluster, node).into();
        let epoch = lock(&self.departed).take(node);
        let peer = NatsPeer::new(
            address,
            (node, epoch),
            subject,
            self.out.clone(),
            self.clock.clone(),
            self.config.heartbeat_timeout,
        );
        peers.insert(node, peer.clone());
        Ok(peer)
    }

    /// The peer for node `node`, if this node knows it already.
    pub(crate) fn known(&self, node: NodeId) -> Option<Arc<NatsPeer>> {
        lock(&self.peers).get(&node).cloned()
    }

    /// Every known peer (for the heartbeat's check).
    pub(crate) fn all_peers(&self) -> Vec<Arc<NatsPeer>> {
        lock(&self.peers).values().cloned().collect()
    }

    /// Forgets the nodes that are down and that nothing refers to (no
    /// reference, link or monitor holds their peer): a cluster whose nodes
    /// come and go does not grow this node's table. Their streams' next
    /// epochs are kept (see `departed`), for when they come back — except
    /// for the nodes that left with a goodbye, which never do, and the
    /// streams that published nothing (`NatsPeer::epoch_to_remember`).
    pub(crate) fn forget_departed(&self) {
        // In the order `peer` takes them: the table, then the epochs.
        let mut peers = lock(&self.peers);
        let mut departed = lock(&self.departed);
        peers.retain(|node, peer| {
            let keep = Arc::strong_count(peer) > 1 || !peer.is_down_and_idle();
            if !keep && let Some(epoch) = peer.epoch_to_remember() {
                departed.remember(*node, epoch);
            }
            keep
        });
    }

    fn shutdown(&self, say_goodbye: bool) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if say_goodbye {
            let bye = Frame::Bye {
                reason: "the node is shutting down".into(),
            };
            let _ = self.out.send(&self.alive_subject, &bye);
        }
        // The writer publishes what is queued (the goodbye) and what the
        // streams hold, window or not, then stops;
        // if it is gone already it is stopped with the others.
        let closing = self.out.close(self.all_peers());
        // Cut off from NATS, the writer could wait for the server for ever
        // (and keep the client reconnecting): it is stopped with the rest.
        let drains = say_goodbye && closing && self.out.connected.load(Ordering::Acquire);
        let tasks = std::mem::take(&mut *lock(&self.tasks));
        // The writer is the first task: it stops by itself; the others
        // would run forever.
        for task in tasks.into_iter().skip(usize::from(drains)) {
            task.abort();
        }
        self.names.close();
        // This node can reach no other now: what waits on them fails, and
        // links and monitors to their actors fire with `noconnection`.
        for peer in self.all_peers() {
            peer.went_down("this node left the cluster", &self.system);
        }
        transport::detach(&self.system);
        tracing::info!(node = %self.address, "node left the cluster");
    }

    /// Answers another node's request.
    pub(crate) fn answer(&self, request: Request<'_>) -> NodeAnswer {
        match request {
            Request::Lookup { name } => match self.system.registered_label(name) {
                Some(label) => NodeAnswer::Found(label),
                None => NodeAnswer::NotRegistered,
            },
            // An observer (a tool) hosts no one's work.
            Request::Spawn { .. } if self.config.observer => NodeAnswer::NotSpawnable,
            Request::Spawn { type_name, state } => {
                self.spawnable.answer(&self.system, type_name, state)
            }
            Request::Describe => NodeAnswer::Description(NodeInfo {
                name: self.address.clone(),
                address: self.address.clone(),
                actors: self.system.actors(),
                names: self.system.registered_actors(),
            }),
            // What `actium top` and `Node::snapshot` ask for: this node's
            // actors and their counters.
            Request::Snapshot => NodeAnswer::Snapshot(Box::new(self.local_snapshot())),
            Request::Recent { actors, last } => {
                NodeAnswer::Recent(transport::recent(&self.system, &actors, last))
            }
        }
    }
}

impl Resolver for Shared {
    fn address(&self) -> &str {
        &self.address
    }

    fn peer(&self, address: &str) -> Result<Arc<dyn Peer>, Error> {
        let parsed = address::parse(address)?;
        self.check_cluster(address, parsed.cluster)?;
        let peer: Arc<dyn Peer> = Shared::peer(self, parsed.node)?;
        Ok(peer)
    }
}

/// Sends `answer` to request `id` of `peer`'s node. An answer too large
/// for one message (a snapshot of many actors) is answered with why,
/// so that the asker gets a typed error rather than its timeout. An actor
/// spawned for the request whose answer cannot be sent (this node is
/// cut off from NATS or leaving, the outbox to the node is full) is
/// stopped: the asker will never have a reference to it.
pub(crate) fn respond(system: &SystemHandle, peer: &Arc<NatsPeer>, id: u64, answer: NodeAnswer) {
    let spawned = match &answer {
        NodeAnswer::Spawned(label) => Some(label.id()),
        _ => None,
    };
    let reason = match peer.send(&Frame::Answer { id, answer }) {
        Ok(()) => return,
        Err(Refused::Frame(reason)) => {
            tracing::warn!(%reason, "a node's request has an answer too large to send");
            let answer = NodeAnswer::SpawnFailed(format!("the answer cannot be sent: {reason}"));
            if let Err(reason) = peer.send(&Frame::Answer { id, answer }) {
                tracing::warn!(%reason, "could not answer a node's request");
            }
            reason
        }
        Err(reason @ Refused::Offline(_)) => {
            tracing::warn!(%reason, "could not answer a node's request");
            reason.to_string()
        }
    };
    // Whether or not the asker hears why, it will not have this actor.
    if let Some(actor) = spawned {
        tracing::info!(%actor, %reason, "stopping an actor spawned for a request whose answer cannot be sent");
        let peer: Arc<dyn Peer> = peer.clone();
        transport::apply(system, peer, transport::RemoteSignal::Stop { to: actor });
    }
}
