//! The runs: the actors they call, the remote side they restart, and the
//! checks they make. The panics run is here with what every run shares;
//! the mixed run, with its clients, faults and report, is in `mixed`.

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::Node;

use crate::probe::{self, Sample};

mod mixed;

pub use mixed::{Faults, mixed};

const COOKIE: &str = "actium-soak";

/// Every call's deadline is its timeout plus this at most: later is a hang.
const MARGIN: Duration = Duration::from_secs(3);

/// What every run calls.
#[derive(Default)]
pub struct Worker {
    total: u64,
}

#[actor(remote)]
impl Worker {
    /// Adds `n`.
    #[tell]
    pub fn add(&mut self, n: u64) {
        self.total += n;
    }

    /// The sum so far.
    #[ask]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Always panics.
    #[ask]
    pub fn boom(&self) -> u64 {
        panic!("boom")
    }

    /// Answers after `millis` milliseconds.
    #[ask]
    pub async fn slow(&self, millis: u64) -> u64 {
        actium::sleep(Duration::from_millis(millis)).await;
        millis
    }
}

/// A second node in this process, with a registered `worker`.
struct Remote {
    system: System,
    node: Node,
}

impl Remote {
    async fn start() -> Result<Self, String> {
        let system = System::builder().start().map_err(text)?;
        let node = Node::builder()
            .system(system.handle())
            .name("far")
            .cookie(COOKIE)
            .start()
            .await
            .map_err(text)?;
        let worker = Worker::default().spawner().system(system.handle()).spawn();
        node.register("worker", &worker).map_err(text)?;
        Ok(Remote { system, node })
    }

    fn url(&self) -> String {
        self.node.url("worker")
    }

    /// Leaves the network and shuts the system down, off the async threads.
    async fn stop(self) -> Result<(), String> {
        actium::blocking(move || {
            self.node.shutdown();
            self.system.shutdown();
        })
        .await
        .map_err(text)
    }
}

fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

async fn local_node() -> Result<Node, String> {
    Node::builder()
        .system(&SystemHandle::current())
        .name("near")
        .cookie(COOKIE)
        .start()
        .await
        .map_err(text)
}

/// `calls` panicking calls to `worker`, each of which must fail with
/// `Panicked`.
async fn panicking(worker: &ActorRef<Worker>, calls: u64) -> Result<(), String> {
    for call in 0..calls {
        match worker.boom().await {
            Err(Error::Panicked { .. }) => {}
            other => return Err(format!("panicking call {call} gave {other:?}")),
        }
    }
    Ok(())
}

/// See the crate's docs: `actium-soak panics`.
pub fn panics(calls: u64) -> Result<String, String> {
    actium::launch(Mode::Tasks, async move {
        let near = local_node().await?;
        let remote = Remote::start().await?;
        let local = Worker::default().spawn();
        let far = near.lookup::<Worker>(&remote.url()).await.map_err(text)?;
        panicking(&local, calls).await?;
        panicking(&far, calls).await?;
        let warm = Sample::take(0.0);
        let panics_before = probe::panics();
        let started = Instant::now();
        panicking(&local, calls).await?;
        panicking(&far, calls).await?;
        let took = started.elapsed();
        // Both still serve: the panics were contained.
        local.add(1).map_err(text)?;
        far.add(1).map_err(text)?;
        let (near_total, far_total) = (local.total().await, far.total().await);
        if !matches!((&near_total, &far_total), (Ok(1), Ok(1))) {
            return Err(format!("after the panics: {near_total:?}, {far_total:?}").into());
        }
        let end = Sample::take(took.as_secs_f64());
        let panicked = probe::panics() - panics_before;
        remote.stop().await?;
        let growth = growth(warm.rss_kib, end.rss_kib);
        let summary = format!(
            "soak panics calls={calls} local_panicked={calls} remote_panicked={calls} \
             panics_seen={panicked} took_s={:.2} rss_warm_kib={} rss_end_kib={} growth={:+.1}% fds={}->{}",
            took.as_secs_f64(),
            warm.rss_kib,
            end.rss_kib,
            growth * 100.0,
            warm.fds,
            end.fds
        );
        if growth > 0.05 {
            return Err(format!("RSS grew by more than 5%: {summary}").into());
        }
        Ok::<String, Failure>(summary)
    })
    .map_err(|Failure(failure)| failure)
}

/// Why a run failed, in words; `launch` needs an error type it can turn
/// an Actium error into.
struct Failure(String);

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure(error.to_string())
    }
}

impl From<String> for Failure {
    fn from(failure: String) -> Self {
        Failure(failure)
    }
}

fn growth(from: u64, to: u64) -> f64 {
    if from == 0 {
        return 0.0;
    }
    (to as f64 - from as f64) / from as f64
}
