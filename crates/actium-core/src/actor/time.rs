//! Timers and sleeping, on the clock of the system they run in (see
//! [`Clock`](crate::Clock)).

use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Actor, ActorRef, Context};
use crate::cell::SystemShared;
use crate::host::{Clock, TaskHandle};

/// Waits for `duration` without blocking the thread, on the clock of the
/// system running this code (the real clock outside any system).
///
/// ```
/// # actium::launch(actium::Mode::Tasks, async {
/// actium::sleep(std::time::Duration::from_millis(1)).await;
/// # Ok::<(), actium::Error>(())
/// # })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Cancel safety
///
/// Dropping the future cancels the wait and nothing else.
pub async fn sleep(duration: Duration) {
    let clock = crate::host::thread_clock();
    clock.sleep(duration).await;
}

/// A running one-shot or repeating timer, from
/// [`Context::later`](crate::actor::Context::later) or
/// [`Context::interval`](crate::actor::Context::interval).
#[derive(Debug, Clone)]
pub struct Timer {
    task: TaskHandle,
}

impl Timer {
    /// Cancels the timer; a delivery already under way still completes.
    pub fn cancel(&self) {
        self.task.abort();
    }

    /// Whether the timer has fired for the last time or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    pub(crate) fn task(&self) -> TaskHandle {
        self.task.clone()
    }
}

impl<A: Actor> Context<A> {
    /// Calls `deliver` with `to` once `delay` has passed on the system's
    /// clock: a message that takes `delay` to arrive, as Erlang's
    /// `erlang:send_after` and Akka's `scheduleOnce` — `ctx.send_after(d,
    /// &peer, |peer| peer.notify(x))`.
    ///
    /// Unlike [`later`](Self::later), it cannot be cancelled and outlives
    /// this actor: a message in flight arrives even if its sender stopped
    /// (but not its system: a system that shuts down, or a simulated node
    /// that crashes, drops its messages in flight). A supervised restart
    /// keeps an actor's reference, so a message sent to an actor that then
    /// restarted reaches its new incarnation, as Akka's `scheduleOnce` to
    /// an `ActorRef` does (Erlang's restarted process has a new pid
    /// instead): an actor that re-arms itself with `send_after` from
    /// `on_start` should use [`later`](Self::later), which a restart
    /// cancels.
    /// It also costs less: on the real clock a task that sleeps, but
    /// without the bookkeeping of a timer; in a simulation
    /// ([`Mode::Simulated`](crate::Mode::Simulated)) a single entry of the
    /// virtual clock, with no task and no sleep, that delivers when virtual
    /// time reaches it — what a simulated network's latency is made of.
    /// In a simulation, messages due at one instant are delivered in the
    /// order they were sent (the seed orders them only through the
    /// latencies a program draws, not through the system's jitter), each
    /// outside its sender even with a zero delay, and a panic in `deliver`
    /// is logged; on the real clock each is a timer of its own, and ties
    /// come in no set order. What `deliver` returns (a send's result) is
    /// dropped; so is the message if the system has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// #[derive(Default)]
    /// struct Echo {
    ///     heard: u32,
    /// }
    ///
    /// #[actor]
    /// impl Echo {
    ///     #[tell]
    ///     fn shout(&mut self, ctx: &mut Context<Self>, to: ActorRef<Echo>) {
    ///         ctx.send_after(Duration::from_millis(10), &to, |to| to.hear());
    ///     }
    ///
    ///     #[tell]
    ///     fn hear(&mut self) {
    ///         self.heard += 1;
    ///     }
    ///
    ///     #[ask]
    ///     fn heard(&self) -> u32 {
    ///         self.heard
    ///     }
    /// }
    /// # actium::launch(Mode::Simulated { seed: 1 }, async {
    /// let (a, b) = (Echo::default().spawn(), Echo::default().spawn());
    /// a.shout(b.clone())?;
    /// actium::sleep(Duration::from_millis(10)).await;
    /// assert_eq!(b.heard().await?, 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn send_after<B: Actor, R>(
        &self,
        delay: Duration,
        to: &ActorRef<B>,
        deliver: impl FnOnce(&ActorRef<B>) -> R + Send + 'static,
    ) {
        let to = to.clone();
        let system = &self.cell.core.system;
        system.executor.call_after(system.clock(), delay, move || {
            let _outcome = deliver(&to);
        });
    }
}

pub(crate) fn later(
    system: &Arc<SystemShared>,
    delay: Duration,
    fire: impl FnOnce() + Send + 'static,
) -> Timer {
    let clock = system.clock().clone();
    // Due from now, though the task may first run later.
    let due = clock.now().checked_add(delay);
    let task = system.spawn_task(async move {
        match due {
            Some(due) => clock.sleep_until(due).await,
            None => std::future::pending().await,
        }
        fire();
    });
    Timer { task }
}

pub(crate) fn interval(
    system: &Arc<SystemShared>,
    period: Duration,
    mut fire: impl FnMut() + Send + 'static,
) -> Timer {
    let mut ticks = Clock::interval(system.clock(), period);
    let task = system.spawn_task(async move {
        loop {
            ticks.tick().await;
            fire();
        }
    });
    Timer { task }
}
