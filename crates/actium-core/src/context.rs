//! What a running actor can do to itself: the [`Context`].

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;

use crate::actor::Actor;
use crate::cell::Cell;
use crate::exit::ExitReason;
use crate::id::ActorId;
use crate::reference::ActorRef;
use crate::system::SystemHandle;
use crate::time::{self, Timer};

/// The running actor's view of itself.
///
/// A method gets it by declaring a parameter `ctx: &mut Context<Self>`
/// (anywhere after `self`); the macro passes it and callers never see it.
pub struct Context<A: Actor> {
    cell: Arc<Cell<A>>,
    stop: Option<ExitReason>,
    timers: Vec<AbortHandle>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>) -> Self {
        Context {
            cell,
            stop: None,
            timers: Vec::new(),
        }
    }

    /// A reference to this actor, to hand to others or to message itself.
    pub fn myself(&self) -> ActorRef<A> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.cell.core.label.id()
    }

    /// The system this actor runs in.
    pub fn system(&self) -> SystemHandle {
        SystemHandle::from_shared(self.cell.core.system.clone())
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Normal`]. Queued messages are not handled; their callers
    /// get [`Error::ActorStopped`](crate::Error::ActorStopped).
    pub fn stop(&mut self) {
        self.stop.get_or_insert(ExitReason::Normal);
    }

    /// Stops this actor once the current method returns, with
    /// [`ExitReason::Error`] and `message`.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.stop.get_or_insert(ExitReason::Error(message.into()));
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
        self.stop.take()
    }

    pub(crate) fn cancel_timers(&mut self) {
        for timer in self.timers.drain(..) {
            timer.abort();
        }
    }
}
