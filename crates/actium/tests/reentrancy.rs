//! Reentrant (`parallel`) methods: the actor keeps serving while one awaits,
//! callbacks into the same actor (A → B → A) complete, and the state is
//! still touched by one method at a time.

mod support;

use actium::prelude::*;
use futures_util::future::join_all;
use support::{Event, Gate};

#[derive(Default)]
struct Hub {
    n: u64,
}

#[actor]
impl Hub {
    /// Asks `peer` to call back into this actor, then reports what it got.
    #[ask(parallel)]
    async fn ping_back(mut this: Reentrant<Self>, peer: ActorRef<Echo>) -> Result<u64, Error> {
        let me = this.myself();
        let seen = peer.call_back(me).await??;
        this.with(|hub| hub.n += 1);
        Ok(seen)
    }

    /// Awaits the gate without holding the actor.
    #[ask(parallel)]
    async fn wait_gate(mut this: Reentrant<Self>, gate: ActorRef<Gate>) -> Result<u64, Error> {
        let handled = gate.hold().await?;
        this.with(|hub| hub.n += 10);
        Ok(handled)
    }

    /// Increments after an await, in a non-atomic read-modify-write: an
    /// update is lost if two sections ever run at once.
    #[ask(parallel)]
    async fn incr_after_await(mut this: Reentrant<Self>) {
        tokio::task::yield_now().await;
        this.with(|hub| {
            let n = hub.n;
            std::hint::black_box(&hub.n);
            hub.n = n + 1;
        });
    }

    /// Waits for `go` before it touches the state.
    #[tell(parallel)]
    async fn bump_later(mut this: Reentrant<Self>, by: u64, go: Event, done: Event) {
        go.wait().await;
        this.with(|hub| hub.n += by);
        done.fire();
    }

    /// Reaches for the state again inside `with`, through a second handle.
    #[ask(parallel)]
    async fn nest(mut this: Reentrant<Self>) -> u64 {
        this.with_context(|_hub, ctx| ctx.reentrant().with(|hub| hub.n))
    }

    /// A plain method that waits for `peer`, which calls back.
    #[ask]
    async fn plain_ping_back(
        &self,
        ctx: &mut Context<Self>,
        peer: ActorRef<Echo>,
    ) -> Result<u64, Error> {
        peer.call_back_parallel(ctx.myself()).await?
    }

    /// A parallel method that needs no state.
    #[ask(parallel)]
    async fn parallel_get(mut this: Reentrant<Self>) -> u64 {
        this.with(|hub| hub.n)
    }

    #[ask(parallel)]
    async fn explode(_this: Reentrant<Self>) -> u64 {
        tokio::task::yield_now().await;
        panic!("parallel boom")
    }

    /// Hands its `Reentrant` to a task outside the actor: not allowed.
    #[ask(parallel)]
    async fn leak(mut this: Reentrant<Self>) -> String {
        let outside = tokio::spawn(async move { this.with(|hub| hub.n) });
        match outside.await {
            Ok(_) => "the state escaped".to_owned(),
            Err(error) => match error.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_default(),
                Err(_) => "cancelled".to_owned(),
            },
        }
    }

    /// Inside `with`, hands a second handle to a thread it waits for.
    #[ask(parallel)]
    async fn with_on_a_joined_thread(mut this: Reentrant<Self>) -> String {
        this.with_context(|_hub, ctx| {
            let mut other = ctx.reentrant();
            std::thread::scope(
                |scope| match scope.spawn(move || other.with(|hub| hub.n)).join() {
                    Ok(_) => "the state escaped".to_owned(),
                    Err(payload) => payload
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_default(),
                },
            )
        })
    }

    /// A plain method.
    #[ask]
    fn get(&self) -> u64 {
        self.n
    }

    #[tell]
    fn incr(&mut self) {
        self.n += 1;
    }
}

/// Calls back into the hub from inside its own (plain) method.
struct Echo;

#[actor]
impl Echo {
    #[ask]
    async fn call_back(&self, hub: ActorRef<Hub>) -> Result<u64, Error> {
        hub.get().await
    }

    #[ask]
    async fn call_back_parallel(&self, hub: ActorRef<Hub>) -> Result<u64, Error> {
        hub.parallel_get().await
    }
}

#[actium::test]
async fn a_callback_into_a_waiting_parallel_method_completes() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let echo = Echo.spawn();
    hub.incr()?;
    assert_eq!(hub.ping_back(echo).await??, 1);
    assert_eq!(hub.get().await?, 2);
    Ok(())
}

#[actium::test]
async fn the_actor_serves_others_while_a_parallel_method_awaits() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawn();
    let waiting = hub.wait_gate(gate);
    entered.wait().await;
    // `wait_gate` is suspended inside the hub; plain calls still go through.
    hub.incr()?;
    assert_eq!(hub.get().await?, 1);
    open.fire();
    assert_eq!(waiting.await??, 1);
    assert_eq!(hub.get().await?, 11);
    Ok(())
}

#[actium::test]
async fn parallel_sections_and_plain_methods_lose_no_update() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let hub = hub.clone();
            tokio::spawn(async move {
                let results = join_all((0..100).map(|_| hub.incr_after_await())).await;
                for _ in 0..100 {
                    hub.incr()?;
                }
                results.into_iter().collect::<Result<Vec<()>, Error>>()
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller task")?;
    }
    assert_eq!(hub.get().await?, 800);
    Ok(())
}

#[actium::test]
async fn a_parallel_tell_runs_beside_other_messages() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let (go, done) = (Event::new(), Event::new());
    hub.bump_later(5, go.clone(), done.clone())?;
    // The parallel tell waits for `go`; meanwhile plain messages are served
    // (run one after the other, this would wait for ever).
    hub.incr()?;
    assert_eq!(hub.get().await?, 1);
    go.fire();
    done.wait().await;
    assert_eq!(hub.get().await?, 6);
    Ok(())
}

#[actium::test]
async fn a_nested_with_panics_instead_of_deadlocking() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let error = hub.nest().await.expect_err("panics");
    assert!(
        matches!(&error, Error::Panicked { message, .. } if message.contains("inside another `with`")),
        "{error:?}"
    );
    // The state came back whole.
    hub.incr()?;
    assert_eq!(hub.get().await?, 1);
    Ok(())
}

#[actium::test]
async fn a_callback_into_a_plain_method_that_awaits_is_a_deadlock_even_if_parallel()
-> actium::Result<()> {
    // A departure from Orleans, where an [AlwaysInterleave] method would be
    // admitted here: a plain method holds the state across its awaits, so
    // nothing that reaches the state can run until it returns. The cycle is
    // reported at once instead of hanging.
    let hub = Hub::default().spawn();
    let echo = Echo.spawn();
    let error = hub.plain_ping_back(echo).await?.expect_err("deadlock");
    assert!(matches!(error, Error::Deadlock { .. }), "{error:?}");
    Ok(())
}

#[actium::test]
async fn a_panicking_parallel_method_reports_to_its_caller() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let error = hub.explode().await.expect_err("panics");
    assert!(
        matches!(&error, Error::Panicked { method: "explode", message, .. } if message == "parallel boom"),
        "{error:?}"
    );
    assert_eq!(hub.get().await?, 0);
    Ok(())
}

#[actium::test]
async fn the_state_is_not_lent_outside_the_actor() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let message = hub.leak().await?;
    assert!(message.contains("outside Hub#"), "{message}");
    Ok(())
}

#[actium::test]
async fn a_with_on_a_thread_the_method_waits_for_panics_instead_of_deadlocking()
-> actium::Result<()> {
    // The closure holds the slot's lock while it waits for that thread.
    let hub = Hub::default().spawn();
    let message = hub.with_on_a_joined_thread().await?;
    assert!(message.contains("outside Hub#"), "{message}");
    hub.incr()?;
    assert_eq!(hub.get().await?, 1);
    Ok(())
}

#[actium::test]
async fn stopping_drops_parallel_methods_in_flight() -> actium::Result<()> {
    let hub = Hub::default().spawn();
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawn();
    let waiting = hub.wait_gate(gate);
    entered.wait().await;
    hub.stop();
    assert!(matches!(waiting.await, Err(Error::ActorStopped { .. })));
    assert_eq!(hub.stopped().await, ExitReason::Stopped);
    open.fire();
    Ok(())
}

/// A plain method awaiting holds the actor: a tell sent meanwhile runs
/// after it.
struct Strict {
    log: Vec<&'static str>,
}

#[actor]
impl Strict {
    #[ask]
    async fn slow(&mut self, release: Event) {
        self.log.push("slow starts");
        release.wait().await;
        self.log.push("slow ends");
    }

    #[tell]
    fn quick(&mut self) {
        self.log.push("quick");
    }

    #[ask]
    fn log(&self) -> Vec<&'static str> {
        self.log.clone()
    }
}

#[actium::test]
async fn plain_methods_keep_strict_order() -> actium::Result<()> {
    let strict = Strict { log: Vec::new() }.spawn();
    let release = Event::new();
    let slow = strict.slow(release.clone());
    strict.quick()?;
    release.fire();
    slow.await?;
    assert_eq!(strict.log().await?, ["slow starts", "slow ends", "quick"]);
    Ok(())
}
