//! What a running actor does to its relations — links, monitors, exit
//! signals, trapping exits — written once for both of its views of itself:
//! a method actor's [`Context`](crate::actor::Context) and a mailbox
//! actor's `Inbox` (in `otp`) forward here, so the two cannot drift apart.

use std::sync::Arc;

use crate::actor::{Actor, ActorRef, Cell};
use crate::base::ExitReason;
use crate::cell::{CellCore, ErasedCell, Monitor};

impl<A: Actor> Cell<A> {
    fn erased_self(self: &Arc<Self>) -> Arc<dyn ErasedCell> {
        self.clone()
    }

    /// Links this actor with `other`, both ways.
    pub(crate) fn link<B: Actor>(self: &Arc<Self>, other: &ActorRef<B>) {
        CellCore::link(&self.erased_self(), &other.erased());
    }

    /// Removes the link with `other`, both ways.
    pub(crate) fn unlink<B: Actor>(self: &Arc<Self>, other: &ActorRef<B>) {
        CellCore::unlink(&self.erased_self(), &other.erased());
    }

    /// Watches `other`; its exit reaches this actor as a `Down`.
    pub(crate) fn monitor<B: Actor>(self: &Arc<Self>, other: &ActorRef<B>) -> Monitor {
        Monitor::start(&self.core.system, other.erased(), self.erased_self())
    }

    /// Sends `other` an exit signal with `reason`, from this actor.
    pub(crate) fn send_exit<B: Actor>(&self, other: &ActorRef<B>, reason: ExitReason) {
        CellCore::send_exit(&self.core, &other.erased(), reason);
    }

    /// Whether exit signals from linked actors are delivered to this actor
    /// instead of killing it.
    pub(crate) fn trap_exit(&self, trap: bool) {
        self.core.set_trap_exits(trap);
    }
}
