//! Timers: `later` and `interval` deliver messages to the actor and are
//! cancelled when it stops; `sleep` waits without blocking a thread.

mod support;

use std::time::Duration;

use actium::Timer;
use actium::prelude::*;
use support::Event;

/// Fires its event when dropped: proves a timer's task was torn down.
struct DropSignal(Event);

impl Drop for DropSignal {
    fn drop(&mut self) {
        self.0.fire();
    }
}

struct Ticker {
    ticks: u32,
    third_tick: Event,
    pinged: Event,
}

#[actor]
impl Ticker {
    /// Starts a 5 ms interval; its closure owns `dropped`.
    #[ask]
    fn start_interval(&mut self, ctx: &mut Context<Self>, dropped: Event) -> Timer {
        let guard = DropSignal(dropped);
        ctx.interval(Duration::from_millis(5), move |me| {
            let _keep = &guard;
            me.tick()
        })
    }

    /// Starts an interval whose period never ends; its closure owns
    /// `dropped`.
    #[ask]
    fn start_forever(&mut self, ctx: &mut Context<Self>, dropped: Event) -> Timer {
        let guard = DropSignal(dropped);
        ctx.interval(Duration::MAX, move |me| {
            let _keep = &guard;
            me.ping()
        })
    }

    #[ask]
    fn ping_later(&mut self, ctx: &mut Context<Self>, delay: Duration) -> Timer {
        ctx.later(delay, |me| me.ping())
    }

    #[tell]
    fn tick(&mut self) {
        self.ticks += 1;
        if self.ticks == 3 {
            self.third_tick.fire();
        }
    }

    #[tell]
    fn ping(&mut self) {
        self.pinged.fire();
    }
}

fn ticker() -> (Ticker, Event, Event) {
    let (third_tick, pinged) = (Event::new(), Event::new());
    let ticker = Ticker {
        ticks: 0,
        third_tick: third_tick.clone(),
        pinged: pinged.clone(),
    };
    (ticker, third_tick, pinged)
}

#[actium::test]
async fn an_interval_delivers_repeatedly() -> actium::Result<()> {
    let (ticker, third_tick, _) = ticker();
    let ticker = ticker.spawn();
    let timer = ticker.start_interval(Event::new()).await?;
    third_tick.wait().await;
    assert!(!timer.is_finished());
    Ok(())
}

#[actium::test]
async fn later_delivers_after_its_delay_not_before() -> actium::Result<()> {
    let (ticker, _, pinged) = ticker();
    let ticker = ticker.spawn();
    let start = std::time::Instant::now();
    ticker.ping_later(Duration::from_millis(30)).await?;
    pinged.wait().await;
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "delivered after {:?}",
        start.elapsed()
    );
    Ok(())
}

#[actium::test]
async fn an_interval_past_the_end_of_time_never_fires_and_lives_on() -> actium::Result<()> {
    let (ticker, _, pinged) = ticker();
    let ticker = ticker.spawn();
    let dropped = Event::new();
    let never = ticker.start_forever(dropped.clone()).await?;
    // Its task must neither fire nor die (overflowing its first deadline
    // would end it, dropping the closure): give it half a second (a panic's backtrace
    // can take a while to print before the task is dropped).
    let ended = tokio::time::timeout(Duration::from_millis(500), dropped.wait()).await;
    assert!(ended.is_err(), "the timer's task ended");
    assert!(!never.is_finished() && !pinged.has_fired());
    // It is a timer like any other: cancelling it ends its task.
    never.cancel();
    dropped.wait().await;
    Ok(())
}

#[actium::test]
async fn timers_are_cancelled_when_the_actor_stops() -> actium::Result<()> {
    let (ticker, third_tick, _) = ticker();
    let ticker = ticker.spawn();
    let dropped = Event::new();
    let _interval = ticker.start_interval(dropped.clone()).await?;
    let _far_future = ticker.ping_later(Duration::from_secs(3600)).await?;
    third_tick.wait().await;
    ticker.stop();
    ticker.stopped().await;
    // The interval's task, and the closure it owns, are dropped.
    dropped.wait().await;
    Ok(())
}

#[actium::test]
async fn a_timer_can_be_cancelled_by_hand() -> actium::Result<()> {
    let (ticker, _, _) = ticker();
    let ticker = ticker.spawn();
    let dropped = Event::new();
    let interval = ticker.start_interval(dropped.clone()).await?;
    interval.cancel();
    dropped.wait().await;
    assert!(ticker.is_alive());
    Ok(())
}

#[actium::test]
async fn sleep_waits_at_least_its_duration() -> actium::Result<()> {
    let start = std::time::Instant::now();
    actium::sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
    Ok(())
}
