//! Configuring and starting a node: [`NodeBuilder`]'s settings, and
//! `start`, which binds the listener and attaches the node to its system.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium_core::transport;
use actium_core::{Error, SystemHandle};
use tokio::net::TcpListener;

use super::shared::{listen_loop, sweep_loop};
use super::{Config, Node, NodeBuilder, NodeShared, lock};
use crate::address::NodeAddress;
use crate::auth::Cookie;
use crate::peer_table::{DialPolicy, PeerTable};

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
    /// [`DEFAULT_HEARTBEAT_INTERVAL`](super::DEFAULT_HEARTBEAT_INTERVAL),
    /// [`DEFAULT_HEARTBEAT_TIMEOUT`](super::DEFAULT_HEARTBEAT_TIMEOUT).
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = interval;
        self.heartbeat_timeout = timeout;
        self
    }

    /// How long connecting to a node may take. Default
    /// [`DEFAULT_CONNECT_TIMEOUT`](super::DEFAULT_CONNECT_TIMEOUT).
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
    /// reconnects. Default
    /// [`DEFAULT_IDLE_TIMEOUT`](super::DEFAULT_IDLE_TIMEOUT) (a minute).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How many nodes this one knows at once (connected, connecting, or
    /// remembered): past it, looking up, spawning on or describing a new
    /// node fails with `Error::NodeDown`, a connection from a new node is
    /// refused, and a reference to a new node decodes but its calls fail
    /// with `Error::NodeDown`. Unused entries make room first. Default
    /// [`DEFAULT_MAX_PEERS`](super::DEFAULT_MAX_PEERS).
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

    /// Keeps the last `events` messages, answers, signals and names of the
    /// node's system in a flight recorder (at most
    /// [`MAX_FLIGHT_EVENTS`](actium_core::observe::MAX_FLIGHT_EVENTS)),
    /// which nodes with the cookie read with [`Node::recent`] and
    /// `actium observe` draws. Off by default: while off it costs nothing;
    /// while on, what recording costs (each message stamped, its
    /// arguments formatted) plus a short lock per event.
    ///
    /// The flight recorder is the system's recorder, and a system keeps
    /// one: if the system already records (an `actium_trace::Recording`),
    /// the node starts without it, with a warning, and answers `Recent`
    /// with [`RecentError::Off`](actium_core::observe::RecentError::Off);
    /// a recording started after the node fails with `AlreadyRecording`.
    pub fn flight_recorder(mut self, events: usize) -> Self {
        self.flight_recorder = Some(events);
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
        let clock = system.clock();
        let epoch = clock.now();
        let shared = Arc::new_cyclic(|me| NodeShared {
            me: me.clone(),
            id: system.node(),
            clock,
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
            epoch,
            listener: Mutex::new(None),
            sweeper: Mutex::new(None),
            traffic: std::sync::Arc::default(),
            closed: AtomicBool::new(false),
            handshaking: AtomicUsize::new(0),
        });
        let accepting = shared.spawn(listen_loop(Arc::downgrade(&shared), listener));
        *lock(&shared.listener) = Some(accepting.clone());
        let sweeping = shared.spawn(sweep_loop(
            Arc::downgrade(&shared),
            shared.peers.sweep_period(),
        ));
        *lock(&shared.sweeper) = Some(sweeping.clone());
        if let Err(error) = transport::attach(&shared.system, shared.clone()) {
            accepting.abort();
            sweeping.abort();
            return Err(error);
        }
        if let Some(events) = self.flight_recorder {
            if let Err(error) = transport::start_flight_recorder(&shared.system, events) {
                tracing::warn!(node = %shared.name, %error, "no flight recorder");
            }
        }
        tracing::info!(node = %shared.name, address = %shared.address_str, "node listening");
        Ok(Node { shared })
    }
}
