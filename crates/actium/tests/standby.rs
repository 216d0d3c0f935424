//! Requests a waiting caller runs itself: in tasks mode, a caller on one of
//! the system's workers whose callee stands idle runs the request on its
//! own task instead of waking the callee's (see `docs/ARCHITECTURE.md`,
//! "How an ask flows"). What a method does must not tell the difference:
//! order, async methods, panics and stops behave as when the loop runs
//! them.

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use actium::prelude::*;
use support::{Event, within};
use tokio::task::Id as TaskId;

/// Answers with the Tokio task it runs in.
#[derive(Default)]
struct Where {
    log: HashMap<u64, u64>,
    out_of_order: u64,
    blocked_in: Option<TaskId>,
}

#[actor]
impl Where {
    #[ask]
    fn task(&self) -> Option<tokio::task::Id> {
        tokio::task::try_id()
    }

    #[ask]
    async fn task_later(&self) -> Option<tokio::task::Id> {
        tokio::task::yield_now().await;
        tokio::task::try_id()
    }

    /// The `seq`-th message of `sender`, which must follow its `seq - 1`-th.
    #[tell]
    fn record(&mut self, sender: u64, seq: u64) {
        let last = self.log.entry(sender).or_default();
        if seq != *last + 1 {
            self.out_of_order += 1;
        }
        *last = seq;
    }

    #[ask]
    fn last(&self, sender: u64) -> u64 {
        self.log.get(&sender).copied().unwrap_or(0)
    }

    #[ask]
    fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    #[ask]
    fn boom(&self) -> u32 {
        panic!("boom in a request")
    }

    /// Holds its thread for `ms` milliseconds: a method too slow for its
    /// caller's deadline.
    #[ask]
    fn busy(&self, ms: u64) -> Option<tokio::task::Id> {
        std::thread::sleep(Duration::from_millis(ms));
        tokio::task::try_id()
    }

    #[ask]
    fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    /// Fires `nudge`, says it started, then holds its thread until the
    /// test releases it.
    #[ask]
    fn hold(
        &self,
        entered: mpsc::Sender<()>,
        release: mpsc::Receiver<()>,
        nudge: Event,
    ) -> Option<TaskId> {
        nudge.fire();
        entered.send(()).expect("the test waits");
        release.recv().expect("released");
        tokio::task::try_id()
    }

    /// A `blocking` method: it notes the task it ran in.
    #[tell(blocking)]
    fn block(&mut self) {
        self.blocked_in = tokio::task::try_id();
    }

    #[ask]
    fn blocked_in(&self) -> Option<TaskId> {
        self.blocked_in
    }

    /// Takes `lock` for a moment.
    #[ask]
    fn lock(&self, lock: Arc<Mutex<()>>) -> Option<TaskId> {
        drop(lock.lock().expect("lock"));
        tokio::task::try_id()
    }

    #[ask]
    fn link_with(&self, ctx: &mut Context<Self>, peer: ActorRef<Where>) {
        ctx.link(&peer);
    }
}

/// A test body, run by [`on_a_worker`].
type Body = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// The caller of every test: a plain method of an actor, polled by its
/// loop on a worker, the one place where a caller runs an idle callee's
/// request itself (never code outside actors, which may hold a lock while
/// it polls an ask by hand).
struct Caller;

#[actor]
impl Caller {
    #[ask(timeout = "1h")]
    async fn run(&self, test: fn() -> Body) -> Result<(), Error> {
        test().await
    }
}

/// Runs `test` in a method of a [`Caller`] on a tasks-mode system with
/// `workers` workers, as callers in actors are.
fn on_a_worker(workers: usize, test: fn() -> Body) {
    within(Duration::from_secs(60), move || {
        System::builder()
            .mode(Mode::Tasks)
            .workers(workers)
            .launch(async move { Caller.spawn().run(test).await? })
            .expect("the test's calls succeed");
    });
}

/// A new [`Where`] whose loop ran its first request (which starts it) and
/// now stands idle, and the loop's task: the set-up of most tests here.
async fn idle_actor() -> Result<(ActorRef<Where>, TaskId), Error> {
    let actor = Where::default().spawn();
    let loop_task = actor.task().await?.expect("in a task");
    Ok((actor, loop_task))
}

#[test]
fn a_request_to_an_idle_actor_runs_in_the_callers_task() {
    on_a_worker(1, || {
        Box::pin(async {
            let me = tokio::task::id();
            let (actor, loop_task) = idle_actor().await?;
            assert_ne!(loop_task, me, "the first request is the loop's");
            // Now the loop stands idle, and the caller runs the request.
            assert_eq!(actor.task().await?, Some(me));
            for _ in 0..300 {
                let ran_in = actor.task().await?;
                assert!(ran_in == Some(me) || ran_in == Some(loop_task));
            }
            Ok(())
        })
    });
}

#[test]
fn an_async_method_asked_of_an_idle_actor_is_finished_by_its_loop() {
    on_a_worker(1, || {
        Box::pin(async {
            let me = tokio::task::id();
            let (actor, loop_task) = idle_actor().await?;
            assert_eq!(actor.task().await?, Some(me), "idle: run by the caller");
            assert_eq!(actor.task_later().await?, Some(loop_task));
            assert_eq!(actor.task().await?, Some(me), "idle again");
            Ok(())
        })
    });
}

/// Sends a [`Where`] numbered messages, asking now and then.
struct Sender;

#[actor]
impl Sender {
    #[ask(timeout = "1h")]
    async fn send_all(&self, actor: ActorRef<Where>, sender: u64) -> Result<(), Error> {
        for seq in 1..=2_000 {
            actor.record(sender, seq)?;
            if seq % 3 == 0 {
                assert_eq!(actor.last(sender).await?, seq);
            }
        }
        Ok(())
    }
}

#[test]
fn each_senders_order_holds_while_callers_run_requests() {
    on_a_worker(2, || {
        Box::pin(async {
            let actor = Where::default().spawn();
            // Actors, whose asks may run the callee's requests themselves.
            let senders: Vec<_> = (1..=4_u64)
                .map(|sender| {
                    let actor = actor.clone();
                    tokio::spawn(async move { Sender.spawn().send_all(actor, sender).await? })
                })
                .collect();
            for sender in senders {
                sender.await.expect("sender")?;
            }
            assert_eq!(actor.out_of_order().await?, 0);
            Ok(())
        })
    });
}

#[test]
fn a_panic_in_a_request_run_by_its_caller_reaches_the_caller_and_the_actor_resumes() {
    on_a_worker(1, || {
        Box::pin(async {
            let me = tokio::task::id();
            let (actor, _) = idle_actor().await?;
            assert_eq!(actor.task().await?, Some(me));
            match actor.boom().await {
                Err(Error::Panicked {
                    method, message, ..
                }) => {
                    assert_eq!(method, "boom");
                    assert!(message.contains("boom in a request"), "{message}");
                }
                other => panic!("expected the panic, got {other:?}"),
            }
            // Nobody watches it: it resumes, and serves the next request.
            assert!(actor.task().await?.is_some());
            Ok(())
        })
    });
}

#[test]
fn a_request_run_by_its_caller_can_stop_the_actor() {
    on_a_worker(1, || {
        Box::pin(async {
            let me = tokio::task::id();
            let (actor, _) = idle_actor().await?;
            assert_eq!(actor.task().await?, Some(me));
            actor.quit().await?;
            match actor.task().await {
                Err(Error::ActorStopped { .. }) => Ok(()),
                other => panic!("expected the actor stopped, got {other:?}"),
            }
        })
    });
}

#[test]
fn a_request_run_by_its_caller_past_the_callers_deadline_is_a_timeout() {
    on_a_worker(1, || {
        Box::pin(async {
            let (actor, _) = idle_actor().await?;
            // Idle now: the caller would run `busy` itself, and cannot cut it
            // short, but still gets the timeout it asked for.
            let late = actor.busy(200).timeout(Duration::from_millis(20)).await;
            assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
            // So with a long deadline, timed on the coarse clock (see
            // `host/stopwatch.rs`).
            let late = actor.busy(700).timeout(Duration::from_millis(300)).await;
            assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
            // In time, it is the answer, whoever ran it.
            let ran_in = actor.busy(1).timeout(Duration::from_secs(30)).await?;
            assert!(ran_in.is_some());
            Ok(())
        })
    });
}

/// How a test ends an actor while a caller runs one of its requests.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Kill,
    Stop,
    /// A linked peer is killed: the exit signal kills the actor.
    LinkedExit,
}

impl Ending {
    fn apply(self, actor: &ActorRef<Where>, peer: &ActorRef<Where>) {
        match self {
            Ending::Kill => actor.kill(),
            Ending::Stop => actor.stop(),
            Ending::LinkedExit => peer.kill(),
        }
    }

    fn reason(self) -> ExitReason {
        match self {
            Ending::Kill | Ending::LinkedExit => ExitReason::Killed,
            Ending::Stop => ExitReason::Stopped,
        }
    }
}

/// The review's first finding: a kill (or stop, or a linked actor's exit)
/// that came while a caller had the idle actor's state left its loop
/// waiting with no waker, so the actor never stopped. Now, as in Erlang or
/// Orleans, the request in flight completes, then the actor stops; later
/// requests fail with `ActorStopped`.
async fn ended_while_a_caller_runs_its_request(ending: Ending) -> Result<(), Error> {
    let me = tokio::task::id();
    let (actor, peer) = (Where::default().spawn(), Where::default().spawn());
    actor.link_with(peer.clone()).await?;
    // Woken from inside the request: it takes the worker's next-task slot,
    // so the loop (woken by the request's push) moves to the worker's
    // queue and the other worker steals it and polls it while the caller
    // has its state, as a loop polled by a busy system is.
    let nudge = Event::new();
    let nudged = tokio::spawn({
        let nudge = nudge.clone();
        async move { nudge.wait().await }
    });
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    // Ends the actor from a thread of its own, while the caller's worker
    // is held in the request; then lets the loop, woken by the ending,
    // find its state taken before the request is released.
    let ender = {
        let (actor, peer) = (actor.clone(), peer.clone());
        std::thread::spawn(move || {
            entered.recv().expect("the request started");
            std::thread::sleep(Duration::from_millis(50));
            ending.apply(&actor, &peer);
            std::thread::sleep(Duration::from_millis(50));
            release.send(()).expect("the request waits");
        })
    };
    let ran_in = actor.hold(entered_tx, release_rx, nudge).await?;
    ender.join().expect("ender");
    nudged.await.expect("nudged");
    assert_eq!(ran_in, Some(me), "{ending:?}: the caller ran the request");
    let stopped = tokio::time::timeout(Duration::from_secs(20), actor.stopped()).await;
    assert_eq!(
        stopped.ok(),
        Some(ending.reason()),
        "{ending:?}: the actor stops"
    );
    match actor.task().await {
        Err(Error::ActorStopped { .. }) => Ok(()),
        other => panic!("{ending:?}: expected ActorStopped, got {other:?}"),
    }
}

#[test]
fn a_kill_while_a_caller_runs_a_request_stops_the_actor_after_it() {
    on_a_worker(2, || {
        Box::pin(ended_while_a_caller_runs_its_request(Ending::Kill))
    });
}

#[test]
fn a_stop_while_a_caller_runs_a_request_stops_the_actor_after_it() {
    on_a_worker(2, || {
        Box::pin(ended_while_a_caller_runs_its_request(Ending::Stop))
    });
}

#[test]
fn a_linked_exit_while_a_caller_runs_a_request_stops_the_actor_after_it() {
    on_a_worker(2, || {
        Box::pin(ended_while_a_caller_runs_its_request(Ending::LinkedExit))
    });
}

/// The review's second finding: a caller running an idle actor's queued
/// requests ran a `blocking` method another sender queued, on its own
/// worker. It stops there and leaves it, and what follows, to the loop.
#[test]
fn a_caller_leaves_a_queued_blocking_method_to_the_actors_loop() {
    on_a_worker(1, || {
        Box::pin(async {
            let me = tokio::task::id();
            let (actor, loop_task) = idle_actor().await?;
            assert_eq!(actor.task().await?, Some(me), "idle: run by the caller");
            // Queued ahead of the caller's request while the loop stands idle
            // (one worker: the loop cannot run before the caller waits).
            actor.block()?;
            assert_eq!(actor.task().await?, Some(loop_task), "after it: the loop's");
            assert_eq!(actor.blocked_in().await?, Some(loop_task));
            Ok(())
        })
    });
}

/// The review's third finding: a request its caller ran counted against
/// the caller's deadline in real time. It counts on the system's clock: on
/// a manual clock that stands still, a slow request is still in time.
#[test]
fn a_request_run_by_its_caller_is_timed_on_the_systems_clock() {
    within(Duration::from_secs(60), || {
        System::builder()
            .mode(Mode::Tasks)
            .workers(1)
            .clock(actium::ManualClock::new())
            .launch(async {
                Caller
                    .spawn()
                    .run(|| {
                        Box::pin(async {
                            let me = tokio::task::id();
                            let (actor, _) = idle_actor().await?;
                            // Run by the caller; 200 ms of real time, none of the
                            // clock's, against a 20 ms deadline.
                            let ran_in = actor.busy(200).timeout(Duration::from_millis(20)).await?;
                            assert_eq!(ran_in, Some(me));
                            Ok(())
                        })
                    })
                    .await?
            })
            .expect("the test's calls succeed");
    });
}

/// The review's fourth finding: code outside actors may poll an ask by
/// hand while it holds a lock the callee's method takes; had it run the
/// request itself, its thread would wait for itself for ever. Only a plain
/// method of an actor does; here the actor's loop runs the request, waits
/// for the lock, the caller's deadline passes and it lets go of the lock.
#[test]
fn a_caller_outside_actors_holding_a_lock_never_runs_the_request_itself() {
    within(Duration::from_secs(60), || {
        System::builder()
            .mode(Mode::Tasks)
            .workers(2)
            .launch(async {
                let actor = Where::default().spawn();
                actor.task().await?;
                let lock = Arc::new(Mutex::new(()));
                let (held, runtime) = (lock.clone(), tokio::runtime::Handle::current());
                let (asker, callee) = (actor.clone(), actor.clone());
                let late = tokio::task::spawn_blocking(move || {
                    let _guard = held.lock().expect("lock");
                    runtime.block_on(asker.lock(held.clone()).timeout(Duration::from_millis(200)))
                })
                .await
                .expect("the blocking caller");
                assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
                // The lock is free now: the loop's request went on.
                assert!(callee.lock(lock).await?.is_some());
                Ok::<(), Error>(())
            })
            .expect("the test's calls succeed");
    });
}

/// Calls another actor from a synchronous method, waiting by hand.
struct Waiter;

#[actor]
impl Waiter {
    /// Holds `lock` while it waits, by hand, for a request whose method
    /// takes it.
    #[ask]
    fn wait_holding(
        &self,
        callee: ActorRef<Where>,
        lock: Arc<Mutex<()>>,
    ) -> Result<Option<TaskId>, Error> {
        let _guard = lock.lock().expect("lock");
        callee
            .lock(lock.clone())
            .timeout(Duration::from_millis(200))
            .wait()
    }
}

/// The second review's first finding: a synchronous method that holds a
/// `std` lock and waits by hand (`Ask::wait`) for an idle actor whose
/// method takes the same lock ran that method on its own thread, which then
/// waited for itself for ever. `wait` never runs the request itself: the
/// callee's loop runs it, waits for the lock, the caller's deadline passes
/// and it lets go.
#[test]
fn a_synchronous_method_waiting_by_hand_never_runs_the_request_itself() {
    on_a_worker(2, || {
        Box::pin(async {
            let (callee, _) = idle_actor().await?;
            let lock = Arc::new(Mutex::new(()));
            let late = Waiter
                .spawn()
                .wait_holding(callee.clone(), lock.clone())
                .await?;
            assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
            assert!(callee.lock(lock).await?.is_some());
            Ok(())
        })
    });
}

/// Meets another actor's method: each sets its flag and waits for the
/// other's.
#[derive(Default)]
struct Meeter;

#[actor]
impl Meeter {
    /// Sets `mine`, then waits (up to 20 s) for `theirs`: whether it came.
    #[ask]
    fn meet(&self, mine: Arc<AtomicBool>, theirs: Arc<AtomicBool>) -> bool {
        mine.store(true, Ordering::SeqCst);
        for _ in 0..20_000 {
            if theirs.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[ask]
    fn ready(&self) {}
}

/// The second review's second finding: a method that sent asks to several
/// idle actors and awaited them together ran their methods one after
/// another on its own worker, so two methods that must run at once (as two
/// actors' methods may) never met. Only the last ask sent runs its
/// callee's request here; the other callee's loop runs on the other worker.
#[test]
fn asks_awaited_together_run_their_callees_at_once() {
    on_a_worker(2, || {
        Box::pin(async {
            let (left, right) = (Meeter.spawn(), Meeter.spawn());
            left.ready().await?;
            right.ready().await?;
            let (a, b) = (
                Arc::new(AtomicBool::new(false)),
                Arc::new(AtomicBool::new(false)),
            );
            let (met_left, met_right) = tokio::join!(
                left.meet(a.clone(), b.clone())
                    .timeout(Duration::from_secs(60)),
                right.meet(b, a).timeout(Duration::from_secs(60)),
            );
            assert_eq!((met_left?, met_right?), (true, true));
            Ok(())
        })
    });
}
