//! The typed cell of one actor: its mailbox plus the untyped cell core,
//! and how the rest of the runtime reaches it without its type
//! (`ErasedCell`).

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::actor::{Actor, Standby};
use crate::base::{ActorLabel, Exit, ExitReason, Signal};
use crate::cell::{CellCore, Doing, ErasedCell, Staged, SystemShared, drop_contained};
use crate::mailbox::{Envelope, Mailbox, control};
use crate::observe::{ActorStats, StatsRead};

/// One actor's cell, laid out in this order (`repr(C)`): what its senders
/// write for every message, the mailbox's lock and queue at its front, is
/// at least a cache line (64 bytes) from what its loop touches for every
/// message (the mailbox's control flag at its end, the core's `doing`,
/// the stats). Sharing a line, each message moved it between the
/// sender's core and the loop's and back (BENCHMARKS.md, "False sharing
/// in the cell").
#[repr(C)]
pub(crate) struct Cell<A: Actor> {
    pub(crate) mailbox: Mailbox<A::Msg>,
    pub(crate) core: CellCore,
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
            mailbox: Mailbox::new(capacity),
            core: CellCore::new(label, system),
            stats: ActorStats::default(),
            standby: Standby::new(),
        }
    }

    /// Closes the mailbox for good: what was queued is dropped (callers
    /// waiting for an answer are told the actor stopped), and a `Drop` of
    /// it that panics is logged, not propagated.
    pub(crate) fn close_mailbox(&self) {
        drop_contained(self.mailbox.close(), self.core.label, "queued messages");
    }
}

/// Decodes a call of `method` from another node into its envelope (a
/// request-reply's `responder` goes into its reply). Inlined, so that the
/// envelope is not returned through memory and copied at once after.
#[inline(always)]
fn remote_call<A: Actor>(
    method: &str,
    payload: &[u8],
    responder: &mut Option<crate::wire::Responder>,
    trace: Option<&crate::wire::TraceContext>,
) -> Result<Envelope<A::Msg>, Box<crate::base::Error>> {
    let kind = if responder.is_some() {
        crate::observe::EventKind::Ask
    } else {
        crate::observe::EventKind::Tell
    };
    let msg = A::decode_call(method, payload, responder)?;
    Ok(crate::actor::remote_envelope(
        msg,
        trace,
        A::method_name(method),
        kind,
    ))
}

/// The calls from another node staged for one actor (see
/// `ErasedCell::stage_remote`).
type Run<A> = Vec<Envelope<<A as Actor>::Msg>>;

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
        // A kill overrides a graceful stop request, but not an earlier
        // kill: in Erlang a process killed by one exit signal is gone, and
        // the next signal from the same sender (say `kill` then
        // `exit(P, Reason)`) finds no process whose reason it could change.
        let killed = self.mailbox.is_killed();
        if self.core.record_stop(reason, !killed) {
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
        self.close_mailbox();
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
        trace: Option<&crate::wire::TraceContext>,
    ) -> Result<(), Box<crate::base::Error>> {
        // Checked before decoding, so the caller hears "full" rather than
        // "stopped"; the push below ignores the bound, so a race with local
        // senders can overfill by a message rather than lose one.
        if let Some(capacity) = self.mailbox.capacity() {
            if self.mailbox.len() >= capacity {
                return Err(Box::new(crate::base::Error::MailboxFull {
                    actor: self.core.label,
                    method: A::method_name(method),
                    capacity,
                }));
            }
        }
        let envelope = remote_call::<A>(method, payload, responder, trace)?;
        self.mailbox.push_unbounded(envelope).map_err(|_refused| {
            Box::new(crate::base::Error::ActorStopped {
                actor: self.core.label,
                method: A::method_name(method),
            })
        })
    }

    fn stage_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::wire::Responder>,
        trace: Option<&crate::wire::TraceContext>,
        staged: &mut Staged,
    ) -> Result<(), Box<crate::base::Error>> {
        let run = staged.get_mut::<Run<A>>();
        // A run not yet pushed holds calls to this very actor (`Recipients`
        // pushes a run before it stages for another actor), so its mailbox
        // is unbounded: its capacity, on a cache line the actor's loop
        // writes, need not be read again.
        let staging = run.is_some_and(|run| !run.is_empty());
        debug_assert!(
            !staging || self.mailbox.capacity().is_none(),
            "staged for a bounded mailbox"
        );
        if !staging && self.mailbox.capacity().is_some() {
            return self.deliver_remote(method, payload, responder, trace);
        }
        // A new run if there is none, or only a pushed (empty) one of
        // another actor's type; and room in it before decoding, so that
        // nothing that may panic comes between the decoding and the write.
        // Something that may panic must be able to drop the envelope, so
        // the envelope was kept on the stack, and read back from there
        // wide just after it was written narrow: the reader waited on those
        // stores once per call.
        let run = staged.get_or_default::<Run<A>>();
        run.reserve(1);
        let envelope = remote_call::<A>(method, payload, responder, trace)?;
        let len = run.len();
        debug_assert!(run.capacity() > len, "room was made for the envelope");
        // SAFETY: `reserve` made room for one more envelope after `len`,
        // and nothing can have pushed since: `run` is borrowed exclusively
        // throughout, and `remote_call` cannot reach `staged`. A panic or
        // an error before this point left the length as it was. The
        // envelope is written before the length counts it.
        unsafe {
            run.as_mut_ptr().add(len).write(envelope);
            run.set_len(len + 1);
        }
        Ok(())
    }

    fn push_staged(&self, staged: &mut Staged) -> Result<(), crate::base::Error> {
        let Some(run) = staged.get_mut::<Run<A>>() else {
            return Ok(());
        };
        if run.is_empty() {
            return Ok(());
        }
        self.mailbox.push_run_unbounded(run).map_err(|_closed| {
            drop_contained(
                std::mem::take(run),
                self.core.label,
                "calls to a stopped actor",
            );
            crate::base::Error::ActorStopped {
                actor: self.core.label,
                method: "?",
            }
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

#[cfg(all(test, not(actium_loom)))]
mod tests {
    use super::*;

    /// An actor with a one-word message, for its cell's layout.
    struct Plain;

    impl Actor for Plain {
        type Msg = u64;
        type Methods<D: crate::actor::Dispatch<Self>> = crate::actor::NoMethods<D>;
        const NAME: &'static str = "Plain";
    }

    /// Every byte the loop writes or reads for every message (the control
    /// flag, all of the core, the stats) is at least a cache line (64
    /// bytes) from every byte senders read or write for every message, so
    /// never on one line with them, wherever the cell lands in memory.
    #[test]
    fn what_senders_write_is_a_cache_line_from_what_the_loop_touches() {
        type C = Cell<Plain>;
        let senders_end =
            std::mem::offset_of!(C, mailbox) + Mailbox::<u64>::new(None).senders_end();
        let loop_touches = [
            std::mem::offset_of!(C, mailbox) + Mailbox::<u64>::control_offset(),
            std::mem::offset_of!(C, core),
            std::mem::offset_of!(C, stats),
        ];
        for offset in loop_touches {
            assert!(
                offset >= senders_end + 63,
                "a field the loop touches at {offset} may share a cache line with senders' \
                 writes, which end at {senders_end}"
            );
        }
    }
}
