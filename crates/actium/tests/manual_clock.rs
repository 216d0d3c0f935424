//! The clock seam: a system started with a `ManualClock` waits on it
//! everywhere it waits — timers, `sleep`, ask deadlines, supervisors'
//! restart windows, selective receive — so nothing is due until the test
//! moves time on, and everything due is, however little real time passed.

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};
use actium::{ManualClock, System};

const HOUR: Duration = Duration::from_secs(3600);

/// Runs `test` in a system on a fresh manual clock, with a real-time limit.
fn on_manual_clock<F, Fut>(test: F)
where
    F: FnOnce(ManualClock) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = actium::Result<()>>,
{
    support::within(Duration::from_secs(60), move || {
        let clock = ManualClock::new();
        let system = System::builder()
            .clock(clock.clone())
            .start()
            .expect("system");
        let outcome = system.block_on(test(clock));
        system.shutdown();
        outcome.expect("test");
    });
}

/// Yields until at least `count` waits are pending on `clock`: what the
/// actors are about to wait for has been registered, so that advancing
/// the clock makes it due.
async fn until_pending(clock: &ManualClock, count: usize) {
    while clock.pending() < count {
        tokio::task::yield_now().await;
    }
}

/// Asks until `check` holds: what a woken task does runs on other
/// threads, shortly after the clock moved.
async fn eventually<F, Fut>(mut check: F) -> actium::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = actium::Result<bool>>,
{
    while !check().await? {
        tokio::task::yield_now().await;
    }
    Ok(())
}

#[derive(Default)]
struct Alarm {
    rang: u32,
}

#[actor]
impl Alarm {
    #[ask]
    fn set(&mut self, ctx: &mut Context<Self>, delay: Duration) {
        ctx.later(delay, |me| me.ring());
    }

    #[ask]
    fn repeat(&mut self, ctx: &mut Context<Self>, period: Duration) {
        ctx.interval(period, |me| me.ring());
    }

    #[tell]
    fn ring(&mut self) {
        self.rang += 1;
    }

    #[ask]
    fn rang(&self) -> u32 {
        self.rang
    }

    /// Sleeps a day, on the system's clock.
    #[ask]
    async fn nap(&self) {
        actium::sleep(24 * HOUR).await;
    }
}

#[test]
fn a_timer_fires_when_the_clock_reaches_it_and_not_before() {
    on_manual_clock(|clock| async move {
        let alarm = Alarm::default().spawn();
        alarm.set(HOUR).await?;
        until_pending(&clock, 1).await;
        clock.advance(HOUR - Duration::from_secs(1));
        // Nothing was due, so nothing was woken: no ring can be on its way.
        assert_eq!(alarm.rang().await?, 0);
        clock.advance(Duration::from_secs(1));
        eventually(|| async { Ok(alarm.rang().await? == 1) }).await?;
        Ok(())
    });
}

#[test]
fn an_interval_ticks_once_per_period_of_the_clock() {
    on_manual_clock(|clock| async move {
        let alarm = Alarm::default().spawn();
        alarm.repeat(Duration::from_secs(10)).await?;
        for ticks in 1..=3 {
            until_pending(&clock, 1).await;
            clock.advance(Duration::from_secs(10));
            eventually(|| async { Ok(alarm.rang().await? == ticks) }).await?;
        }
        // Re-armed for the fourth period, which has not passed.
        until_pending(&clock, 1).await;
        assert_eq!(alarm.rang().await?, 3);
        Ok(())
    });
}

#[test]
fn an_ask_times_out_when_its_deadline_passes_on_the_clock() {
    on_manual_clock(|clock| async move {
        let alarm = Alarm::default().spawn();
        let started = clock.now();
        let nap = tokio::spawn(alarm.nap().timeout(Duration::from_secs(10)));
        // The actor's day-long sleep and the caller's deadline.
        until_pending(&clock, 2).await;
        clock.advance(Duration::from_secs(10));
        let error = nap.await.expect("join").expect_err("times out");
        assert!(
            matches!(error, Error::Timeout { method: "nap", timeout, .. } if timeout == Duration::from_secs(10)),
            "{error:?}"
        );
        assert_eq!(clock.now() - started, Duration::from_secs(10));
        // The nap ends once its day has passed; the actor answers again.
        clock.advance(24 * HOUR);
        assert_eq!(alarm.rang().await?, 0);
        Ok(())
    });
}

#[test]
fn sleep_and_receive_timeouts_read_the_clock() {
    on_manual_clock(|clock| async move {
        let waiter =
            actium::spawn(
                |mut inbox: Inbox| async move { inbox.recv_timeout(HOUR).await.map(|_| ()) },
            );
        let stopped = waiter.stopped();
        until_pending(&clock, 1).await;
        clock.advance(HOUR);
        let reason = stopped.await;
        assert!(
            matches!(&reason, ExitReason::Error(text) if text.contains("within 3600s")),
            "{reason:?}"
        );
        Ok(())
    });
}

struct Fragile;

#[actor]
impl Fragile {
    #[ask]
    fn fail(&self) {
        panic!("asked to fail");
    }

    #[ask]
    fn ping(&self) {}
}

#[test]
fn a_supervisors_restart_window_slides_with_the_clock() {
    on_manual_clock(|clock| async move {
        // At most one restart per minute.
        let supervisor = Supervisor::builder()
            .intensity(1, Duration::from_secs(60))
            .child(ChildSpec::new("fragile", || Fragile))
            .spawn();
        let fragile = supervisor.children().await?.get::<Fragile>("fragile")?;
        let failures_apart = |advance: Duration| {
            let (clock, fragile) = (clock.clone(), fragile.clone());
            async move {
                assert!(fragile.fail().await.is_err());
                fragile.ping().await?; // restarted
                clock.advance(advance);
                Ok::<(), actium::Error>(())
            }
        };
        // Three failures a minute and a second apart: one restart per
        // window each time, so the supervisor keeps going.
        for _ in 0..3 {
            failures_apart(Duration::from_secs(61)).await?;
        }
        assert!(supervisor.is_alive());
        // Two within a minute: more than the intensity allows.
        failures_apart(Duration::from_secs(1)).await?;
        assert!(fragile.fail().await.is_err());
        let reason = supervisor.stopped().await;
        assert!(
            matches!(reason, ExitReason::Shutdown | ExitReason::Error(_)),
            "{reason:?}"
        );
        Ok(())
    });
}
