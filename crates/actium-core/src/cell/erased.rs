//! `ErasedCell`: a cell without its actor's type, which is what links,
//! monitors, names, the actor table and remote stand-ins hold.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::core::{CellCore, Doing};
use crate::base::{ActorId, Down, Exit, ExitReason, MonitorRef, Signal};
use crate::observe::EventKind;

/// Calls from another node decoded for one actor and not yet queued: a
/// `Vec` of its typed envelopes, behind `Any` because whoever holds it
/// (a connection's reader) does not know the actor's type.
#[derive(Default)]
pub(crate) struct Staged {
    /// The run, and the id of its type.
    run: Option<(TypeId, Box<dyn Any + Send>)>,
}

impl Staged {
    /// The run, if there is one and it is a `T`.
    ///
    /// The type is compared with the id kept beside the run rather than
    /// asked of it, as `downcast_mut` does: asking returns the id through
    /// memory, read back wide just after it was written narrow, and the
    /// reader waited on those stores once per call.
    #[inline(always)]
    pub(crate) fn get_mut<T: Any + Send>(&mut self) -> Option<&mut T> {
        let (type_id, run) = self.run.as_mut()?;
        if *type_id != TypeId::of::<T>() {
            return None;
        }
        let run: *mut (dyn Any + Send) = &mut **run;
        // SAFETY: `type_id` is the id of the type of the value in `run`:
        // `get_or_default` stores them together, and nothing else writes
        // either (the field is private).
        Some(unsafe { &mut *run.cast::<T>() })
    }

    /// The run if it is a `T`; else a new, empty one, which replaces it.
    #[inline(always)]
    pub(crate) fn get_or_default<T: Any + Send + Default>(&mut self) -> &mut T {
        if self.get_mut::<T>().is_none() {
            self.run = Some((TypeId::of::<T>(), Box::new(T::default())));
        }
        // A `T` is there: either it was, or the line above put one there.
        self.get_mut().expect("the run is a `T`")
    }
}

/// A cell seen without its actor type: what the system table, links,
/// monitors and the registry hold.
pub(crate) trait ErasedCell: Send + Sync + 'static {
    fn core(&self) -> &CellCore;
    /// What the actor's loop runs now, in words (a method's name, or a
    /// hook's), if anything is known: for a shutdown that says what it
    /// waits for.
    fn doing(&self) -> Option<&'static str> {
        Doing::describe(self.core().doing(), &[])
    }
    /// Asks the actor to stop after its current message.
    fn request_stop(&self, reason: ExitReason);
    /// Stops the actor now, abandoning its current method at its next await.
    fn kill(&self, reason: ExitReason);
    /// Ends a supervised actor's running incarnation (a supervisor's
    /// request); does nothing once it has ended.
    fn end_incarnation(&self);
    /// Kills a supervised actor's running incarnation (a supervisor's
    /// brutal kill after the shutdown timeout); does nothing once it has
    /// ended.
    fn kill_incarnation(&self) {
        self.kill(ExitReason::Killed);
    }
    /// Gives up on an actor that does not honour a kill (a method that
    /// never awaits): marks it exited with `reason` now, answers its queued
    /// callers and fires its links and monitors, while its loop runs on
    /// until the method returns, then ends without running anything more.
    fn abandon(&self, reason: ExitReason) {
        self.kill(reason);
    }
    /// A linked actor exited: trap it as a message, die with it, or ignore
    /// it, as Erlang does.
    fn deliver_exit(&self, exit: Exit) {
        crate::cell::signal(self.core(), EventKind::Exit, exit.actor, &exit.reason);
        if self.core().traps_exits() {
            self.push_signal(Signal::Exit(exit));
        } else if exit.reason.is_abnormal() {
            self.kill(exit.reason);
        }
    }
    /// A monitored actor exited (or its node was lost): the monitor has
    /// fired, so this actor no longer holds it.
    /// A monitor this actor had cancelled meanwhile delivers nothing.
    fn deliver_down(&self, down: Down) {
        if !self.core().fire_monitor(down.monitor) {
            return;
        }
        crate::cell::signal(self.core(), EventKind::Down, down.actor, &down.reason);
        self.push_signal(Signal::Down(down));
    }
    /// An exit signal sent explicitly (Erlang's `exit/2`), not along a
    /// link.
    fn exit_signal(&self, exit: Exit) {
        self.deliver_exit(exit);
    }
    fn push_signal(&self, signal: Signal);
    /// This side of a link with `other`; the exit reason if this actor has
    /// already exited.
    fn add_link(&self, other: Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
        self.core().accept_link(other)
    }
    /// `other` removed its link with this actor.
    fn remove_link(&self, other: ActorId) {
        self.core().forget_link(other);
    }
    /// `other`, linked to this actor, exited: this side forgets the link.
    /// Returns whether it still had it (an actor that has unlinked
    /// meanwhile must not hear of the exit).
    fn drop_link(&self, other: ActorId) -> bool {
        self.core().forget_link(other)
    }
    /// Has `watcher` receive a `Down` when this actor exits (at once if it
    /// already has).
    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) {
        self.core().add_watcher(monitor, watcher);
    }
    /// Cancels a monitor; returns whether it was still active.
    fn remove_watcher(&self, monitor: MonitorRef) -> bool {
        self.core().remove_watcher(monitor)
    }
    /// Decodes and queues a call that came from another node. Only actor
    /// cells can; stand-ins for remote actors cannot.
    fn deliver_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::wire::Responder>,
        trace: Option<&crate::wire::TraceContext>,
    ) -> Result<(), Box<crate::base::Error>> {
        let _ = (method, payload, responder, trace);
        Err(Box::new(crate::base::Error::ActorStopped {
            actor: self.core().label,
            method: "?",
        }))
    }
    /// Decodes a call that came from another node as
    /// [`deliver_remote`](Self::deliver_remote) does, but adds it to
    /// `staged`, a run of calls to this actor that
    /// [`push_staged`](Self::push_staged) queues together, rather than
    /// queueing it at once. An actor with a bounded mailbox, whose
    /// capacity is checked per call, and a stand-in queue it at once.
    fn stage_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::wire::Responder>,
        trace: Option<&crate::wire::TraceContext>,
        staged: &mut Staged,
    ) -> Result<(), Box<crate::base::Error>> {
        let _ = staged;
        self.deliver_remote(method, payload, responder, trace)
    }
    /// Queues the calls [`stage_remote`](Self::stage_remote) added to
    /// `staged`, in order, with one lock of the mailbox and one wake-up
    /// of the loop, and empties it. If the actor has stopped, the calls
    /// are dropped (a request-reply's caller is told so) and the error
    /// says so.
    fn push_staged(&self, staged: &mut Staged) -> Result<(), crate::base::Error> {
        let _ = staged;
        Ok(())
    }
    /// The actor's counters and its mailbox depth, for a snapshot; `None`
    /// for stand-ins, which have neither.
    fn measure(&self) -> Option<(crate::observe::StatsRead, u64)> {
        None
    }
    /// For typed look-ups (`Arc::downcast` to the concrete cell).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

#[cfg(test)]
mod tests {
    use super::Staged;

    /// A run is found only as its own type, and a run of another type is
    /// replaced by a new one, empty.
    #[test]
    fn a_staged_run_is_found_as_its_own_type_only() {
        let mut staged = Staged::default();
        assert!(staged.get_mut::<Vec<u64>>().is_none());
        staged.get_or_default::<Vec<u64>>().push(7);
        staged.get_or_default::<Vec<u64>>().push(8);
        assert_eq!(staged.get_mut::<Vec<u64>>(), Some(&mut vec![7, 8]));
        assert!(staged.get_mut::<Vec<u32>>().is_none());
        assert!(staged.get_or_default::<Vec<u32>>().is_empty());
        assert!(staged.get_mut::<Vec<u64>>().is_none());
    }
}
