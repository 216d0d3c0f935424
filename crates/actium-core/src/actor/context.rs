//! What a running actor can do to itself: the [`Context`].

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::actor::{Actor, ActorRef, Cell, Lend, Reentrant, Timer, time};
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
    timers: Vec<AbortHandle>,
    lend: Option<Arc<Lend<A>>>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>) -> Self {
        Context {
            cell,
            stop: None,
            timers: Vec::new(),
            lend: None,
        }
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
    pub fn link<B: Actor>(&self, other: &ActorRef<B>) {
        self.cell.link(other);
    }

    /// Removes the link with `other`, in both directions.
    pub fn unlink<B: Actor>(&self, other: &ActorRef<B>) {
        self.cell.unlink(other);
    }

    /// Watches `other` (Erlang's `monitor/2`): when it exits, for whatever
    /// reason, this actor's `#[on_down]` hook receives one
    /// [`Down`](crate::base::Down). Monitoring an actor that has already exited
    /// delivers its `Down` at once.
    pub fn monitor<B: Actor>(&self, other: &ActorRef<B>) -> Monitor {
        self.cell.monitor(other)
    }

    /// Sends `other` an exit signal with `reason` (Erlang's `exit/2`): if
    /// `other` traps exits its `#[on_exit]` hook (or `Exit` message)
    /// receives it; otherwise an abnormal reason kills it and a normal one
    /// is ignored — unless `other` is this actor, which then exits with
    /// that normal reason at once, as in Erlang (`on_stop` does not run).
    /// [`ExitReason::Killed`] cannot be trapped.
    pub fn exit<B: Actor>(&self, other: &ActorRef<B>, reason: ExitReason) {
        self.cell.send_exit(other, reason);
    }

    /// Turns exit signals from linked actors into calls of the
    /// `#[on_exit]` hook instead of killing this actor (Erlang's
    /// `process_flag(trap_exit, true)`).
    pub fn trap_exit(&self, trap: bool) {
        self.cell.trap_exit(trap);
    }

    /// A reference to this actor, to hand to others or to message itself.
    pub fn myself(&self) -> ActorRef<A> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.core.label.id()
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Normal`]. Queued messages are not handled; their callers
    /// get [`Error::ActorStopped`](crate::base::Error::ActorStopped).
    pub fn stop(&mut self) {
        self.stop_with(ExitReason::Normal);
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Error`] and `message`.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.stop_with(ExitReason::Error(message.into()));
    }

    /// Calls `deliver` with this actor's reference once, after `delay` —
    /// typically to send itself a message: `ctx.later(d, |me| me.tick())`.
    ///
    /// The timer is cancelled when the actor stops, or with
    /// [`Timer::cancel`]. Dropping the returned [`Timer`] does not cancel it.
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
        self.timers.push(timer.abort_handle());
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
