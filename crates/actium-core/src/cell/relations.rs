//! A cell's relations: links, monitors (both ways), names, parent and
//! supervisor, and how they are notified when the actor exits.

use std::sync::Arc;
use std::task::Waker;

use super::core::{CellCore, Phase};
use super::erased::ErasedCell;
use super::monitor::Cancelled;
use crate::base::{ActorId, Down, Exit, ExitReason, MonitorRef};
use crate::observe::{EventKind, RareCounts};

#[derive(Default)]
pub(crate) struct Relations {
    /// Tasks waiting for the final exit (or a supervisor for an
    /// incarnation's start or end), each under its own key so that a wait
    /// given up on removes its waker (see [`Waiter`]).
    pub(crate) waiters: Vec<(u64, Waker)>,
    /// Linked actors (links are symmetric: each side lists the other).
    pub(crate) links: Vec<Arc<dyn ErasedCell>>,
    /// Actors monitoring this one, with their monitor ids.
    pub(crate) watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// Actors this one monitors, with the monitor ids: removed when this
    /// one exits, as Erlang removes a dead process's monitors.
    pub(crate) monitoring: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// Monitors of this actor that fired and whose `Down` waits in its
    /// queue: a `Down` is handled only if its monitor is still here when
    /// the actor takes it, so that cancelling with flush removes it.
    pub(crate) downs: Vec<MonitorRef>,
    /// The name this actor is registered under (one at most, as in Erlang).
    pub(crate) name: Option<String>,
    /// The actor that spawned and linked this one: a supervisor ends itself
    /// when its parent's exit signal arrives, as OTP's do.
    pub(crate) parent: Option<ActorId>,
    /// The supervisor, which decides about restarts.
    pub(crate) supervisor: Option<Arc<dyn ErasedCell>>,
    /// The loop's waker while it awaits a decision.
    pub(crate) deciding: Option<Waker>,
    /// Why the last incarnation of a supervised actor ended.
    pub(crate) last_exit: Option<ExitReason>,
    /// Errors, panics and restarts, for snapshots.
    pub(crate) counts: RareCounts,
}

impl CellCore {
    /// Counts a rare event (an error, a panic, a restart) for snapshots.
    pub(crate) fn count(&self, event: impl FnOnce(&mut RareCounts)) {
        event(&mut Self::relations(&mut self.lock()).counts);
    }

    /// Links this actor and `other`. If `other` has already exited, this
    /// actor gets an exit signal with [`ExitReason::NoProc`] at once, as in
    /// Erlang: a trapping actor receives it, any other is killed by it.
    pub(crate) fn link(self_cell: &Arc<dyn ErasedCell>, other: &Arc<dyn ErasedCell>) {
        if self_cell.core().id() == other.core().id() {
            return;
        }
        match other.add_link(self_cell.clone()) {
            Err(reason) => self_cell.deliver_exit(Exit {
                actor: other.core().label,
                reason,
            }),
            Ok(()) => {
                let mut mine = self_cell.core().lock();
                add_link_once(&mut Self::relations(&mut mine).links, other.clone());
            }
        }
    }

    /// This side of a link: records `other`, unless this actor has exited
    /// (then the link fails with `noproc`: the actor no longer exists).
    pub(super) fn accept_link(&self, other: Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
        let mut lifecycle = self.lock();
        if let Phase::Exited(_) = &lifecycle.phase {
            return Err(ExitReason::NoProc);
        }
        add_link_once(&mut Self::relations(&mut lifecycle).links, other);
        Ok(())
    }

    /// Sends `target` an exit signal from `from` (Erlang's `exit/2`): a
    /// trapping target receives it as an `Exit`; otherwise an abnormal
    /// reason kills it and a normal one is ignored — except by `from`
    /// itself, which exits with it. `Killed` cannot be trapped: it always
    /// kills, as Erlang's `kill`.
    pub(crate) fn send_exit(from: &CellCore, target: &Arc<dyn ErasedCell>, reason: ExitReason) {
        if reason == ExitReason::Killed {
            target.kill(ExitReason::Killed);
        } else if !reason.is_abnormal() && target.core().id() == from.id() && !from.traps_exits() {
            // erlang:exit/2: "If Reason is normal, Pid does not exit, unless
            // Pid is the calling process, in which case it exits with reason
            // normal" — at once, as any process an exit signal ends (so
            // `on_stop`, like a non-trapping gen_server's `terminate`, does
            // not run).
            crate::cell::signal(from, EventKind::Exit, from.label, &reason);
            target.kill(reason);
        } else {
            target.exit_signal(Exit {
                actor: from.label,
                reason,
            });
        }
    }

    /// Removes a link in both directions.
    pub(crate) fn unlink(self_cell: &Arc<dyn ErasedCell>, other: &Arc<dyn ErasedCell>) {
        self_cell.core().forget_link(other.core().id());
        other.remove_link(self_cell.core().id());
    }

    /// Forgets this side's link with `id`; returns whether there was one.
    pub(crate) fn forget_link(&self, id: ActorId) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let before = relations.links.len();
        relations.links.retain(|l| l.core().id() != id);
        relations.links.len() != before
    }

    /// Has `watcher` receive a `Down` when this actor exits. If it has
    /// exited already, the `Down` comes at once with [`ExitReason::NoProc`],
    /// as in Erlang: the actor no longer exists.
    pub(crate) fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) {
        let exited = {
            let mut lifecycle = self.lock();
            match &lifecycle.phase {
                Phase::Exited(_) => true,
                _ => {
                    Self::relations(&mut lifecycle)
                        .watchers
                        .push((monitor, watcher.clone()));
                    false
                }
            }
        };
        if exited {
            watcher.deliver_down(Down {
                monitor,
                actor: self.label,
                reason: ExitReason::NoProc,
            });
        }
    }

    /// Cancels a monitor; returns whether it was still active.
    pub(crate) fn remove_watcher(&self, monitor: MonitorRef) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let before = relations.watchers.len();
        relations.watchers.retain(|(m, _)| *m != monitor);
        relations.watchers.len() != before
    }

    /// Records that this actor monitors `target`, so that its exit removes
    /// the monitor; false if this actor has exited (then it monitors
    /// nothing).
    pub(super) fn track_monitor(&self, monitor: MonitorRef, target: Arc<dyn ErasedCell>) -> bool {
        let mut lifecycle = self.lock();
        if matches!(lifecycle.phase, Phase::Exited(_)) {
            return false;
        }
        Self::relations(&mut lifecycle)
            .monitoring
            .push((monitor, target));
        true
    }

    /// Forgets a monitor this actor held; returns whether it still held
    /// it (it had neither fired nor been cancelled).
    pub(super) fn untrack_monitor(&self, monitor: MonitorRef) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        remove_monitor(&mut relations.monitoring, monitor)
    }

    /// A monitor this actor holds fired: its `Down` is about to be
    /// queued. False if the monitor was cancelled meanwhile: then no `Down`
    /// may arrive (Erlang: none is placed in the queue after `demonitor`
    /// returns).
    pub(super) fn fire_monitor(&self, monitor: MonitorRef) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let held = remove_monitor(&mut relations.monitoring, monitor);
        if held {
            relations.downs.push(monitor);
        }
        held
    }

    /// The actor takes a queued `Down` to handle it: false if it was
    /// flushed by [`Monitor::cancel_and_flush`](crate::Monitor::cancel_and_flush), and must be
    /// dropped unseen.
    pub(crate) fn take_down(&self, monitor: MonitorRef) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let before = relations.downs.len();
        relations.downs.retain(|m| *m != monitor);
        relations.downs.len() != before
    }

    /// Whether a `Down` of `monitor` waits to be taken (it was not
    /// flushed).
    pub(crate) fn down_waits(&self, monitor: MonitorRef) -> bool {
        self.lock()
            .relations
            .as_ref()
            .is_some_and(|r| r.downs.contains(&monitor))
    }

    /// Cancels a monitor this actor holds and flushes its `Down` if one
    /// waits: what was found.
    pub(super) fn cancel_monitor(&self, monitor: MonitorRef) -> Cancelled {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return Cancelled::Inactive;
        };
        if remove_monitor(&mut relations.monitoring, monitor) {
            return Cancelled::Active;
        }
        let before = relations.downs.len();
        relations.downs.retain(|m| *m != monitor);
        if relations.downs.len() != before {
            Cancelled::Flushed
        } else {
            Cancelled::Inactive
        }
    }

    /// Whether a panic should end this actor when its panic policy was left
    /// to the default: it should if anyone would hear of it — a linked
    /// actor, a monitor, a supervisor — as a crash ends an Erlang process.
    pub(crate) fn is_watched(&self) -> bool {
        self.lock().relations.as_ref().is_some_and(|r| {
            !r.links.is_empty() || !r.watchers.is_empty() || r.supervisor.is_some()
        })
    }

    /// Gives this actor `name`. An actor has one name at most, as in
    /// Erlang; an exited actor has none.
    pub(super) fn add_name(&self, name: &str) -> Result<(), NameRefused> {
        let mut lifecycle = self.lock();
        if matches!(lifecycle.phase, Phase::Exited(_)) {
            return Err(NameRefused::Exited);
        }
        let relations = Self::relations(&mut lifecycle);
        if let Some(held) = &relations.name {
            return Err(NameRefused::Named(held.clone()));
        }
        relations.name = Some(name.to_owned());
        Ok(())
    }

    pub(super) fn remove_name(&self, name: &str) {
        if let Some(relations) = self.lock().relations.as_mut() {
            if relations.name.as_deref() == Some(name) {
                relations.name = None;
            }
        }
    }

    pub(crate) fn set_supervisor(&self, supervisor: Arc<dyn ErasedCell>) {
        let mut lifecycle = self.lock();
        Self::relations(&mut lifecycle).supervisor = Some(supervisor);
    }

    pub(crate) fn supervisor(&self) -> Option<Arc<dyn ErasedCell>> {
        self.lock()
            .relations
            .as_ref()
            .and_then(|r| r.supervisor.clone())
    }

    /// Records the actor that spawned and linked this one.
    pub(crate) fn set_parent(&self, parent: ActorId) {
        let mut lifecycle = self.lock();
        Self::relations(&mut lifecycle).parent = Some(parent);
    }

    /// The actor that spawned and linked this one, if any.
    pub(crate) fn parent(&self) -> Option<ActorId> {
        self.lock().relations.as_ref().and_then(|r| r.parent)
    }

    /// Removes the monitors an exiting actor held from their targets.
    pub(super) fn drop_monitors(monitoring: Vec<(MonitorRef, Arc<dyn ErasedCell>)>) {
        for (monitor, target) in monitoring {
            target.remove_watcher(monitor);
        }
    }

    /// Delivers an exit to links and monitors. Links forget this actor,
    /// except `keep` (a supervisor that will see the next incarnation).
    ///
    /// A linked actor that has unlinked meanwhile — after this actor took
    /// its links, before the signal reached it — gets nothing: once
    /// `unlink` has returned, the link has no effect on its caller
    /// (`erlang:unlink/1`). Its `supervisor` hears of every exit.
    pub(crate) fn notify(
        &self,
        links: Vec<Arc<dyn ErasedCell>>,
        watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
        reason: &ExitReason,
        keep: Option<ActorId>,
        supervisor: Option<ActorId>,
    ) {
        for link in links {
            let id = Some(link.core().id());
            let linked = id == keep || link.drop_link(self.id()) || id == supervisor;
            if !linked {
                continue;
            }
            link.deliver_exit(Exit {
                actor: self.label,
                reason: reason.clone(),
            });
        }
        for (monitor, watcher) in watchers {
            watcher.deliver_down(Down {
                monitor,
                actor: self.label,
                reason: reason.clone(),
            });
        }
    }
}

fn remove_monitor(
    monitoring: &mut Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    monitor: MonitorRef,
) -> bool {
    let before = monitoring.len();
    monitoring.retain(|(m, _)| *m != monitor);
    monitoring.len() != before
}

pub(super) fn add_link_once(links: &mut Vec<Arc<dyn ErasedCell>>, cell: Arc<dyn ErasedCell>) {
    if !links.iter().any(|l| l.core().id() == cell.core().id()) {
        links.push(cell);
    }
}

/// Why an actor could not take a name.
pub(super) enum NameRefused {
    /// It has exited.
    Exited,
    /// It already has this name.
    Named(String),
}
