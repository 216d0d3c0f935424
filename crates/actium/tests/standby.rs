//! Requests a waiting caller runs itself: in tasks mode, a caller on one of
//! the system's workers whose callee stands idle runs the request on its
//! own task instead of waking the callee's (see `docs/ARCHITECTURE.md`,
//! "How an ask flows"). What a method does must not tell the difference:
//! order, async methods, panics and stops behave as when the loop runs
//! them.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use actium::prelude::*;
use support::within;

/// Answers with the Tokio task it runs in.
#[derive(Default)]
struct Where {
    log: HashMap<u64, u64>,
    out_of_order: u64,
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
}

/// Runs `test` as a task on a worker of a tasks-mode system with
/// `workers` workers, as callers in actors are.
fn on_a_worker<F>(workers: usize, test: fn() -> F)
where
    F: std::future::Future<Output = Result<(), Error>> + Send + 'static,
{
    within(Duration::from_secs(60), move || {
        System::builder()
            .mode(Mode::Tasks)
            .workers(workers)
            .launch(async move {
                match tokio::spawn(test()).await {
                    Ok(result) => result,
                    Err(panic) => std::panic::resume_unwind(panic.into_panic()),
                }
            })
            .expect("the test's calls succeed");
    });
}

#[test]
fn a_request_to_an_idle_actor_runs_in_the_callers_task() {
    on_a_worker(1, || async {
        let me = tokio::task::id();
        let actor = Where::default().spawn();
        // The first request starts the actor: its loop runs it.
        let first = actor.task().await?;
        let loop_task = first.expect("in a task");
        assert_ne!(loop_task, me);
        // Now the loop stands idle, and the caller runs the request.
        assert_eq!(actor.task().await?, Some(me));
        for _ in 0..300 {
            let ran_in = actor.task().await?;
            assert!(ran_in == Some(me) || ran_in == Some(loop_task));
        }
        Ok(())
    });
}

#[test]
fn an_async_method_asked_of_an_idle_actor_is_finished_by_its_loop() {
    on_a_worker(1, || async {
        let me = tokio::task::id();
        let actor = Where::default().spawn();
        let loop_task = actor.task().await?.expect("in a task");
        assert_eq!(actor.task().await?, Some(me), "idle: run by the caller");
        assert_eq!(actor.task_later().await?, Some(loop_task));
        assert_eq!(actor.task().await?, Some(me), "idle again");
        Ok(())
    });
}

#[test]
fn each_senders_order_holds_while_callers_run_requests() {
    on_a_worker(2, || async {
        let actor = Where::default().spawn();
        let senders: Vec<_> = (1..=4_u64)
            .map(|sender| {
                let actor = actor.clone();
                tokio::spawn(async move {
                    for seq in 1..=2_000 {
                        actor.record(sender, seq)?;
                        if seq % 3 == 0 {
                            assert_eq!(actor.last(sender).await?, seq);
                        }
                    }
                    Ok::<(), Error>(())
                })
            })
            .collect();
        for sender in senders {
            sender.await.expect("sender")?;
        }
        assert_eq!(actor.out_of_order().await?, 0);
        Ok(())
    });
}

#[test]
fn a_panic_in_a_request_run_by_its_caller_reaches_the_caller_and_the_actor_resumes() {
    on_a_worker(1, || async {
        let me = tokio::task::id();
        let actor = Where::default().spawn();
        actor.task().await?;
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
    });
}

#[test]
fn a_request_run_by_its_caller_can_stop_the_actor() {
    on_a_worker(1, || async {
        let me = tokio::task::id();
        let actor = Where::default().spawn();
        actor.task().await?;
        assert_eq!(actor.task().await?, Some(me));
        actor.quit().await?;
        match actor.task().await {
            Err(Error::ActorStopped { .. }) => Ok(()),
            other => panic!("expected the actor stopped, got {other:?}"),
        }
    });
}

#[test]
fn a_request_run_by_its_caller_past_the_callers_deadline_is_a_timeout() {
    on_a_worker(1, || async {
        let actor = Where::default().spawn();
        actor.task().await?;
        // Idle now: the caller would run `busy` itself, and cannot cut it
        // short, but still gets the timeout it asked for.
        let late = actor.busy(200).timeout(Duration::from_millis(20)).await;
        assert!(matches!(late, Err(Error::Timeout { .. })), "{late:?}");
        // In time, it is the answer, whoever ran it.
        let ran_in = actor.busy(1).timeout(Duration::from_secs(30)).await?;
        assert!(ran_in.is_some());
        Ok(())
    });
}
