//! `Ask::wait` inside a task-mode actor, and an ask a `blocking` method
//! waits for by hand (`Handle::block_on`): the deadline of the awaited call
//! fires even when it is the first ask of the process, whose registration
//! the worker thread would otherwise hold back while it sleeps in `wait`
//! or in `block_on`.
//!
//! The miss depended on the process being fresh (the sweeper's first tick),
//! so each case runs many times, each time in a new process: the test
//! re-runs this very binary with one ignored scenario selected.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::Event;

/// How many fresh processes each case runs in. Before the fix most of them
/// missed the deadline.
const RUNS: usize = 12;

/// The deadline of the inner call.
const INNER: Duration = Duration::from_millis(300);

/// Never answers `slow` (until dropped with its system).
struct Silent {
    never: Event,
}

#[actor]
impl Silent {
    #[ask]
    async fn slow(&self) -> u32 {
        self.never.wait().await;
        0
    }
}

/// Calls `Silent::slow` with `.wait()` from inside its own methods.
struct Caller {
    silent: ActorRef<Silent>,
}

#[actor]
impl Caller {
    /// A plain method that blocks on the inner call.
    #[ask(timeout = "30s")]
    fn plain(&self) -> Result<u32, Error> {
        self.silent.slow().timeout(INNER).wait()
    }

    /// A blocking method that does the same.
    #[ask(blocking, timeout = "30s")]
    fn blocking(&self) -> Result<u32, Error> {
        self.silent.slow().timeout(INNER).wait()
    }

    /// A blocking method that waits for the inner call with the runtime's
    /// `block_on`, which knows nothing of Actium's deadlines.
    #[ask(blocking, timeout = "30s")]
    fn by_hand(&self) -> Result<u32, Error> {
        tokio::runtime::Handle::current().block_on(self.silent.slow().timeout(INNER))
    }
}

/// How the caller waits for the inner call.
#[derive(Clone, Copy)]
enum Wait {
    Plain,
    Blocking,
    ByHand,
}

/// The inner call's own deadline must be what ends it: `Timeout` naming
/// `slow` and 300 ms, not the outer call's 30 s deadline.
fn scenario(wait: Wait) {
    System::builder()
        .mode(Mode::Tasks)
        .shutdown_grace(Duration::from_millis(50))
        .launch(async move {
            let silent = Silent {
                never: Event::new(),
            }
            .spawn();
            let caller = Caller { silent }.spawn();
            let inner = match wait {
                Wait::Plain => caller.plain().await?,
                Wait::Blocking => caller.blocking().await?,
                Wait::ByHand => caller.by_hand().await?,
            };
            match inner {
                Err(Error::Timeout {
                    method, timeout, ..
                }) => {
                    assert_eq!(method, "slow");
                    assert_eq!(timeout, INNER);
                }
                other => panic!("expected the inner call to time out, got {other:?}"),
            }
            Ok::<(), Error>(())
        })
        .expect("the outer call is answered");
}

#[test]
#[ignore = "run in fresh processes by the tests below"]
fn scenario_plain() {
    scenario(Wait::Plain);
}

#[test]
#[ignore = "run in fresh processes by the tests below"]
fn scenario_blocking() {
    scenario(Wait::Blocking);
}

#[test]
#[ignore = "run in fresh processes by the tests below"]
fn scenario_by_hand() {
    scenario(Wait::ByHand);
}

/// Runs `name` in `RUNS` fresh processes of this test binary.
fn in_fresh_processes(name: &str) {
    for _ in 0..RUNS {
        support::in_fresh_process(name);
    }
}

#[test]
fn a_wait_in_a_plain_method_times_out_even_first_in_its_process() {
    in_fresh_processes("scenario_plain");
}

#[test]
fn a_wait_in_a_blocking_method_times_out_even_first_in_its_process() {
    in_fresh_processes("scenario_blocking");
}

#[test]
fn an_ask_a_blocking_method_waits_for_by_hand_times_out_even_first_in_its_process() {
    in_fresh_processes("scenario_by_hand");
}

/// Answers `slow` only after a long while, one request at a time.
struct Sluggish;

#[actor]
impl Sluggish {
    #[ask(timeout = "30s")]
    async fn slow(&self) -> u32 {
        actium::sleep(Duration::from_secs(3)).await;
        0
    }
}

/// A `blocking` method long enough for Tokio to move its worker's core to
/// another thread, which leaves the method's thread to the blocking pool.
struct Holder;

#[actor]
impl Holder {
    #[ask(blocking, timeout = "30s")]
    fn hold(&self) -> std::thread::ThreadId {
        std::thread::sleep(Duration::from_millis(300));
        std::thread::current().id()
    }

    /// The same, by user code that calls Tokio's `block_in_place` itself.
    #[ask(timeout = "30s")]
    fn hold_by_hand(&self) -> std::thread::ThreadId {
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(300)));
        std::thread::current().id()
    }
}

/// How the test gives work to the blocking pool.
#[derive(Clone, Copy)]
enum Pool {
    /// `tokio::task::spawn_blocking`, after a `blocking` method.
    Tokio,
    /// `actium::blocking`, after user code's own `block_in_place`.
    Actium,
}

/// Two asks waited for by hand on `former`'s thread, within one sweeper
/// tick, if a closure given to the blocking pool lands there within a few
/// tries; `None` if none did.
async fn two_asks_on(
    pool: Pool,
    former: std::thread::ThreadId,
    sluggish: &ActorRef<Sluggish>,
) -> Option<[Result<u32, Error>; 2]> {
    let handle = tokio::runtime::Handle::current();
    for _ in 0..20 {
        let (sluggish, handle) = (sluggish.clone(), handle.clone());
        let work = move || {
            (std::thread::current().id() == former).then(|| {
                handle.block_on(async {
                    let (first, second) = futures_util::future::join(
                        sluggish.slow().timeout(INNER),
                        sluggish.slow().timeout(INNER),
                    )
                    .await;
                    [first, second]
                })
            })
        };
        let answers = match pool {
            Pool::Tokio => tokio::task::spawn_blocking(work).await.ok(),
            Pool::Actium => actium::blocking(work).await.ok(),
        }
        .expect("the blocking closure");
        if answers.is_some() {
            return answers;
        }
    }
    None
}

/// A worker that ran blocking code (and so parked before, and held
/// deadlines back) goes on as one of the blocking pool's threads once
/// Tokio has moved its core away; two asks waited for there by hand within
/// one sweeper tick must both time out, not the second wait for its answer
/// (before the fix it got `Ok` after the first request's 3 s and its own).
fn former_worker(pool: Pool) {
    support::within(Duration::from_secs(90), move || {
        System::builder()
            .mode(Mode::Tasks)
            .shutdown_grace(Duration::from_millis(50))
            .launch(async move {
                // Let the workers park once, so that they batch.
                actium::sleep(Duration::from_millis(100)).await;
                let (holder, sluggish) = (Holder.spawn(), Sluggish.spawn());
                // On a loaded machine the thread that takes the core over
                // may start late, and the worker keep its core: hold again.
                for _ in 0..5 {
                    let former = match pool {
                        Pool::Tokio => holder.hold().await?,
                        Pool::Actium => holder.hold_by_hand().await?,
                    };
                    if let Some(answers) = two_asks_on(pool, former, &sluggish).await {
                        for answer in answers {
                            assert!(
                                matches!(answer, Err(Error::Timeout { .. })),
                                "expected a timeout, got {answer:?}"
                            );
                        }
                        return Ok::<bool, Error>(true);
                    }
                }
                Ok(false)
            })
            .expect("the system ran")
    })
    .then_some(())
    .expect("no blocking closure ran on a former worker's thread");
}

#[test]
fn a_former_worker_in_the_blocking_pool_holds_no_deadline_back() {
    former_worker(Pool::Tokio);
}

#[test]
fn actium_blocking_work_on_a_former_worker_holds_no_deadline_back() {
    former_worker(Pool::Actium);
}
