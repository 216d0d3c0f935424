//! How a node (or a tool) reaches NATS: the servers, the credentials, TLS
//! and the client's limits, turned into async-nats' connect options.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_nats::{ConnectOptions, Event, ServerAddr};
use tokio::sync::mpsc;

/// How a node proves who it is to the NATS server.
///
/// The server decides what each identity may publish and subscribe to;
/// `docs/NATS.md` ("Security model") gives a configuration for Actium's
/// subjects.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password (`authorization { users = [...] }`).
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// A token (`authorization { token: ... }`).
    Token(String),
    /// An NKey seed (`SU...`): the server knows the public key.
    NKey(String),
    /// A `.creds` file (a user JWT and its NKey seed), for servers run in
    /// operator mode.
    CredsFile(PathBuf),
}

impl std::fmt::Debug for Credentials {
    // Secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .finish_non_exhaustive(),
            Credentials::Token(_) => f.write_str("Token(..)"),
            Credentials::NKey(_) => f.write_str("NKey(..)"),
            Credentials::CredsFile(path) => f.debug_tuple("CredsFile").field(path).finish(),
        }
    }
}

/// TLS to the NATS server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tls {
    /// Refuse a server that does not speak TLS.
    pub(crate) required: bool,
    /// PEM certificates of the authorities that sign the server's.
    pub(crate) roots: Vec<PathBuf>,
    /// A PEM certificate and key proving this client (mutual TLS).
    pub(crate) client: Option<(PathBuf, PathBuf)>,
}

/// Everything needed to connect.
#[derive(Debug, Clone)]
pub(crate) struct Connect {
    pub(crate) servers: Vec<String>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) tls: Tls,
    /// How many messages may wait in one subscription before the client
    /// drops them (a slow consumer); `None`: async-nats' default.
    pub(crate) subscription_capacity: Option<usize>,
}

/// What the connection tells the node, besides messages.
pub(crate) struct Events {
    pub(crate) receiver: mpsc::Receiver<Event>,
    /// Slow-consumer reports, counted as they happen (the channel may be
    /// full while they flood).
    pub(crate) slow_consumer: Arc<AtomicU64>,
}

impl Connect {
    pub(crate) fn new(server: &str) -> Self {
        Connect {
            servers: vec![server.to_owned()],
            credentials: None,
            tls: Tls::default(),
            subscription_capacity: None,
        }
    }

    /// The servers, as given, for messages.
    pub(crate) fn describe(&self) -> String {
        self.servers.join(",")
    }

    /// Connects, with `name` as the client's name on the server.
    ///
    /// # Errors
    ///
    /// Why not, as text: a bad URL, an unreadable credentials file, a
    /// server that cannot be reached or refuses the credentials.
    pub(crate) async fn connect(
        &self,
        name: String,
    ) -> Result<(async_nats::Client, Events), String> {
        let servers = self
            .servers
            .iter()
            .map(|url| {
                url.parse::<ServerAddr>()
                    .map_err(|error| format!("`{url}` is not a NATS server URL: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (sender, receiver) = mpsc::channel(64);
        let slow_consumer = Arc::new(AtomicU64::new(0));
        let counted = slow_consumer.clone();
        let mut options = ConnectOptions::new()
            .name(name)
            .event_callback(move |event| {
                if matches!(event, Event::SlowConsumer(_)) {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                // Full: the node is behind on events already; the counter
                // above keeps the slow consumers' count right.
                let _ = sender.try_send(event);
                std::future::ready(())
            });
        options = match self.credentials.clone() {
            None => options,
            Some(Credentials::UserPassword { user, password }) => {
                options.user_and_password(user, password)
            }
            Some(Credentials::Token(token)) => options.token(token),
            Some(Credentials::NKey(seed)) => options.nkey(seed),
            Some(Credentials::CredsFile(path)) => {
                options.credentials_file(&path).await.map_err(|error| {
                    format!(
                        "cannot read the credentials file {}: {error}",
                        path.display()
                    )
                })?
            }
        };
        if self.tls.required {
            options = options.require_tls(true);
        }
        for root in &self.tls.roots {
            options = options.add_root_certificates(root.clone());
        }
        if let Some((cert, key)) = &self.tls.client {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        if let Some(capacity) = self.subscription_capacity {
            options = options.subscription_capacity(capacity);
        }
        let client = options
            .connect(servers.as_slice())
            .await
            .map_err(|error| format!("cannot connect to NATS: {error}"))?;
        Ok((
            client,
            Events {
                receiver,
                slow_consumer,
            },
        ))
    }
}
