//! `Context::ask_after`: a request that leaves after a delay, whose answer
//! the caller awaits — in simulation (an entry of the virtual clock) and
//! on the real clock — sent whether or not it is awaited yet, cancelled
//! by dropping it first, on behalf of the method that made it.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actium::prelude::*;

/// Answers with a number, noting when on its system's clock it was asked.
struct Far {
    asked: Arc<Mutex<Vec<Duration>>>,
    start: Instant,
}

impl Far {
    fn new() -> (Self, Arc<Mutex<Vec<Duration>>>) {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let start = SystemHandle::current().clock().now();
        (
            Far {
                asked: asked.clone(),
                start,
            },
            asked,
        )
    }
}

#[actor]
impl Far {
    #[ask]
    fn number(&mut self) -> u32 {
        let at = SystemHandle::current().clock().now() - self.start;
        self.asked.lock().expect("asked").push(at);
        7
    }

    /// Asks `to` back for `answer`.
    #[ask]
    async fn back(&self, to: ActorRef<Near>) -> Result<u32, Error> {
        to.answer().await
    }
}

/// Asks others after a delay.
struct Near;

#[actor]
impl Near {
    /// Asks `far` for its number after `delay`, waiting `idle` before it
    /// awaits the answer.
    #[ask(parallel)]
    async fn ask_far(
        mut this: Reentrant<Self>,
        far: ActorRef<Far>,
        delay: Duration,
        idle: Duration,
    ) -> Result<u32, Error> {
        let answer = this.with_context(|_, ctx| ctx.ask_after(delay, &far, |far| far.number()));
        actium::sleep(idle).await;
        answer.await
    }

    /// Asks `far` after `delay`, but drops the call at once.
    #[tell]
    fn ask_and_drop(&mut self, ctx: &mut Context<Self>, far: ActorRef<Far>, delay: Duration) {
        drop(ctx.ask_after(delay, &far, |far| far.number()));
    }

    /// A plain method: this actor serves nothing else until it returns.
    /// Asks `far` to ask this actor back, after `delay`.
    #[ask]
    async fn round_trip(
        &self,
        ctx: &mut Context<Self>,
        far: ActorRef<Far>,
        delay: Duration,
    ) -> Result<u32, Error> {
        let me = ctx.myself();
        ctx.ask_after(delay, &far, move |far| far.back(me)).await?
    }

    /// As `round_trip`, the call an `async` block that asks only when
    /// first polled.
    #[ask]
    async fn round_trip_boxed(
        &self,
        ctx: &mut Context<Self>,
        far: ActorRef<Far>,
        delay: Duration,
    ) -> Result<u32, Error> {
        let me = ctx.myself();
        let call = move |far: &ActorRef<Far>| {
            let far = far.clone();
            Box::pin(async move { far.back(me).await? })
        };
        ctx.ask_after(delay, &far, call).await
    }

    /// Makes a call whose future panics when first polled, awaited before
    /// it is made.
    #[ask]
    async fn panicking_poll(&self, ctx: &mut Context<Self>, far: ActorRef<Far>) -> u32 {
        let call = ctx.ask_after(Duration::from_millis(5), &far, |_| {
            Box::pin(async {
                if true {
                    panic!("the call's future panicked");
                }
                Ok::<u32, Error>(0)
            })
        });
        call.await.unwrap_or(0)
    }

    #[ask]
    fn answer(&self) -> u32 {
        11
    }

    /// Hands out a call to `far` due after `delay`, to be awaited elsewhere.
    #[ask]
    fn later(
        &self,
        ctx: &mut Context<Self>,
        far: ActorRef<Far>,
        delay: Duration,
    ) -> actium::Delayed<actium::Ask<u32>> {
        ctx.ask_after(delay, &far, |far| far.number())
    }

    /// Makes a call that panics as it is made.
    #[ask]
    async fn panicking_call(&self, ctx: &mut Context<Self>, far: ActorRef<Far>) -> u32 {
        let call = ctx.ask_after(Duration::from_millis(5), &far, |_| -> actium::Ask<u32> {
            panic!("the call panicked")
        });
        call.await.unwrap_or(0)
    }
}

#[test]
fn a_delayed_request_leaves_after_its_delay_and_the_caller_gets_its_answer() {
    support::within(Duration::from_secs(30), || {
        let (answer, asked, took) = actium::launch(Mode::Simulated { seed: 3 }, async {
            let (far, asked) = Far::new();
            let (far, near) = (far.spawn(), Near.spawn());
            let clock = SystemHandle::current().clock();
            let start = clock.now();
            let delay = Duration::from_millis(40);
            let answer = near.ask_far(far, delay, Duration::ZERO).await??;
            let asked = asked.lock().expect("asked").clone();
            Ok::<_, Error>((answer, asked, clock.now() - start))
        })
        .expect("run");
        assert_eq!(answer, 7);
        assert_eq!(asked, [Duration::from_millis(40)]);
        assert_eq!(took, Duration::from_millis(40));
    });
}

#[test]
fn a_delayed_request_is_sent_when_due_even_if_not_awaited_yet() {
    support::within(Duration::from_secs(30), || {
        let (answer, asked) = actium::launch(Mode::Simulated { seed: 4 }, async {
            let (far, asked) = Far::new();
            let (far, near) = (far.spawn(), Near.spawn());
            let delay = Duration::from_millis(10);
            let idle = Duration::from_millis(100);
            let answer = near.ask_far(far, delay, idle).await??;
            let asked = asked.lock().expect("asked").clone();
            Ok::<_, Error>((answer, asked))
        })
        .expect("run");
        assert_eq!(answer, 7);
        assert_eq!(asked, [Duration::from_millis(10)]);
    });
}

#[test]
fn a_delayed_request_dropped_before_its_delay_is_never_sent() {
    support::within(Duration::from_secs(30), || {
        let asked = actium::launch(Mode::Simulated { seed: 5 }, async {
            let (far, asked) = Far::new();
            let (far, near) = (far.spawn(), Near.spawn());
            near.ask_and_drop(far.clone(), Duration::from_millis(10))?;
            actium::sleep(Duration::from_secs(1)).await;
            // Still answering: only the dropped call never came.
            assert_eq!(far.number().await?, 7);
            let asked = asked.lock().expect("asked").len();
            Ok::<_, Error>(asked)
        })
        .expect("run");
        assert_eq!(asked, 1);
    });
}

/// Runs `ask`, a call of a `Near` that involves a `Far`, in a simulation
/// seeded `seed`; checks that the `Near` still answers after it, and
/// returns the call's outcome.
fn in_simulation<T: Send + 'static>(
    seed: u64,
    ask: impl FnOnce(ActorRef<Near>, ActorRef<Far>) -> actium::Ask<T> + Send + 'static,
) -> Result<T, Error> {
    support::within(Duration::from_secs(30), move || {
        actium::launch(Mode::Simulated { seed }, async move {
            let (far, _asked) = Far::new();
            let (far, near) = (far.spawn(), Near.spawn());
            let outcome = ask(near.clone(), far).await;
            assert_eq!(near.answer().await?, 11);
            Ok::<_, Error>(outcome)
        })
        .expect("run")
    })
}

/// The message of the caller's panic `outcome` reports.
fn panic_message<T: std::fmt::Debug>(outcome: Result<T, Error>) -> String {
    match outcome {
        Err(Error::Panicked { message, .. }) => message,
        other => panic!("expected the caller's panic, got {other:?}"),
    }
}

#[test]
fn a_delayed_request_carries_the_chain_of_the_method_that_made_it() {
    let delay = Duration::from_millis(20);
    let outcome = in_simulation(6, move |near, far| near.round_trip(far, delay));
    // `near` waits in a plain method for `far`, which asks `near`: a
    // cycle, found at once rather than at the deadline.
    assert!(
        matches!(outcome, Ok(Err(Error::Deadlock { .. }))),
        "{outcome:?}"
    );
}

#[test]
fn a_delayed_call_s_future_is_first_polled_in_the_caller_s_chain() {
    let delay = Duration::from_millis(20);
    let outcome = in_simulation(8, move |near, far| near.round_trip_boxed(far, delay));
    assert!(
        matches!(outcome, Ok(Err(Error::Deadlock { .. }))),
        "{outcome:?}"
    );
}

#[test]
fn a_panic_in_the_first_poll_of_the_delayed_call_is_the_caller_s_panic() {
    let outcome = in_simulation(9, |near, far| near.panicking_poll(far));
    let message = panic_message(outcome);
    assert!(message.contains("the call's future panicked"), "{message}");
}

#[test]
fn a_panic_in_the_delayed_call_is_the_caller_s_panic() {
    let outcome = in_simulation(7, |near, far| near.panicking_call(far));
    let message = panic_message(outcome);
    assert!(message.contains("the call panicked"), "{message}");
}

#[test]
fn a_delayed_request_leaves_after_its_delay_on_the_real_clock() {
    support::within(Duration::from_secs(30), || {
        let (answer, took) = actium::launch(Mode::Tasks, async {
            let (far, _asked) = Far::new();
            let (far, near) = (far.spawn(), Near.spawn());
            let start = Instant::now();
            let answer = near
                .ask_far(far, Duration::from_millis(20), Duration::ZERO)
                .await??;
            Ok::<_, Error>((answer, start.elapsed()))
        })
        .expect("run");
        assert_eq!(answer, 7);
        assert!(took >= Duration::from_millis(20), "{took:?}");
    });
}

#[test]
fn a_delayed_request_whose_system_ends_first_fails_with_shutting_down() {
    support::within(Duration::from_secs(30), || {
        let system = System::builder().mode(Mode::Tasks).start().expect("start");
        let delayed = system
            .block_on(async {
                let (far, _asked) = Far::new();
                let (far, near) = (far.spawn(), Near.spawn());
                near.later(far, Duration::from_secs(3_600)).await
            })
            .expect("handed out");
        system.shutdown();
        let mut delayed = std::pin::pin!(delayed);
        let waker = std::task::Waker::noop();
        let polled = delayed
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        assert!(
            matches!(polled, std::task::Poll::Ready(Err(Error::ShuttingDown))),
            "{polled:?}"
        );
    });
}
