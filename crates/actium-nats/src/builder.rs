//! Configuring and starting a [`NatsNode`]: connect to NATS, subscribe to
//! the node's subject and the cluster's heartbeats, attach to the system.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium_core::{Error, SystemHandle, transport};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::address;
use crate::connect::{Connect, Credentials};
use crate::envelope::Seal;
use crate::flow::{self, Window};
use crate::members::Members;
use crate::names::Names;
use crate::node::{Config, Counters, NatsNode, Shared, Via};
use crate::peer::Outbound;
use crate::spawn::Spawnable;
use crate::tasks;
use crate::view::ClusterView;

/// How often a node publishes its heartbeat, by default.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_millis(250);

/// How long a node may be silent before it is declared down, by default.
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The default largest message, header included: 1 MiB, NATS' own default
/// largest payload.
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;

/// Settings for a [`NatsNode`]; from [`NatsNode::builder`].
#[derive(Debug)]
#[must_use = "nothing starts until `start` is awaited"]
pub struct NatsNodeBuilder {
    connect: Connect,
    cluster: String,
    heartbeat_interval: Duration,
    heartbeat_timeout: Duration,
    max_frame: usize,
    seal: Seal,
    window: Window,
    system: Option<SystemHandle>,
    flight_recorder: Option<usize>,
    observer: bool,
}

impl NatsNodeBuilder {
    pub(crate) fn new() -> Self {
        NatsNodeBuilder {
            connect: Connect::new("nats://127.0.0.1:4222"),
            cluster: "actium".to_owned(),
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            heartbeat_timeout: DEFAULT_HEARTBEAT_TIMEOUT,
            max_frame: DEFAULT_MAX_FRAME,
            seal: Seal::default(),
            window: flow::DEFAULT_WINDOW,
            observer: false,
            system: None,
            flight_recorder: None,
        }
    }

    /// The NATS server to connect to, such as `nats://127.0.0.1:4222`
    /// (`tls://` for TLS). Default: `nats://127.0.0.1:4222`.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.connect.servers = vec![url.into()];
        self
    }

    /// Several servers of one NATS cluster: the node connects to one and,
    /// if that one fails, reconnects to another (the NATS client also
    /// learns the cluster's other servers from the one it reaches).
    pub fn servers<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.connect.servers = urls.into_iter().map(Into::into).collect();
        self
    }

    /// How the node proves who it is to the NATS server: a user and
    /// password, a token, an NKey or a `.creds` file. Default: none.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.connect.credentials = Some(credentials);
        self
    }

    /// Refuses a NATS server that does not speak TLS. A `tls://` URL, a
    /// root certificate or a client certificate asks for TLS as well.
    pub fn require_tls(mut self) -> Self {
        self.connect.tls.required = true;
        self
    }

    /// A PEM file of certificate authorities to trust for the server's
    /// certificate, besides the system's.
    pub fn tls_root_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.connect.tls.roots.push(path.into());
        self
    }

    /// A PEM certificate and key with which the node proves itself to a
    /// server that verifies clients (mutual TLS).
    pub fn tls_client_certificate(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.connect.tls.client = Some((certificate.into(), key.into()));
        self
    }

    /// How many messages may wait for the node in one subscription before
    /// the NATS client drops new ones (NATS' slow consumer: logged, counted
    /// in [`NatsNode::stats`], and the calls then waiting fail with
    /// `NodeDown`). Default: async-nats' (65,536).
    pub fn subscription_capacity(mut self, messages: usize) -> Self {
        self.connect.subscription_capacity = Some(messages.max(1));
        self
    }

    /// The flow-control window: how many frames, and how many bytes of
    /// them, the node may have sent to another node and not yet had
    /// acknowledged. Past either, further calls to that node wait in the
    /// node's outbox (up to 256 MiB, then they fail with `NodeDown`)
    /// until the receiver catches up, so that a burst never overruns it.
    /// A receiver's subscription holds
    /// [`subscription_capacity`](Self::subscription_capacity) messages:
    /// with the window in frames times the number of nodes sending to one
    /// node at once below that, no frame is lost to a slow consumer (and a
    /// frame that is lost anyway breaks the connection, never silently).
    /// Default: 16,384 frames and 4 MiB; at least 1 of each.
    pub fn flow_window(mut self, frames: u32, bytes: usize) -> Self {
        self.window = Window {
            frames: u64::from(frames.max(1)),
            bytes: bytes.max(1),
        };
        self
    }

    /// The cluster secret: every message a node publishes carries an
    /// HMAC-SHA256 tag keyed by it (over the message and its subject), and
    /// messages without a valid tag are dropped, logged and counted. Every
    /// node of the cluster must be given the same secret; a client of the
    /// NATS server without it cannot call, stop or impersonate the
    /// cluster's actors. `docs/NATS.md` says what it does not protect
    /// against. Default: none (any client that may publish to the
    /// cluster's subjects is trusted).
    pub fn secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.seal = Seal::with_secret(secret.as_ref());
        self
    }

    /// The cluster's name: nodes meet only nodes of the same cluster on
    /// the same NATS server. Letters, digits, `-` and `_`. Default: `actium`.
    pub fn cluster(mut self, name: impl Into<String>) -> Self {
        self.cluster = name.into();
        self
    }

    /// Joins as an observer: a tool that watches the cluster (`actium
    /// top`, `actium observe`), not a member that shares its work. It
    /// joins, sends heartbeats, answers requests, looks up and calls like
    /// any node, but never frees the cluster-wide names of nodes it finds
    /// gone nor takes over a name whose holder it finds gone (its view,
    /// from wherever the tool runs, must not cost the members their
    /// names: `register_global` of a held name is `NameTaken`), and hosts no spawns (`allow_spawn` has no
    /// effect: other nodes' `spawn_on` get `NotSpawnable`).
    /// Default: a full member.
    pub fn observer(mut self) -> Self {
        self.observer = true;
        self
    }

    /// How often the node publishes its heartbeat, and how long another
    /// node may be silent before this one declares it down.
    /// Default: [`DEFAULT_HEARTBEAT_INTERVAL`], [`DEFAULT_HEARTBEAT_TIMEOUT`].
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = interval;
        self.heartbeat_timeout = timeout;
        self
    }

    /// The largest message the node sends or accepts, header included;
    /// larger ones are refused (sending) or dropped and logged (receiving).
    /// Default: [`DEFAULT_MAX_FRAME`].
    pub fn max_frame(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }

    /// The system whose actors the node hosts. Default: the current one.
    pub fn system(mut self, system: &SystemHandle) -> Self {
        self.system = Some(system.clone());
        self
    }

    /// Keeps the last `events` messages, answers, signals and names of the
    /// node's system in a flight recorder (at most
    /// [`MAX_FLIGHT_EVENTS`](actium_core::observe::MAX_FLIGHT_EVENTS)),
    /// which the cluster's nodes read with [`NatsNode::recent`] and
    /// `actium observe` draws, as a TCP node's `flight_recorder`. Off by
    /// default: while off it costs nothing. A system keeps one recorder:
    /// if it already records, the node starts without one, with a
    /// warning, and answers with
    /// [`RecentError::Off`](actium_core::observe::RecentError::Off).
    pub fn flight_recorder(mut self, events: usize) -> Self {
        self.flight_recorder = Some(events);
        self
    }

    /// Connects to NATS without joining the cluster, for a read-only view
    /// of its nodes and names (what the `actium nats` command shows). Uses
    /// the servers, credentials, TLS settings and cluster name given; the
    /// rest is for nodes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a bad cluster name; [`Error::Listen`]
    /// if the NATS server cannot be reached.
    pub async fn view(self) -> Result<ClusterView, Error> {
        ClusterView::connect(&self.connect, self.cluster, self.seal).await
    }

    /// Connects to NATS and attaches the node to its system. The node
    /// listens on no port of its own.
    ///
    /// # Errors
    ///
    /// [`Error::NoSystem`] outside a system; [`Error::InvalidAddress`] for
    /// a cluster name that cannot be a subject token; [`Error::Listen`] if
    /// the NATS server cannot be reached (or refuses the credentials, or
    /// the TLS handshake fails) or a node already runs on the system.
    pub async fn start(self) -> Result<NatsNode, Error> {
        let system = match self.system {
            Some(system) => system,
            None => SystemHandle::try_current()?,
        };
        address::check_cluster(&self.cluster)?;
        let unreachable = |reason: String| Error::Listen {
            address: self.connect.describe(),
            reason,
        };
        if transport::is_attached(&system) {
            return Err(unreachable("a node already runs on this system".to_owned()));
        }
        let id = system.node();
        let (client, events) = self
            .connect
            .connect(format!(
                "actium {}",
                address::node_address(&self.cluster, id)
            ))
            .await
            .map_err(unreachable)?;
        let subscribe = |subject: String| {
            let client = client.clone();
            async move { client.subscribe(subject).await }
        };
        let frames = subscribe(address::node_subject(&self.cluster, id))
            .await
            .map_err(|error| unreachable(format!("cannot subscribe: {error}")))?;
        let alive = subscribe(address::alive_subject(&self.cluster))
            .await
            .map_err(|error| unreachable(format!("cannot subscribe: {error}")))?;
        // The server knows the subscriptions before the node is used.
        confirm_subscriptions(&client, &system, address::node_subject(&self.cluster, id))
            .await
            .map_err(unreachable)?;
        let (queue, outgoing) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            clock: system.clock(),
            id,
            address: address::node_address(&self.cluster, id),
            alive_subject: address::alive_subject(&self.cluster).into(),
            node_subject: address::node_subject(&self.cluster, id).into(),
            names: Arc::new(Names::new(&self.cluster, client.clone())),
            client: client.clone(),
            members: Arc::new(Members::new(system.clock())),
            counters: Counters {
                slow_consumer: events.slow_consumer.clone(),
                ..Counters::default()
            },
            cluster: self.cluster,
            out: Arc::new(Outbound::new(
                id,
                self.max_frame,
                self.seal,
                self.window,
                queue,
            )),
            config: Config {
                heartbeat_interval: self.heartbeat_interval,
                heartbeat_timeout: self.heartbeat_timeout,
                max_frame: self.max_frame,
                observer: self.observer,
            },
            peers: Mutex::new(HashMap::new()),
            departed: Mutex::default(),
            spawnable: Spawnable::default(),
            tasks: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            system,
        });
        transport::attach(&shared.system, shared.clone())?;
        let started = vec![
            transport::spawn(
                &shared.system,
                tasks::write(client, outgoing, shared.out.clone()),
            ),
            transport::spawn(
                &shared.system,
                tasks::read(shared.clone(), frames, Via::Node),
            ),
            transport::spawn(
                &shared.system,
                tasks::read(shared.clone(), alive, Via::Alive),
            ),
            transport::spawn(&shared.system, tasks::heartbeat(shared.clone())),
            transport::spawn(
                &shared.system,
                tasks::events(Arc::downgrade(&shared), events.receiver),
            ),
        ];
        shared.set_tasks(started);
        if let Some(events) = self.flight_recorder
            && let Err(error) = transport::start_flight_recorder(&shared.system, events)
        {
            tracing::warn!(node = %shared.address, %error, "no flight recorder");
        }
        tracing::info!(node = %shared.address, server = %self.connect.describe(), "node joined through NATS");
        Ok(NatsNode { shared })
    }
}

/// How long the NATS server may take to confirm a new node's
/// subscriptions.
const CONFIRM_LIMIT: Duration = Duration::from_secs(10);

/// Waits until the NATS server has the subscriptions made so far on
/// `client`, by a message to this node itself through the server (on
/// `<node subject>.ready`, inside the cluster's subjects, so the
/// permissions nodes need cover it): the server handles one connection's
/// commands in order, so once the message comes back, every earlier
/// subscription is in place. async-nats' `flush` only writes them out;
/// without this, a call another node made right after `start` returned
/// could reach the server before the subscription it is for, and be lost.
async fn confirm_subscriptions(
    client: &async_nats::Client,
    system: &SystemHandle,
    node_subject: String,
) -> Result<(), String> {
    let probe = format!("{node_subject}.ready");
    let mut confirmed = client
        .subscribe(probe.clone())
        .await
        .map_err(|error| format!("cannot subscribe: {error}"))?;
    client
        .publish(probe, bytes::Bytes::new())
        .await
        .map_err(|error| format!("cannot reach NATS: {error}"))?;
    client
        .flush()
        .await
        .map_err(|error| format!("cannot reach NATS: {error}"))?;
    match system
        .clock()
        .timeout(CONFIRM_LIMIT, confirmed.next())
        .await
    {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the connection to NATS closed while subscribing".to_owned()),
        Err(_elapsed) => Err(format!(
            "the NATS server did not confirm the node's subscriptions within {CONFIRM_LIMIT:?}"
        )),
    }
}
