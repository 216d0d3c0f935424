//! The command line as typed: clap's view, before any file is read.

use std::path::PathBuf;
use std::time::Duration;

use actium_trace::Format;
use clap::{Args, Parser, Subcommand};

/// Actium's command-line tool.
#[derive(Parser, Debug)]
#[command(name = "actium", version, about = "Tools for Actium programs")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Work with message traces (JSON Lines written by actium-trace).
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Look at a cluster of nodes that meet through NATS: its nodes and
    /// its cluster-wide names.
    #[cfg(feature = "nats")]
    #[command(subcommand)]
    Nats(crate::nats::NatsCommand),
    /// Watch a running node, like htop for actors: its actors by mailbox
    /// depth or message rate, the supervision tree, links, monitors and
    /// names, refreshed every second.
    Top(Top),
    /// Serve a local web page that watches a running node: what `top`
    /// shows, and a live sequence diagram of its last messages (from the
    /// node's flight recorder), refreshed every second.
    Observe(Observe),
}

/// `actium trace …`.
#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Draw traces (several nodes' traces merge into one diagram) as a
    /// sequence diagram.
    Render(Render),
    /// Messages per actor and method, and answer latency percentiles per
    /// method.
    Stats(Stats),
}

/// `actium trace render`.
#[derive(Args, Debug)]
pub struct Render {
    /// Trace files (JSON Lines); several are merged in causal order.
    #[arg(required = true)]
    pub traces: Vec<PathBuf>,
    /// svg, plantuml or mermaid; by default from the output's extension
    /// (.svg, .puml, .mmd), else svg.
    #[arg(long, short)]
    pub format: Option<Format>,
    /// Where to write the diagram; standard output if not given.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// What part of the traces to draw.
#[derive(Args, Debug)]
pub struct FilterArgs {
    /// Only messages to or from this actor: a type (Counter), a label
    /// (Counter#3), a registered name, or main. Repeatable.
    #[arg(long = "actor", value_name = "ACTOR")]
    pub actors: Vec<String>,
    /// Only calls of this method, with their answers. Repeatable.
    #[arg(long = "method", value_name = "METHOD")]
    pub methods: Vec<String>,
    /// Skip what happened before this long after the first event (`150ms`,
    /// `2s`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub since: Option<Duration>,
    /// Skip what happened after this long after the first event.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub until: Option<Duration>,
    /// Draw at most this many messages; a note says how many more there
    /// were.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// `actium trace stats`.
#[derive(Args, Debug)]
pub struct Stats {
    /// Trace files (JSON Lines); several are merged.
    #[arg(required = true)]
    pub traces: Vec<PathBuf>,
}

/// `actium top`.
#[derive(Args, Debug)]
pub struct Top {
    /// The node to watch, as its nodes know it: `tcp://host:port`, or
    /// (built with the `nats` feature) `nats://<cluster>/<node id>` as
    /// `actium nats nodes` lists it, with `--server`.
    pub node: String,
    /// The cluster's cookie, for a `tcp://` node; by default
    /// `ACTIUM_COOKIE`, else `~/.actium.cookie`, as nodes read it.
    #[arg(long)]
    pub cookie: Option<String>,
    /// For a `nats://` node: the NATS server, credentials and secret.
    #[cfg(feature = "nats")]
    #[command(flatten)]
    pub nats: crate::nats::Connection,
    /// How often to ask the node for a snapshot.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// Sort actors by `depth` (mailbox depth) or `rate` (messages a
    /// second); `s` switches while running.
    #[arg(long, default_value = "depth")]
    pub sort: crate::top::SortKey,
    /// Print this many frames as text on standard output and exit, with
    /// no terminal needed (for scripts and tests).
    #[arg(long, value_name = "N")]
    pub frames: Option<usize>,
    /// The width of frames printed with `--frames`.
    #[arg(long, default_value_t = 140)]
    pub width: u16,
    /// The height of frames printed with `--frames`.
    #[arg(long, default_value_t = 40)]
    pub height: u16,
}

/// `actium observe`.
#[derive(Args, Debug)]
pub struct Observe {
    /// The node to watch, as its nodes know it: `tcp://host:port`, or
    /// (built with the `nats` feature) `nats://<cluster>/<node id>` as
    /// `actium nats nodes` lists it, with `--server`.
    pub node: String,
    /// The cluster's cookie, for a `tcp://` node; by default
    /// `ACTIUM_COOKIE`, else `~/.actium.cookie`, as nodes read it.
    #[arg(long)]
    pub cookie: Option<String>,
    /// For a `nats://` node: the NATS server, credentials and secret.
    #[cfg(feature = "nats")]
    #[command(flatten)]
    pub nats: crate::nats::Connection,
    /// Where to serve the page. The page has no password: keep it on the
    /// loopback interface unless every user of the network may watch.
    /// Open it as `localhost` or by IP address: other host names are
    /// refused (a guard against DNS rebinding).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Whose messages the diagram shows: registered names, labels
    /// (`Worker#4`) or types, separated by commas; every actor's if not
    /// given.
    #[arg(long, value_delimiter = ',', value_name = "ACTORS")]
    pub actors: Vec<String>,
    /// How many of the last messages the diagram shows (the node gives at
    /// most its flight recorder's size, and 10,000).
    #[arg(long, default_value_t = 200)]
    pub last: u32,
    /// How often to ask the node, and the page to refresh.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub interval: Duration,
    /// Stop serving after this long (`30s`, `5m`); until interrupted if
    /// not given.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub exit_after: Option<Duration>,
}
