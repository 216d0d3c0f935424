//! `actium nats …`: a cluster of nodes that meet through NATS, seen from
//! outside — its nodes (heard by their heartbeats) and its cluster-wide
//! names (read from the cluster's JetStream bucket). The command joins no
//! cluster; it is a plain NATS client with the credentials given.

use std::path::PathBuf;
use std::time::Duration;

use actium_nats::{ClusterView, Credentials, NatsNode, NatsNodeBuilder};
use clap::{Args, Subcommand};

/// `actium nats …`.
#[derive(Subcommand, Debug)]
pub enum NatsCommand {
    /// The nodes of a cluster, as heard by their heartbeats: one address
    /// per line.
    Nodes(Nodes),
    /// The names registered for the whole cluster (`register_global`):
    /// name, actor and node, one per line.
    Names(Names),
}

/// How to reach the NATS server, and which cluster.
#[derive(Args, Debug)]
pub struct Server {
    #[command(flatten)]
    pub connection: Connection,
    /// The Actium cluster's name.
    #[arg(long)]
    pub cluster: String,
}

/// How to reach the NATS server: its URLs, credentials, TLS, and the
/// cluster's secret (also for `actium top` and `actium observe` given a
/// `nats://` node).
#[derive(Args, Debug)]
pub struct Connection {
    /// A NATS server URL (`nats://` or `tls://`); repeat for the servers
    /// of one NATS cluster.
    #[arg(long = "server", default_value = "nats://127.0.0.1:4222")]
    pub servers: Vec<String>,
    /// User name (with --password).
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Password (with --user).
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// Token.
    #[arg(long, conflicts_with_all = ["user", "creds"])]
    pub token: Option<String>,
    /// A `.creds` file (user JWT and NKey seed).
    #[arg(long, conflicts_with = "user")]
    pub creds: Option<PathBuf>,
    /// A PEM file of certificate authorities for the server's TLS
    /// certificate.
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// A file holding the cluster secret (trailing newline ignored), for
    /// a cluster whose nodes were given one: without it, `nodes` hears no
    /// node of that cluster.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

/// `actium nats nodes`.
#[derive(Args, Debug)]
pub struct Nodes {
    #[command(flatten)]
    pub server: Server,
    /// How long to listen for heartbeats (more than the nodes' heartbeat
    /// interval, 250ms by default).
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub listen: Duration,
}

/// `actium nats names`.
#[derive(Args, Debug)]
pub struct Names {
    #[command(flatten)]
    pub server: Server,
}

/// Runs an `actium nats` command.
pub fn run(command: NatsCommand) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    runtime.block_on(async {
        match command {
            NatsCommand::Nodes(nodes) => {
                let view = connect(nodes.server).await?;
                let nodes = view.nodes(nodes.listen).await.map_err(|e| e.to_string())?;
                for node in nodes {
                    println!("{node}");
                }
            }
            NatsCommand::Names(names) => {
                let view = connect(names.server).await?;
                for name in view.names().await.map_err(|e| e.to_string())? {
                    let node = name.actor.id().node();
                    println!("{}\t{}\t{node}", name.name, name.actor);
                }
            }
        }
        Ok(())
    })
}

async fn connect(server: Server) -> Result<ClusterView, String> {
    builder(&server.connection, &server.cluster)?
        .view()
        .await
        .map_err(|error| error.to_string())
}

/// A node builder for `cluster` with the server, credentials, TLS and
/// secret of `connection`.
pub fn builder(connection: &Connection, cluster: &str) -> Result<NatsNodeBuilder, String> {
    let mut builder = NatsNode::builder()
        .servers(connection.servers.iter().cloned())
        .cluster(cluster);
    let credentials = match (
        &connection.user,
        &connection.password,
        &connection.token,
        &connection.creds,
    ) {
        (Some(user), Some(password), _, _) => Some(Credentials::UserPassword {
            user: user.clone(),
            password: password.clone(),
        }),
        (_, _, Some(token), _) => Some(Credentials::Token(token.clone())),
        (_, _, _, Some(path)) => Some(Credentials::CredsFile(path.clone())),
        _ => None,
    };
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    if let Some(ca) = &connection.tls_ca {
        builder = builder.tls_root_certificate(ca.clone());
    }
    if let Some(path) = &connection.secret_file {
        let mut secret = std::fs::read(path)
            .map_err(|error| format!("cannot read the secret file {}: {error}", path.display()))?;
        while secret
            .last()
            .is_some_and(|byte| matches!(byte, b'\n' | b'\r'))
        {
            secret.pop();
        }
        builder = builder.secret(secret);
    }
    Ok(builder)
}
