//! What a running actor can do to itself: the [`Context`].

use std::sync::Arc;
use std::time::Duration;

use crate::actor::{Actor, ActorRef, AsAnyRef, Cell, Lend, Reentrant, Timer, time};
use crate::base::{ActorId, ExitReason};
use crate::cell::{ErasedCell, Monitor};

/// The running actor's view of itself.
///
/// A method gets it by declaring a parameter `ctx: &mut Context<Self>`
/// (anywhere after `self`); the macro passes it and callers never see it.
pub struct Context<A: Actor> {
    pub(crate) cell: Arc<Cell<A>>,
    // Rarely used, and part of every idle actor's memory: boxed.
    stop: Option<Box<ExitReason>>,
    timers: Vec<crate::host::TaskHandle>,
    lend: Option<Arc<Lend<A>>>,
    /// Made on first use; boxed for the same reason as `stop`.
    rng: Option<Box<fastrand::Rng>>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>) -> Self {
        Context {
            cell,
            stop: None,
            timers: Vec::new(),
            lend: None,
            rng: None,
        }
    }

    /// This actor's random number generator. In a simulation
    /// ([`Mode::Simulated`](crate::Mode::Simulated)) it is seeded from the
    /// simulation's seed, so an algorithm's random choices replay with the
    /// run; otherwise from the operating system's entropy.
    ///
    /// ```
    /// use actium::prelude::*;
    ///
    /// struct Dice;
    ///
    /// #[actor]
    /// impl Dice {
    ///     #[ask]
    ///     fn roll(&self, ctx: &mut Context<Self>) -> u8 {
    ///         ctx.rng().u8(1..=6)
    ///     }
    /// }
    ///
    /// let rolls = |seed| {
    ///     actium::launch(Mode::Simulated { seed }, async {
    ///         let dice = Dice.spawn();
    ///         Ok::<_, actium::Error>((dice.roll().await?, dice.roll().await?))
    ///     })
    /// };
    /// assert_eq!(rolls(7)?, rolls(7)?);
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        self.rng.get_or_insert_with(|| {
            Box::new(match crate::host::Simulation::driving() {
                Some(simulation) => fastrand::Rng::with_seed(simulation.draw()),
                None => fastrand::Rng::new(),
            })
        })
    }

    pub(crate) fn myself_label(&self) -> crate::base::ActorLabel {
        self.cell.core.label
    }

    pub(crate) fn erased_cell(&self) -> Arc<dyn ErasedCell> {
        self.cell.clone()
    }

    /// The actor that spawned and linked this one, if any.
    pub(crate) fn parent(&self) -> Option<ActorId> {
        self.cell.core.parent()
    }

    /// Stops this actor once the current method returns, with `reason`.
    pub(crate) fn stop_with(&mut self, reason: ExitReason) {
        self.stop.get_or_insert_with(|| Box::new(reason));
    }

    /// Where the loop lends this actor's state to its parallel methods.
    pub(crate) fn lend(&mut self) -> Arc<Lend<A>> {
        self.lend
            .get_or_insert_with(|| Arc::new(Lend::new()))
            .clone()
    }

    /// The handle a `parallel` method receives. Called by generated code.
    #[doc(hidden)]
    pub fn reentrant(&mut self) -> Reentrant<A> {
        Reentrant::new(self.lend(), self.cell.clone())
    }

    /// Links this actor with `other` (Erlang's `link/1`): if either exits
    /// abnormally, the other is killed with the same reason — unless it
    /// traps exits, in which case its `#[on_exit]` hook is called instead.
    /// Linking to an actor that has already exited delivers its exit at
    /// once.
    ///
    /// `other` is a reference to an actor of any type: an
    /// [`ActorRef`] (`&peer`) or an [`AnyRef`](crate::AnyRef) (both are [`AsAnyRef`]), as
    /// for [`unlink`](Context::unlink), [`monitor`](Context::monitor) and
    /// [`exit`](Context::exit).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Watcher;
    ///
    /// #[actor]
    /// impl Watcher {
    ///     #[ask]
    ///     fn link_to(&mut self, peer: ActorRef<Peer>, ctx: &mut Context<Self>) {
    ///         ctx.link(&peer);
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let (watcher, peer) = (Watcher.spawn(), Peer.spawn());
    /// watcher.link_to(peer.clone()).await?;
    /// peer.kill(); // an abnormal exit: the linked watcher is killed too
    /// assert_eq!(watcher.stopped().await, ExitReason::Killed);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn link(&self, other: &impl AsAnyRef) {
        self.cell.link(&other.as_any_ref());
    }

    /// Removes the link with `other`, in both directions.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Watcher;
    ///
    /// #[actor]
    /// impl Watcher {
    ///     #[ask]
    ///     fn link_and_unlink(&mut self, peer: ActorRef<Peer>, ctx: &mut Context<Self>) {
    ///         ctx.link(&peer);
    ///         ctx.unlink(&peer);
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let (watcher, peer) = (Watcher.spawn(), Peer.spawn());
    /// watcher.link_and_unlink(peer.clone()).await?;
    /// peer.kill();
    /// peer.stopped().await;
    /// assert!(watcher.is_alive());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn unlink(&self, other: &impl AsAnyRef) {
        self.cell.unlink(&other.as_any_ref());
    }

    /// Watches `other` (Erlang's `monitor/2`): when it exits, for whatever
    /// reason, this actor's `#[on_down]` hook receives one
    /// [`Down`](crate::base::Down). Monitoring an actor that has already exited
    /// delivers its `Down` at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Watcher {
    ///     downs: Vec<ExitReason>,
    /// }
    ///
    /// #[actor]
    /// impl Watcher {
    ///     #[ask]
    ///     fn watch(&mut self, peer: ActorRef<Peer>, ctx: &mut Context<Self>) {
    ///         ctx.monitor(&peer);
    ///     }
    ///
    ///     #[on_down]
    ///     fn down(&mut self, down: Down) {
    ///         self.downs.push(down.reason);
    ///     }
    ///
    ///     #[ask]
    ///     fn downs(&self) -> Vec<ExitReason> {
    ///         self.downs.clone()
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let (watcher, peer) = (Watcher::default().spawn(), Peer.spawn());
    /// watcher.watch(peer.clone()).await?;
    /// peer.stop();
    /// peer.stopped().await;
    /// # while watcher.downs().await?.is_empty() { actium::sleep(std::time::Duration::from_millis(1)).await; }
    /// assert_eq!(watcher.downs().await?, [ExitReason::Stopped]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn monitor(&self, other: &impl AsAnyRef) -> Monitor {
        self.cell.monitor(&other.as_any_ref())
    }

    /// Watches the actor registered as `name` now (Erlang's
    /// `monitor(process, Name)`): as [`monitor`](Context::monitor) on
    /// the actor that holds the name when it is called. The monitor stays
    /// on that actor; to follow whoever holds a name later, look it up
    /// again (or call through a [`Named`](crate::Named)). If no actor
    /// holds the name, the `Down` comes at once with
    /// [`ExitReason::NoProc`](crate::ExitReason::NoProc), as in Erlang; its
    /// `actor` is a stand-in whose type name is `"Unregistered"`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Store;
    /// # #[actor] impl Store { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Watcher {
    ///     downs: Vec<ExitReason>,
    /// }
    ///
    /// #[actor]
    /// impl Watcher {
    ///     #[ask]
    ///     fn watch(&mut self, name: String, ctx: &mut Context<Self>) {
    ///         ctx.monitor_name(&name);
    ///     }
    ///
    ///     #[on_down]
    ///     fn down(&mut self, down: Down) {
    ///         self.downs.push(down.reason);
    ///     }
    ///
    ///     #[ask]
    ///     fn downs(&self) -> Vec<ExitReason> {
    ///         self.downs.clone()
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let watcher = Watcher::default().spawn();
    /// // Nobody holds the name: the Down comes at once, `noproc`.
    /// watcher.watch("store".into()).await?;
    /// # while watcher.downs().await?.is_empty() { actium::sleep(std::time::Duration::from_millis(1)).await; }
    /// assert_eq!(watcher.downs().await?, [ExitReason::NoProc]);
    /// let store = Store.spawn();
    /// actium::register("store", &store)?;
    /// watcher.watch("store".into()).await?;
    /// store.stop();
    /// # while watcher.downs().await?.len() < 2 { actium::sleep(std::time::Duration::from_millis(1)).await; }
    /// assert_eq!(watcher.downs().await?, [ExitReason::NoProc, ExitReason::Stopped]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn monitor_name(&self, name: &str) -> Monitor {
        self.cell.monitor_name(name)
    }

    /// Sends `other` an exit signal with `reason` (Erlang's `exit/2`): if
    /// `other` traps exits its `#[on_exit]` hook (or `Exit` message)
    /// receives it; otherwise an abnormal reason kills it and a normal one
    /// is ignored — unless `other` is this actor, which then exits with
    /// that normal reason at once, as in Erlang (`on_stop` does not run).
    /// [`ExitReason::Killed`] cannot be trapped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Judge;
    ///
    /// #[actor]
    /// impl Judge {
    ///     #[ask]
    ///     fn end(&mut self, peer: ActorRef<Peer>, ctx: &mut Context<Self>) {
    ///         ctx.exit(&peer, ExitReason::Error("done".into()));
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let (judge, peer) = (Judge.spawn(), Peer.spawn());
    /// judge.end(peer.clone()).await?;
    /// assert_eq!(peer.stopped().await, ExitReason::Error("done".into()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn exit(&self, other: &impl AsAnyRef, reason: ExitReason) {
        self.cell.send_exit(&other.as_any_ref(), reason);
    }

    /// Turns exit signals from linked actors into calls of the
    /// `#[on_exit]` hook instead of killing this actor (Erlang's
    /// `process_flag(trap_exit, true)`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// #[derive(Default)]
    /// struct Watcher;
    ///
    /// #[actor]
    /// impl Watcher {
    ///     #[ask]
    ///     fn link_to(&mut self, peer: ActorRef<Peer>, ctx: &mut Context<Self>) {
    ///         ctx.trap_exit(true);
    ///         ctx.link(&peer);
    ///     }
    ///
    ///     #[on_exit]
    ///     fn exited(&mut self, exit: Exit) {
    ///         println!("{} exited: {}", exit.actor, exit.reason);
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let (watcher, peer) = (Watcher.spawn(), Peer.spawn());
    /// watcher.link_to(peer.clone()).await?;
    /// peer.kill();
    /// peer.stopped().await;
    /// assert!(watcher.is_alive()); // the exit became a call of `exited`
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn trap_exit(&self, trap: bool) {
        self.cell.trap_exit(trap);
    }

    /// A reference to this actor, to hand to others or to message itself.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// #[derive(Default)]
    /// struct Echo;
    ///
    /// #[actor]
    /// impl Echo {
    ///     #[ask]
    ///     fn me(&self, ctx: &mut Context<Self>) -> ActorRef<Echo> {
    ///         ctx.myself()
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let echo = Echo.spawn();
    /// assert_eq!(echo.me().await?, echo);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn myself(&self) -> ActorRef<A> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// This actor's id.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// #[derive(Default)]
    /// struct Echo;
    ///
    /// #[actor]
    /// impl Echo {
    ///     #[ask]
    ///     fn my_id(&self, ctx: &mut Context<Self>) -> ActorId {
    ///         ctx.id()
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let echo = Echo.spawn();
    /// assert_eq!(echo.my_id().await?, echo.id());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.core.label.id()
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Normal`]. Queued messages are not handled; their callers
    /// get [`Error::ActorStopped`](crate::base::Error::ActorStopped).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// #[derive(Default)]
    /// struct Job;
    ///
    /// #[actor]
    /// impl Job {
    ///     #[tell]
    ///     fn finish(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.stop();
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let job = Job.spawn();
    /// job.finish()?;
    /// assert_eq!(job.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn stop(&mut self) {
        self.stop_with(ExitReason::Normal);
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Error`] and `message`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// #[derive(Default)]
    /// struct Job;
    ///
    /// #[actor]
    /// impl Job {
    ///     #[tell]
    ///     fn give_up(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.fail("no input");
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let job = Job.spawn();
    /// job.give_up()?;
    /// assert_eq!(job.stopped().await, ExitReason::Error("no input".into()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn fail(&mut self, message: impl Into<String>) {
        self.stop_with(ExitReason::Error(message.into()));
    }

    /// Calls `deliver` with this actor's reference once, after `delay` —
    /// typically to send itself a message: `ctx.later(d, |me| me.tick())`.
    ///
    /// The timer is cancelled when the actor stops, or with
    /// [`Timer::cancel`]. Dropping the returned [`Timer`] does not cancel it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// #[derive(Default)]
    /// struct Alarm {
    ///     rung: bool,
    /// }
    ///
    /// #[actor]
    /// impl Alarm {
    ///     #[tell]
    ///     fn set(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.later(Duration::from_millis(10), |me| me.ring());
    ///     }
    ///
    ///     #[tell]
    ///     fn ring(&mut self) {
    ///         self.rung = true;
    ///     }
    ///
    ///     #[ask]
    ///     fn rung(&self) -> bool {
    ///         self.rung
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let alarm = Alarm::default().spawn();
    /// alarm.set()?;
    /// # while !alarm.rung().await? { actium::sleep(Duration::from_millis(1)).await; }
    /// assert!(alarm.rung().await?);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn later<R>(
        &mut self,
        delay: Duration,
        deliver: impl FnOnce(&ActorRef<A>) -> R + Send + 'static,
    ) -> Timer {
        let me = self.myself();
        let timer = time::later(&self.cell.core.system, delay, move || {
            let _outcome = deliver(&me);
        });
        self.track(&timer);
        timer
    }

    /// Calls `deliver` with this actor's reference every `period`, the first
    /// time one period from now — for periodic protocols such as Chord's
    /// `stabilize`: `ctx.interval(d, |me| me.stabilize())`.
    ///
    /// Ticks that fall behind are delayed, not bunched. The timer is
    /// cancelled when the actor stops, or with [`Timer::cancel`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// #[derive(Default)]
    /// struct Clock {
    ///     ticks: u32,
    /// }
    ///
    /// #[actor]
    /// impl Clock {
    ///     #[tell]
    ///     fn start(&mut self, ctx: &mut Context<Self>) {
    ///         ctx.interval(Duration::from_millis(5), |me| me.tick());
    ///     }
    ///
    ///     #[tell]
    ///     fn tick(&mut self) {
    ///         self.ticks += 1;
    ///     }
    ///
    ///     #[ask]
    ///     fn ticks(&self) -> u32 {
    ///         self.ticks
    ///     }
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let clock = Clock::default().spawn();
    /// clock.start()?;
    /// # while clock.ticks().await? < 3 { actium::sleep(Duration::from_millis(1)).await; }
    /// assert!(clock.ticks().await? >= 3);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn interval<R>(
        &mut self,
        period: Duration,
        mut deliver: impl FnMut(&ActorRef<A>) -> R + Send + 'static,
    ) -> Timer {
        let me = self.myself();
        let timer = time::interval(&self.cell.core.system, period, move || {
            let _outcome = deliver(&me);
        });
        self.track(&timer);
        timer
    }

    fn track(&mut self, timer: &Timer) {
        // Forget timers that already ended so a long-lived actor that sets
        // many one-shot timers does not accumulate handles.
        self.timers.retain(|t| !t.is_finished());
        self.timers.push(timer.task());
    }

    /// Whether a method asked to stop the actor (the loop takes the
    /// reason once it gets there).
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.is_some()
    }

    pub(crate) fn take_stop(&mut self) -> Option<ExitReason> {
        self.stop.take().map(|reason| *reason)
    }

    pub(crate) fn cancel_timers(&mut self) {
        for timer in std::mem::take(&mut self.timers) {
            timer.abort();
        }
    }
}
