//! `Mode::Simulated`: unchanged actor code runs on one thread with virtual
//! time and a seeded scheduler. Time jumps when nothing can run; the same
//! seed gives the same interleaving; other seeds give others; a program
//! that waits for what cannot happen stalls with a typed error.

#[path = "support/register.rs"]
mod register;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};
use actium::{Exploration, Group, System};
use register::Register;

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Default)]
struct Ticker {
    ticks: u64,
}

#[actor]
impl Ticker {
    #[ask]
    fn start(&mut self, ctx: &mut Context<Self>, period: Duration) {
        ctx.interval(period, |me| me.tick());
    }

    #[tell]
    fn tick(&mut self) {
        self.ticks += 1;
    }

    #[ask]
    fn ticks(&self) -> u64 {
        self.ticks
    }
}

#[test]
fn an_hour_of_timers_passes_in_virtual_time() {
    support::within(Duration::from_secs(30), || {
        actium::launch(Mode::Simulated { seed: 1 }, async {
            let clock = SystemHandle::current().clock();
            let start = clock.now();
            let ticker = Ticker::default().spawn();
            ticker.start(Duration::from_secs(1)).await?;
            actium::sleep(HOUR + Duration::from_millis(500)).await;
            assert_eq!(ticker.ticks().await?, 3600);
            assert_eq!(clock.now() - start, HOUR + Duration::from_millis(500));
            Ok::<(), Error>(())
        })
        .expect("simulated run");
    });
}

struct Client {
    name: u64,
    log: Arc<Mutex<Vec<String>>>,
}

#[actor]
impl Client {
    /// Get, then set one more: the lost-update bug.
    #[ask]
    async fn increment(&self, register: ActorRef<Register>) -> Result<(), Error> {
        let seen = register.get().await?;
        self.log
            .lock()
            .expect("log")
            .push(format!("{} saw {seen}", self.name));
        register.set(seen + 1).await
    }
}

/// The lost-update program: three clients increment `register`'s value
/// once each, at once, noting what they saw in `log`; returns the register.
async fn three_clients(log: Arc<Mutex<Vec<String>>>) -> Result<ActorRef<Register>, Error> {
    let register = Register::default().spawn();
    let calls: Vec<_> = (0..3)
        .map(|name| {
            let client = Client {
                name,
                log: log.clone(),
            };
            client.spawn().increment(register.clone())
        })
        .collect();
    for call in calls {
        call.await??;
    }
    Ok(register)
}

/// Runs three clients incrementing once each, in a simulation with `seed`:
/// the order they saw values in, and the final value.
fn lost_update(seed: u64, exploration: Exploration) -> (Vec<String>, u64) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let system = System::builder()
        .mode(Mode::Simulated { seed })
        .exploration(exploration)
        .start()
        .expect("system");
    let run_log = log.clone();
    let value = system
        .try_block_on(async move { three_clients(run_log).await?.get().await })
        .expect("not stalled")
        .expect("run");
    system.shutdown();
    let log = log.lock().expect("log").clone();
    (log, value)
}

#[test]
fn the_same_seed_interleaves_the_same_way_and_other_seeds_differently() {
    support::within(Duration::from_secs(60), || {
        for seed in 0..20 {
            assert_eq!(
                lost_update(seed, Exploration::Random),
                lost_update(seed, Exploration::Random),
                "seed {seed} replays"
            );
        }
        let runs: std::collections::BTreeSet<_> = (0..20)
            .map(|seed| lost_update(seed, Exploration::Random))
            .collect();
        assert!(runs.len() > 1, "20 seeds, one interleaving: {runs:?}");
        // And the bug is among them: some seed loses an update.
        assert!(runs.iter().any(|(_, value)| *value < 3), "{runs:?}");
    });
}

#[test]
fn pct_exploration_is_reproducible_too() {
    support::within(Duration::from_secs(60), || {
        let pct = Exploration::Pct {
            depth: 2,
            steps: 50,
        };
        for seed in 0..10 {
            assert_eq!(lost_update(seed, pct), lost_update(seed, pct));
        }
        let values: std::collections::BTreeSet<_> =
            (0..30).map(|seed| lost_update(seed, pct).1).collect();
        assert!(values.contains(&1) || values.contains(&2), "{values:?}");
    });
}

struct Fragile;

#[actor]
impl Fragile {
    #[ask]
    fn check(&self, fail: bool) -> u32 {
        assert!(!fail, "asked to fail");
        7
    }
}

#[derive(Default)]
struct Echo;

#[actor]
impl Echo {
    #[ask]
    fn echo(&self, n: u64) -> u64 {
        n
    }

    /// Blocking work and a threads-mode style wait, simulated.
    #[ask]
    fn block(&self, other: ActorRef<Echo>) -> Result<u64, Error> {
        other.echo(41).wait().map(|n| n + 1)
    }
}

#[test]
fn supervisors_processes_groups_and_blocking_run_unchanged() {
    support::within(Duration::from_secs(30), || {
        actium::launch(Mode::Simulated { seed: 3 }, async {
            // A supervisor restarts a panicking child behind its reference.
            let supervisor = Supervisor::builder()
                .child(ChildSpec::new("fragile", || Fragile))
                .spawn();
            let fragile = supervisor.children().await?.get::<Fragile>("fragile")?;
            assert!(matches!(
                fragile.check(true).await,
                Err(Error::Panicked { .. })
            ));
            assert_eq!(fragile.check(false).await?, 7);

            // A mailbox actor with a receive timeout in virtual time.
            let waiter = actium::spawn(|mut inbox: Inbox| async move {
                inbox.recv_timeout(HOUR).await.map(|_| ())
            });
            let reason = waiter.stopped().await;
            assert!(matches!(reason, ExitReason::Error(_)), "{reason:?}");

            // A group, and a threads-mode actor that waits synchronously.
            let group: Group<Echo> = (0..3).map(|_| Echo.spawn()).collect();
            let replies = group.ask_all().echo(5).await;
            assert_eq!(replies.len(), 3);
            let blocker = Echo.spawner().mode(Mode::Threads).spawn();
            assert_eq!(blocker.block(Echo.spawn()).await??, 42);
            assert_eq!(actium::blocking(|| 6 * 7).await?, 42);
            Ok::<(), Error>(())
        })
        .expect("simulated run");
    });
}

#[test]
fn waiting_for_what_cannot_happen_stalls_with_a_typed_error() {
    support::within(Duration::from_secs(30), || {
        let stalled = actium::launch(Mode::Simulated { seed: 9 }, async {
            let (_never_sent, never) = tokio::sync::oneshot::channel::<()>();
            let _idle = Echo.spawn();
            let _ = never.await;
            Ok::<(), Error>(())
        });
        assert!(matches!(stalled, Err(Error::Stalled { .. })), "{stalled:?}");
    });
}

/// Records a run of the lost-update program with `seed`.
#[cfg(feature = "trace")]
fn recorded(seed: u64) -> Vec<actium::trace::Record> {
    use actium::trace::{Memory, Recording};
    let memory = Memory::new();
    let system = System::builder()
        .mode(Mode::Simulated { seed })
        .start()
        .expect("system");
    let recording = Recording::builder()
        .sink(memory.clone())
        .start(system.handle())
        .expect("recording");
    system
        .try_block_on(async {
            let register = three_clients(Arc::default()).await?;
            actium::sleep(Duration::from_secs(1)).await;
            register.get().await
        })
        .expect("not stalled")
        .expect("run");
    recording.finish();
    system.shutdown();
    memory.records()
}

#[cfg(feature = "trace")]
#[test]
fn a_seed_records_the_same_trace_byte_for_byte_with_virtual_times() {
    support::within(Duration::from_secs(60), || {
        let first = recorded(5);
        assert!(first.len() > 10, "{first:?}");
        assert_eq!(first, recorded(5));
        // Virtual time: the run starts at the epoch and lasts a second.
        let last = first.iter().map(|record| record.at_ns).max().unwrap_or(0);
        assert!((1_000_000_000..2_000_000_000).contains(&last), "{last}");
        let others: Vec<_> = (6..12).map(recorded).collect();
        assert!(others.iter().any(|other| *other != first));
    });
}

/// Notes on its system's clock when it is dropped.
struct Noted {
    dropped: Arc<Mutex<Option<Duration>>>,
    start: std::time::Instant,
}

impl Drop for Noted {
    fn drop(&mut self) {
        let at = SystemHandle::current().clock().now() - self.start;
        *self.dropped.lock().expect("dropped") = Some(at);
    }
}

struct Late;

#[actor]
impl Late {
    /// Answers after 100 ms of the system's time.
    #[ask]
    async fn answer(&self, dropped: Arc<Mutex<Option<Duration>>>) -> Noted {
        let start = SystemHandle::current().clock().now();
        actium::sleep(Duration::from_millis(100)).await;
        Noted { dropped, start }
    }
}

#[test]
fn an_answer_nobody_awaits_any_more_is_dropped_when_given_not_at_the_deadline() {
    support::within(Duration::from_secs(30), || {
        actium::launch(Mode::Simulated { seed: 1 }, async {
            let dropped = Arc::new(Mutex::new(None));
            let late = Late.spawn();
            let ask = late
                .answer(dropped.clone())
                .timeout(Duration::from_secs(10));
            // The ask waits (its deadline registered), then is given up.
            let nap = Box::pin(actium::sleep(Duration::from_millis(50)));
            match futures_util::future::select(ask, nap).await {
                futures_util::future::Either::Right(((), ask)) => drop(ask),
                futures_util::future::Either::Left(_) => panic!("answered before it was due"),
            }
            actium::sleep(Duration::from_secs(20)).await;
            // The clock let go of the reply slot with the ask, so the answer
            // went when given, not at the 10 s deadline.
            let at = dropped.lock().expect("dropped").take();
            assert_eq!(at, Some(Duration::from_millis(100)));
            Ok::<(), Error>(())
        })
        .expect("simulated run");
    });
}
