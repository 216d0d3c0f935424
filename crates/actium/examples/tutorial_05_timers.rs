//! Tutorial chapter 5: timers — `ctx.interval` for periodic work,
//! `ctx.later` for once, and cancelling a timer.
//! See `docs/tutorial/05_timers.md`.
//!
//! ```text
//! cargo run --example tutorial_05_timers
//! ```

use std::time::Duration;

use actium::Timer;
use actium::prelude::*;
use tokio::sync::oneshot;

// ANCHOR: actor
/// Ticks every 20 ms until it has ticked `limit` times, then rings once
/// 50 ms later.
struct Clock {
    ticks: u32,
    limit: u32,
    timer: Option<Timer>,
    done: Option<oneshot::Sender<u32>>,
}

#[actor]
impl Clock {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        // `me` is this actor's own reference: the timer sends it a message.
        let timer = ctx.interval(Duration::from_millis(20), |me| me.tick());
        self.timer = Some(timer);
    }

    #[tell]
    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.ticks += 1;
        println!("tick {}", self.ticks);
        if self.ticks == self.limit {
            if let Some(timer) = self.timer.take() {
                timer.cancel(); // no more ticks
            }
            ctx.later(Duration::from_millis(50), |me| me.ring());
        }
    }

    #[tell]
    fn ring(&mut self) {
        println!("ring after {} ticks", self.ticks);
        if let Some(done) = self.done.take() {
            let _ = done.send(self.ticks);
        }
    }
}
// ANCHOR_END: actor

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let (done, rang) = oneshot::channel();
        let _clock = Clock {
            ticks: 0,
            limit: 3,
            timer: None,
            done: Some(done),
        }
        .spawn();
        // Wait for the event itself, not for a guessed amount of time.
        let ticks = rang.await.expect("the clock rings once");
        assert_eq!(ticks, 3);
        Ok(())
    })
}
// ANCHOR_END: main
