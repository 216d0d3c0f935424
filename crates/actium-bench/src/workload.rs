//! The workloads of `shared/BENCH.md`, and how big each run is.

use std::ffi::OsStr;
use std::fmt;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::savina::Savina;

/// One workload of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    Ask,
    Tell,
    PingPong,
    Ring,
    Fanout,
    Spawn,
    Reentrant,
    RemoteAsk,
    RemoteTell,
    /// `remote-ask` between two nodes meeting through a NATS server.
    NatsAsk,
    /// `remote-tell` between two nodes meeting through a NATS server.
    NatsTell,
    /// A program of the Savina suite (`src/savina`).
    Savina(Savina),
}

impl Workload {
    pub const ALL: [Workload; 9] = [
        Workload::Ask,
        Workload::Tell,
        Workload::PingPong,
        Workload::Ring,
        Workload::Fanout,
        Workload::Spawn,
        Workload::Reentrant,
        Workload::RemoteAsk,
        Workload::RemoteTell,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Ask => "ask",
            Workload::Tell => "tell",
            Workload::PingPong => "pingpong",
            Workload::Ring => "ring",
            Workload::Fanout => "fanout",
            Workload::Spawn => "spawn",
            Workload::Reentrant => "reentrant",
            Workload::RemoteAsk => "remote-ask",
            Workload::RemoteTell => "remote-tell",
            Workload::NatsAsk => "nats-ask",
            Workload::NatsTell => "nats-tell",
            Workload::Savina(program) => program.name(),
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL
            .into_iter()
            .chain(Workload::NATS)
            .chain(Workload::savina())
            .find(|w| w.name() == name)
    }

    /// The workloads over NATS (`docs/NATS.md`), which run only when
    /// named: each starts a `nats-server` of its own.
    pub const NATS: [Workload; 2] = [Workload::NatsAsk, Workload::NatsTell];

    /// The Savina programs, which `--workloads savina` selects at once.
    pub fn savina() -> impl Iterator<Item = Workload> {
        Savina::ALL.into_iter().map(Workload::Savina)
    }

    /// Operations per run. `threads` systems get fewer actors where each
    /// actor is an OS thread, and fewer operations where each costs a
    /// thread switch (tens of microseconds), so that the full run stays
    /// within minutes; figures are per operation either way.
    pub fn size(self, quick: bool, threads: bool) -> u64 {
        let (quick_n, full_n) = match self {
            Workload::Savina(program) => return program.size(quick, threads),
            Workload::Ask if threads => (200_000, 200_000),
            Workload::Ask => (200_000, 1_000_000),
            Workload::Tell => (1_000_000, 5_000_000),
            Workload::PingPong if threads => (200_000, 200_000),
            Workload::PingPong => (200_000, 1_000_000),
            Workload::Ring if threads => (500_000, 500_000),
            Workload::Ring => (500_000, 2_000_000),
            Workload::Fanout if threads => (1_000, 2_000),
            Workload::Fanout => (50_000, 200_000),
            Workload::Spawn if threads => (5_000, 10_000),
            // The target is stated at a million idle actors.
            Workload::Spawn => (1_000_000, 1_000_000),
            Workload::Reentrant if threads => (100_000, 100_000),
            Workload::Reentrant => (100_000, 500_000),
            Workload::RemoteAsk => (50_000, 200_000),
            Workload::RemoteTell => (1_000_000, 5_000_000),
            Workload::NatsAsk => (5_000, 20_000),
            Workload::NatsTell => (1_000_000, 1_000_000),
        };
        if quick { quick_n } else { full_n }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one run of one workload on one system measured.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    pub ops: u64,
    pub elapsed: Duration,
    /// For `spawn`: resident memory added per idle actor.
    pub rss_bytes_per_actor: Option<u64>,
}

impl Measurement {
    pub fn timed(ops: u64, elapsed: Duration) -> Self {
        Measurement {
            ops,
            elapsed,
            rss_bytes_per_actor: None,
        }
    }

    pub fn ns_per_op(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.ops as f64
    }
}

/// Awaits every future and collects their outputs in order: the fan-out's
/// gather, the same for every system.
///
/// Outside Tokio's cooperative budget: a plain `join_all` of many Tokio
/// reply futures exhausts the task's budget after 128 of them, and each of
/// the rest then answers `Pending`, wakes itself and is polled again — an
/// order of magnitude more time spent gathering than answering (measured:
/// 11.7 µs per op for `tokio-raw` at n = 50,000 with a plain `join_all`,
/// 2.5 µs inside `unconstrained`). The workload measures actors, not that.
pub async fn gather<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    tokio::task::unconstrained(futures_util::future::join_all(futures)).await
}

/// The resident set size of this process, from `/proc/self/status`.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// RSS added per actor between `before` and now, over `actors`.
pub fn rss_per_actor(before: u64, actors: u64) -> u64 {
    rss_bytes().saturating_sub(before) / actors.max(1)
}

/// The worker threads of every Tokio runtime and Actium system the
/// benchmark starts (`--workers`), or `None` for one per core.
static WORKERS: OnceLock<usize> = OnceLock::new();

/// Sets [`workers`] once, at start-up.
pub fn set_workers(workers: usize) {
    let _ = WORKERS.set(workers.max(1));
}

/// The worker threads set by `--workers`, if any.
pub fn workers() -> Option<usize> {
    WORKERS.get().copied()
}

/// This benchmark binary run again with `args`, as a helper process
/// (a server, `measure`, `scale-one`), given the same `--workers`; an
/// error if the binary cannot be found.
pub fn helper_process<S: AsRef<OsStr>>(args: &[S]) -> std::io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(args);
    if let Some(workers) = workers() {
        command.args(["--workers".to_owned(), workers.to_string()]);
    }
    Ok(command)
}

/// An Actium system in `mode`, with the workers of `--workers`.
pub fn actium_system(mode: actium::Mode) -> actium::SystemBuilder {
    let builder = actium::System::builder().mode(mode);
    match workers() {
        Some(workers) => builder.workers(workers),
        None => builder,
    }
}

/// A multi-threaded Tokio runtime with one worker per core (or those of
/// `--workers`), for peers that run on Tokio.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers() {
        builder.worker_threads(workers);
    }
    match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("cannot start a Tokio runtime: {error}"),
    }
}

/// Fails the benchmark: a fast wrong answer must not win.
#[track_caller]
pub fn check(ok: bool, what: &str) {
    assert!(ok, "benchmark correctness check failed: {what}");
}
