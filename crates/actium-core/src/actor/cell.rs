//! The typed cell of one actor: its mailbox plus the untyped cell core,
//! and how the rest of the runtime reaches it without its type
//! (`ErasedCell`).

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::actor::{Actor, Standby};
use crate::base::{ActorLabel, Exit, ExitReason, Signal};
use crate::cell::{CellCore, Doing, ErasedCell, SystemShared, drop_contained};
use crate::mailbox::{Mailbox, control};
use crate::observe::{ActorStats, StatsRead};

pub(crate) struct Cell<A: Actor> {
    pub(crate) core: CellCore,
    pub(crate) mailbox: Mailbox<A::Msg>,
    /// Counted by the actor's loop, read by snapshots.
    pub(crate) stats: ActorStats,
    /// The state the loop lends while it stands idle (`standby`).
    pub(crate) standby: Standby<A>,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(
        label: ActorLabel,
        system: Arc<SystemShared>,
        capacity: Option<NonZeroUsize>,
    ) -> Self {
        Cell {
            core: CellCore::new(label, system),
            mailbox: Mailbox::new(capacity),
            stats: ActorStats::default(),
            standby: Standby::new(),
        }
    }
}

impl<A: Actor> ErasedCell for Cell<A> {
    fn doing(&self) -> Option<&'static str> {
        Doing::describe(self.core.doing(), A::METHODS)
    }

    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, reason: ExitReason) {
        if self.core.record_stop(reason, false) {
            self.mailbox.signal_control(control::STOP);
            self.core.wake_decision();
        }
    }

    fn kill(&self, reason: ExitReason) {
        if self.core.record_stop(reason, true) {
            self.mailbox.signal_control(control::STOP | control::KILL);
            self.core.wake_decision();
        }
    }

    fn end_incarnation(&self) {
        if self
            .core
            .end_running_incarnation(ExitReason::Shutdown, false)
        {
            self.mailbox.signal_control(control::STOP);
        }
    }

    fn kill_incarnation(&self) {
        if self.core.end_running_incarnation(ExitReason::Killed, true) {
            self.mailbox.signal_control(control::STOP | control::KILL);
        }
    }

    fn abandon(&self, reason: ExitReason) {
        self.mailbox.signal_control(control::STOP | control::KILL);
        drop_contained(self.mailbox.close(), self.core.label, "queued messages");
        self.core.exited(reason);
        self.core.wake_decision();
    }

    fn deliver_exit(&self, exit: Exit) {
        // A child waiting for its supervisor's decision gets none once the
        // supervisor is gone: its exit is the verdict, even if the child
        // traps exits.
        self.core.supervisor_gone(&exit);
        if self.core.traps_exits() {
            self.push_signal(Signal::Exit(exit));
        } else if exit.reason.is_abnormal() {
            self.kill(exit.reason);
        }
    }

    fn push_signal(&self, signal: Signal) {
        let _closed = self.mailbox.push_signal(signal);
    }

    fn deliver_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::wire::Responder>,
        trace: Option<crate::wire::TraceContext>,
    ) -> Result<(), crate::base::Error> {
        // Checked before decoding, so the caller hears "full" rather than
        // "stopped"; the push below ignores the bound, so a race with local
        // senders can overfill by a message rather than lose one.
        if let Some(capacity) = self.mailbox.capacity() {
            if self.mailbox.len() >= capacity {
                return Err(crate::base::Error::MailboxFull {
                    actor: self.core.label,
                    method: A::method_name(method),
                    capacity,
                });
            }
        }
        let kind = if responder.is_some() {
            crate::observe::EventKind::Ask
        } else {
            crate::observe::EventKind::Tell
        };
        let msg = A::decode_call(method, payload, responder)?;
        let envelope = crate::actor::remote_envelope(msg, trace, A::method_name(method), kind);
        self.mailbox
            .push_unbounded(envelope)
            .map_err(|_refused| crate::base::Error::ActorStopped {
                actor: self.core.label,
                method: A::method_name(method),
            })
    }

    fn measure(&self) -> Option<(StatsRead, u64)> {
        let stats = self.stats.read();
        Some((stats, self.mailbox.depth(stats.handled)))
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
