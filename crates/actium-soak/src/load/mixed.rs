//! The mixed run: clients calling local and remote workers in every way
//! while faults restart the remote side and kill workers; it checks that
//! every call ends in time, and how memory and descriptors grew.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::Node;
use actium::supervisor::{ChildSpec, Strategy, Supervisor};

use super::{Failure, MARGIN, Remote, Worker, growth, local_node, text};
use crate::probe::Sample;

/// How the calls of a mixed run ended, by outcome.
struct Outcomes {
    counts: Mutex<BTreeMap<&'static str, u64>>,
    calls: AtomicU64,
    /// Calls that took longer than their deadline plus [`MARGIN`].
    late: AtomicU64,
    /// Per client: the kind of call it is in (0: none) and since when (ms
    /// into the run), for the watchdog's report of a run that hangs.
    current: Vec<(AtomicU64, AtomicU64)>,
    began: Instant,
}

impl Outcomes {
    fn new(clients: usize) -> Self {
        Outcomes {
            counts: Mutex::default(),
            calls: AtomicU64::new(0),
            late: AtomicU64::new(0),
            current: (0..clients)
                .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
            began: Instant::now(),
        }
    }

    /// Client `client` starts a call of kind `kind` (1..=100; 0: none).
    fn start(&self, client: usize, kind: u64) {
        if let Some((current, since)) = self.current.get(client) {
            let at = u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX);
            since.store(at, Ordering::Relaxed);
            current.store(kind, Ordering::Relaxed);
        }
    }

    /// What each client is doing, for a run that outlived its length.
    fn in_flight(&self) -> String {
        let now = self.began.elapsed().as_millis();
        self.current
            .iter()
            .enumerate()
            .filter(|(_, (kind, _))| kind.load(Ordering::Relaxed) != 0)
            .map(|(client, (kind, since))| {
                let kind = kind.load(Ordering::Relaxed) - 1;
                let took = now.saturating_sub(u128::from(since.load(Ordering::Relaxed)));
                format!("client {client}: call kind {kind} for {took} ms")
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn note<T>(&self, result: &Result<T, Error>, timeout: Duration, took: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if took > timeout + MARGIN {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        let outcome = match result {
            Ok(_) => "ok",
            Err(Error::Panicked { .. }) => "panicked",
            Err(Error::Timeout { .. }) => "timeout",
            Err(Error::ActorStopped { .. }) => "stopped",
            Err(Error::NodeDown { .. }) => "node_down",
            Err(Error::Rejected { .. }) => "rejected",
            Err(_) => "other_error",
        };
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(outcome)
            .or_default() += 1;
    }

    fn summary(&self) -> String {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .iter()
            .map(|(outcome, n)| format!("{outcome}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What the clients call; the fault task swaps members as it kills and
/// restarts them.
struct Targets {
    local: Mutex<Vec<ActorRef<Worker>>>,
    supervised: Vec<ActorRef<Worker>>,
    far: Mutex<ActorRef<Worker>>,
}

impl Targets {
    fn local(&self, pick: usize) -> ActorRef<Worker> {
        let local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        local[pick % local.len()].clone()
    }

    fn far(&self) -> ActorRef<Worker> {
        self.far
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

const ASK: Duration = Duration::from_secs(2);
const SHORT: Duration = Duration::from_millis(5);

/// One client: random calls until `until`.
async fn client(
    targets: Arc<Targets>,
    outcomes: Arc<Outcomes>,
    index: usize,
    seed: u64,
    until: Instant,
) {
    let mut rng = Rng::new(seed);
    while Instant::now() < until {
        let pick = rng.below(1000) as usize;
        let started = Instant::now();
        let kind = rng.below(100);
        outcomes.start(index, kind + 1);
        match kind {
            0..30 => {
                let result = targets.local(pick).add(1);
                outcomes.note(&result, Duration::ZERO, started.elapsed());
            }
            30..50 => {
                let result = targets.local(pick).total().timeout(ASK).await;
                outcomes.note(&result, ASK, started.elapsed());
            }
            50..58 => {
                let result = targets.local(pick).boom().timeout(ASK).await;
                outcomes.note(&result, ASK, started.elapsed());
            }
            58..62 => {
                let result = targets.local(pick).slow(20).timeout(SHORT).await;
                outcomes.note(&result, SHORT, started.elapsed());
            }
            62..70 => {
                let result = targets.far().add(1);
                outcomes.note(&result, Duration::ZERO, started.elapsed());
            }
            70..85 => {
                let result = targets.far().total().timeout(ASK).await;
                outcomes.note(&result, ASK, started.elapsed());
            }
            85..90 => {
                let result = targets.far().boom().timeout(ASK).await;
                outcomes.note(&result, ASK, started.elapsed());
            }
            _ => {
                let child = &targets.supervised[pick % targets.supervised.len()];
                let result = if pick % 4 == 0 {
                    child.boom().timeout(ASK).await
                } else {
                    child.total().timeout(ASK).await
                };
                outcomes.note(&result, ASK, started.elapsed());
            }
        }
        outcomes.start(index, 0);
        // Let others run between calls that completed at once.
        tokio::task::yield_now().await;
    }
}

/// The faults: every half second a local actor is killed and replaced;
/// every fifth second the remote node goes away and a new one comes.
async fn faults(
    targets: Arc<Targets>,
    mut remote: Remote,
    near: Node,
    plan: Faults,
    until: Instant,
) -> Result<(u64, u64), String> {
    let seed = plan.seed;
    let mut rng = Rng::new(seed ^ 0x5eed);
    let (mut kills, mut restarts) = (0, 0);
    let mut next_restart = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        actium::sleep(Duration::from_millis(500)).await;
        let victim = rng.below(1000) as usize;
        if plan.kills {
            let mut local = targets.local.lock().unwrap_or_else(PoisonError::into_inner);
            let at = victim % local.len();
            local[at].kill();
            local[at] = Worker::default().spawn();
            kills += 1;
        }
        if plan.restarts && Instant::now() >= next_restart {
            next_restart += Duration::from_secs(5);
            remote.stop().await?;
            remote = Remote::start().await?;
            let far = near.lookup::<Worker>(&remote.url()).await.map_err(text)?;
            *targets.far.lock().unwrap_or_else(PoisonError::into_inner) = far;
            restarts += 1;
        }
    }
    remote.stop().await?;
    Ok((kills, restarts))
}

/// Which faults a mixed run injects, and the seed of its choices.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Seeds the choices of calls and faults.
    pub seed: u64,
    /// Kill (and replace) a local actor every half second.
    pub kills: bool,
    /// Replace the remote node every five seconds.
    pub restarts: bool,
}

/// See the crate's docs: `actium-soak mixed`.
pub fn mixed(length: Duration, plan: Faults, clients: usize) -> Result<String, String> {
    let seed = plan.seed;
    actium::launch(Mode::Tasks, async move {
        let started = Instant::now();
        let until = started + length;
        let near = local_node().await?;
        let remote = Remote::start().await?;
        let far = near.lookup::<Worker>(&remote.url()).await.map_err(text)?;
        let supervisor = Supervisor::builder()
            .strategy(Strategy::OneForOne)
            .intensity(1_000_000, Duration::from_secs(1))
            .child(ChildSpec::new("a", Worker::default))
            .child(ChildSpec::new("b", Worker::default))
            .spawn();
        let children = supervisor.children().await.map_err(text)?;
        let supervised = vec![
            children.get::<Worker>("a").map_err(text)?,
            children.get::<Worker>("b").map_err(text)?,
        ];
        let targets = Arc::new(Targets {
            local: Mutex::new((0..8).map(|_| Worker::default().spawn()).collect()),
            supervised,
            far: Mutex::new(far),
        });
        let outcomes = Arc::new(Outcomes::new(clients));
        watchdog(outcomes.clone(), length + MARGIN * 10);
        let load: Vec<_> = (0..clients)
            .map(|index| {
                let seed = seed * 1000 + index as u64;
                let work = client(targets.clone(), outcomes.clone(), index, seed, until);
                // Sent now (an ask leaves when called); awaited below.
                Driver::new(work).spawn().finished()
            })
            .collect();
        let samples = sample_until(started, until);
        let fault = faults(targets.clone(), remote, near.clone(), plan, until);
        let (faults, samples) = tokio::join!(fault, samples);
        let (kills, restarts) = faults?;
        for driver in load {
            driver.await.map_err(text)?;
        }
        let end = Sample::take(started.elapsed().as_secs_f64());
        let known_nodes = near.known_nodes().len();
        let summary = report(
            &outcomes,
            &samples,
            end,
            kills,
            restarts,
            supervisor.is_alive(),
        );
        summary
            .map(|summary| format!("{summary} known_nodes={known_nodes}"))
            .map_err(Failure)
    })
    .map_err(|Failure(failure)| failure)
}

/// Ends the process with a report of the calls in flight if the run is
/// still going after `limit`: a hang must fail the run, not stall it.
fn watchdog(outcomes: Arc<Outcomes>, limit: Duration) {
    let spawned = std::thread::Builder::new()
        .name("soak-watchdog".into())
        .spawn(move || {
            std::thread::sleep(limit);
            eprintln!(
                "soak failed: the run outlived its length by {:?}; in flight: {}",
                MARGIN * 10,
                outcomes.in_flight()
            );
            std::process::exit(2);
        });
    if let Err(error) = spawned {
        eprintln!("no watchdog ({error}): a hang would stall the run");
    }
}

/// Samples the process every second (every ten in runs over a minute)
/// until `until`.
async fn sample_until(started: Instant, until: Instant) -> Vec<Sample> {
    let every = if until - started > Duration::from_secs(60) {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(1)
    };
    let mut samples = Vec::new();
    while Instant::now() < until {
        actium::sleep(every).await;
        samples.push(Sample::take(started.elapsed().as_secs_f64()));
    }
    samples
}

/// Checks a mixed run's figures and writes its summary line.
fn report(
    outcomes: &Outcomes,
    samples: &[Sample],
    end: Sample,
    kills: u64,
    restarts: u64,
    supervisor_alive: bool,
) -> Result<String, String> {
    // The first fifth of the run warms caches, pools and allocator arenas.
    let warm = samples.get(samples.len() / 5).copied().unwrap_or(end);
    let peak = samples
        .iter()
        .map(|s| s.rss_kib)
        .max()
        .unwrap_or(end.rss_kib);
    let late = outcomes.late.load(Ordering::Relaxed);
    let growth = growth(warm.rss_kib, end.rss_kib);
    // The resident set at each tenth of the run: flat, or still climbing?
    let by_tenth: Vec<String> = (1..=10)
        .filter_map(|tenth| samples.get((samples.len() * tenth / 10).saturating_sub(1)))
        .map(|sample| sample.rss_kib.to_string())
        .collect();
    let summary = format!(
        "soak mixed seconds={:.0} calls={} {} late={late} kills={kills} node_restarts={restarts} \
         rss_warm_kib={} rss_peak_kib={peak} rss_end_kib={} growth={:+.1}% fds_warm={} fds_end={} \
         rss_kib_by_tenth={}",
        end.at,
        outcomes.calls.load(Ordering::Relaxed),
        outcomes.summary(),
        warm.rss_kib,
        end.rss_kib,
        growth * 100.0,
        warm.fds,
        end.fds,
        by_tenth.join(","),
    );
    if late > 0 {
        return Err(format!("{late} calls outlived their deadline: {summary}"));
    }
    if !supervisor_alive {
        return Err(format!("the supervisor gave up: {summary}"));
    }
    if end.fds > warm.fds + 16 {
        return Err(format!("open file descriptors grew: {summary}"));
    }
    if growth > 0.10 {
        return Err(format!("RSS grew by more than 10%: {summary}"));
    }
    Ok(summary)
}

/// Drives a client's loop as an actor-less task: spawned as an actor whose
/// one method runs it, so the run needs nothing beyond Actium.
struct Driver {
    work: Mutex<Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>>,
}

impl Driver {
    fn new(work: impl Future<Output = ()> + Send + 'static) -> Self {
        Driver {
            work: Mutex::new(Some(Box::pin(work))),
        }
    }
}

#[actor]
impl Driver {
    /// Runs the work (once) and answers when it is done.
    #[ask(timeout = "1h")]
    async fn finished(&self) {
        let work = self
            .work
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(work) = work {
            work.await;
        }
    }
}

/// A small seeded generator (xorshift64*): the runs' choices repeat for a
/// seed, with no dependency for it.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}
