//! What a running actor does to its relations — links, monitors, exit
//! signals, trapping exits — written once for both of its views of itself:
//! a method actor's [`Context`](crate::actor::Context) and a mailbox
//! actor's `Inbox` (in `otp`) forward here, so the two cannot drift apart.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::actor::{Actor, AnyRef, Cell};
use crate::base::{ActorId, ActorLabel, Error, ExitReason};
use crate::cell::{CellCore, ErasedCell, ExitedCell, Monitor};

/// The type name of the `Down` that monitoring an unregistered name
/// delivers: no actor held the name.
pub(crate) const UNREGISTERED: &str = "Unregistered";

impl<A: Actor> Cell<A> {
    fn erased_self(self: &Arc<Self>) -> Arc<dyn ErasedCell> {
        self.clone()
    }

    /// Links this actor with `other`, both ways.
    pub(crate) fn link(self: &Arc<Self>, other: &AnyRef) {
        CellCore::link(&self.erased_self(), other.erased());
    }

    /// Removes the link with `other`, both ways.
    pub(crate) fn unlink(self: &Arc<Self>, other: &AnyRef) {
        CellCore::unlink(&self.erased_self(), other.erased());
    }

    /// Watches `other`; its exit reaches this actor as a `Down`.
    pub(crate) fn monitor(self: &Arc<Self>, other: &AnyRef) -> Monitor {
        Monitor::start(
            &self.core.system,
            other.erased().clone(),
            self.erased_self(),
        )
    }

    /// Watches whoever holds `name` now; when nobody does, a stand-in
    /// that has already exited with `noproc`, so that the `Down` comes at
    /// once (Erlang's `monitor(process, Name)`).
    pub(crate) fn monitor_name(self: &Arc<Self>, name: &str) -> Monitor {
        let target = self.registered(name).unwrap_or_else(|_| {
            let system = &self.core.system;
            let local = system.next_local.fetch_add(1, Ordering::Relaxed);
            let label = ActorLabel::new(ActorId::new(system.node, local), UNREGISTERED);
            AnyRef::local(ExitedCell::new(label, system.clone()))
        });
        self.monitor(&target)
    }

    /// The actor registered as `name` in this actor's system.
    pub(crate) fn registered(&self, name: &str) -> Result<AnyRef, Error> {
        self.core
            .system
            .registry
            .get(name)
            .map(AnyRef::local)
            .ok_or_else(|| Error::NotRegistered {
                name: name.to_owned(),
            })
    }

    /// Sends `other` an exit signal with `reason`, from this actor.
    pub(crate) fn send_exit(&self, other: &AnyRef, reason: ExitReason) {
        CellCore::send_exit(&self.core, other.erased(), reason);
    }

    /// Whether exit signals from linked actors are delivered to this actor
    /// instead of killing it.
    pub(crate) fn trap_exit(&self, trap: bool) {
        self.core.set_trap_exits(trap);
    }
}
