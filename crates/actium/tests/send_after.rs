//! `Context::send_after`: a message that arrives after a delay, on the
//! real clock and in simulation (there in the order sent), even if its
//! sender stopped meanwhile.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium::prelude::*;
use support::Event;

/// Sends to another actor after a delay, then may stop.
struct Sender;

#[actor]
impl Sender {
    /// Sends `to` each of `notes` after `delay`, then stops if `stop`.
    #[tell]
    fn send(
        &mut self,
        ctx: &mut Context<Self>,
        to: ActorRef<Receiver>,
        delay: Duration,
        notes: Vec<u32>,
        stop: bool,
    ) {
        for note in notes {
            ctx.send_after(delay, &to, move |to| to.hear(note));
        }
        if stop {
            ctx.stop();
        }
    }
}

/// Notes what it hears, and when on its system's clock.
struct Receiver {
    heard: Arc<Mutex<Vec<(u32, Duration)>>>,
    start: std::time::Instant,
    all: Event,
    expected: usize,
}

#[actor]
impl Receiver {
    #[tell]
    fn hear(&mut self, note: u32) {
        let at = SystemHandle::current().clock().now() - self.start;
        let mut heard = self.heard.lock().expect("heard");
        heard.push((note, at));
        if heard.len() == self.expected {
            self.all.fire();
        }
    }
}

/// Runs one sender that sends `notes` to one receiver after `delay` and
/// stops; returns what the receiver heard, with when.
async fn exchange(delay: Duration, notes: Vec<u32>) -> Result<Vec<(u32, Duration)>, Error> {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let all = Event::new();
    let receiver = Receiver {
        heard: heard.clone(),
        start: SystemHandle::current().clock().now(),
        all: all.clone(),
        expected: notes.len(),
    }
    .spawn();
    let sender = Sender.spawn();
    sender.send(receiver, delay, notes, true)?;
    all.wait().await;
    let heard = heard.lock().expect("heard").clone();
    Ok(heard)
}

#[test]
fn a_delayed_message_arrives_exactly_after_its_delay_in_order_in_simulation() {
    support::within(Duration::from_secs(30), || {
        let heard = actium::launch(Mode::Simulated { seed: 5 }, async {
            exchange(Duration::from_millis(30), vec![1, 2, 3]).await
        })
        .expect("simulated run");
        // The sender stopped at once: its messages in flight still arrive,
        // in the order sent, at 30 ms of virtual time (plus the wake-up's
        // jitter, which delays the receiver's poll, not the delivery).
        let notes: Vec<u32> = heard.iter().map(|(note, _)| *note).collect();
        assert_eq!(notes, [1, 2, 3]);
        for (_, at) in &heard {
            assert!(*at >= Duration::from_millis(30), "arrived early: {at:?}");
            assert!(*at < Duration::from_millis(31), "arrived late: {at:?}");
        }
    });
}

#[test]
fn a_delayed_message_arrives_on_the_real_clock_after_its_sender_stopped() {
    support::within(Duration::from_secs(30), || {
        for mode in [Mode::Tasks, Mode::Threads] {
            let heard = actium::launch(mode, async {
                exchange(Duration::from_millis(5), vec![7, 8]).await
            })
            .expect("real run");
            // Two timers due at one instant: in no set order.
            let mut notes: Vec<u32> = heard.iter().map(|(note, _)| *note).collect();
            notes.sort_unstable();
            assert_eq!(notes, [7, 8], "{mode:?}");
            for (_, at) in &heard {
                assert!(*at >= Duration::from_millis(5), "arrived early: {at:?}");
            }
        }
    });
}

#[test]
fn a_simulation_with_delayed_messages_replays_by_seed() {
    let run = |seed| {
        support::within(Duration::from_secs(30), move || {
            actium::launch(Mode::Simulated { seed }, async {
                exchange(Duration::from_millis(40), (0..20).collect()).await
            })
            .expect("simulated run")
        })
    };
    assert_eq!(run(9), run(9));
}

/// Sends a delayed message whose delivery panics, then answers.
struct Reckless;

#[actor]
impl Reckless {
    #[ask]
    fn fling(&mut self, ctx: &mut Context<Self>, delay: Duration) -> u32 {
        let me = ctx.myself();
        ctx.send_after(delay, &me, |_| -> () { panic!("a delivery that panics") });
        7
    }

    #[ask]
    fn still(&self) -> u32 {
        8
    }
}

#[test]
fn a_delivery_that_panics_harms_neither_its_sender_nor_the_simulation() {
    support::within(Duration::from_secs(30), || {
        let answers = actium::launch(Mode::Simulated { seed: 3 }, async {
            let reckless = Reckless.spawn();
            // A zero delay too is delivered outside the sender's method.
            let now = reckless.fling(Duration::ZERO).await?;
            let later = reckless.fling(Duration::from_millis(5)).await?;
            actium::sleep(Duration::from_millis(10)).await;
            Ok::<_, Error>((now, later, reckless.still().await?))
        })
        .expect("the simulation runs on and the sender answers");
        assert_eq!(answers, (7, 7, 8));
    });
}

/// Holds `probe` in a message it sends itself an hour from now.
struct Holder {
    probe: Arc<()>,
}

#[actor]
impl Holder {
    #[ask]
    fn hold(&mut self, ctx: &mut Context<Self>) {
        let probe = self.probe.clone();
        let me = ctx.myself();
        ctx.send_after(Duration::from_secs(3_600), &me, move |me| {
            drop(probe);
            me.hold()
        });
    }
}

#[test]
fn a_simulated_system_that_ends_drops_its_messages_in_flight() {
    support::within(Duration::from_secs(30), || {
        let probe = Arc::new(());
        let held = probe.clone();
        actium::launch(Mode::Simulated { seed: 2 }, async move {
            let holder = Holder { probe: held }.spawn();
            holder.hold().await
        })
        .expect("the simulation runs");
        // The message never came due: the system's end dropped it, and
        // with it the reference it held.
        assert_eq!(Arc::strong_count(&probe), 1);
    });
}
