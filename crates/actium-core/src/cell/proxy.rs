//! Stand-ins for actors on other nodes in local links and monitors.
//!
//! Links and monitors hold `Arc<dyn ErasedCell>`s. When one side is on
//! another node, a [`RemoteCell`] takes its place: whatever the local
//! machinery does to it — deliver an exit, a down, add or remove a link or
//! a watcher, stop or kill it — becomes a [`RemoteSignal`] to the real
//! actor, and the pair is recorded in the system's relations table so a
//! lost connection can fire it.

use std::any::Any;
use std::sync::Arc;

use crate::base::{ActorId, ActorLabel, Down, Exit, ExitReason, MonitorRef, Signal};
use crate::cell::{CellCore, ErasedCell, SystemShared};
use crate::wire::{Peer, RemoteSignal};

pub(crate) struct RemoteCell {
    /// The remote actor's label, in this system.
    core: CellCore,
    peer: Arc<dyn Peer>,
    role: Role,
}

enum Role {
    /// Stands for a remote actor that local actors link to or monitor.
    Actor,
    /// Stands for a remote watcher of a local actor; its `Down` goes back
    /// with the watcher's own monitor id.
    Watcher { monitor: u64 },
}

impl RemoteCell {
    /// A stand-in for the remote actor `label`.
    pub(crate) fn actor(label: ActorLabel, peer: Arc<dyn Peer>, system: Arc<SystemShared>) -> Self {
        RemoteCell {
            core: CellCore::new(label, system),
            peer,
            role: Role::Actor,
        }
    }

    /// A stand-in for the remote actor `label` watching a local actor under
    /// its monitor id `monitor`.
    pub(crate) fn watcher(
        label: ActorLabel,
        peer: Arc<dyn Peer>,
        system: Arc<SystemShared>,
        monitor: u64,
    ) -> Self {
        RemoteCell {
            core: CellCore::new(label, system),
            peer,
            role: Role::Watcher { monitor },
        }
    }

    fn id(&self) -> ActorId {
        self.core.label.id()
    }

    fn send(&self, signal: RemoteSignal) {
        if let Err(error) = self.peer.signal(signal) {
            // The relation is fired with `NoConnection` on this side when
            // the connection is declared lost; nothing else to do here.
            tracing::debug!(actor = %self.core.label, %error, "signal to a remote actor not sent");
        }
    }
}

impl ErasedCell for RemoteCell {
    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, _reason: ExitReason) {
        self.send(RemoteSignal::Stop { to: self.id() });
    }

    fn kill(&self, _reason: ExitReason) {
        self.send(RemoteSignal::Kill { to: self.id() });
    }

    fn end_incarnation(&self) {
        self.request_stop(ExitReason::Shutdown);
    }

    /// A local actor linked to this remote one exited.
    fn deliver_exit(&self, exit: Exit) {
        self.core
            .system
            .remote_relations
            .remove_link(exit.actor.id(), self.id());
        self.send(RemoteSignal::Exit {
            from: exit.actor,
            to: self.id(),
            reason: exit.reason,
            linked: true,
        });
    }

    fn exit_signal(&self, exit: Exit) {
        self.send(RemoteSignal::Exit {
            from: exit.actor,
            to: self.id(),
            reason: exit.reason,
            linked: false,
        });
    }

    /// A local actor this remote watcher monitors exited.
    fn deliver_down(&self, down: Down) {
        let Role::Watcher { monitor } = self.role else {
            return;
        };
        self.core
            .system
            .remote_relations
            .remove_watched_by(self.id().node(), monitor);
        self.send(RemoteSignal::Down {
            watcher: self.id(),
            monitor,
            actor: down.actor,
            reason: down.reason,
        });
    }

    fn push_signal(&self, _signal: Signal) {}

    fn add_link(&self, other: Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
        let local = other.core().label;
        let relations = &self.core.system.remote_relations;
        relations.add_link(local.id(), self.core.label);
        let linked = self.peer.signal(RemoteSignal::Link {
            from: local,
            to: self.id(),
        });
        if linked.is_err() {
            relations.remove_link(local.id(), self.id());
            return Err(ExitReason::NoConnection);
        }
        Ok(())
    }

    /// A stand-in keeps no links of its own (the relations table does,
    /// and `deliver_exit` consults it): the exit always goes on.
    fn drop_link(&self, _other: ActorId) -> bool {
        true
    }

    fn remove_link(&self, other: ActorId) {
        if self
            .core
            .system
            .remote_relations
            .remove_link(other, self.id())
            .is_some()
        {
            self.send(RemoteSignal::Unlink {
                from: other,
                to: self.id(),
            });
        }
    }

    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) {
        let relations = &self.core.system.remote_relations;
        let label = watcher.core().label;
        relations.add_watching(monitor, label.id(), self.core.label);
        let watched = self.peer.signal(RemoteSignal::Monitor {
            watcher: label,
            target: self.id(),
            monitor: monitor.0,
        });
        if watched.is_err()
            && relations
                .remove_watching(self.id().node(), monitor.0)
                .is_some()
        {
            watcher.deliver_down(Down {
                monitor,
                actor: self.core.label,
                reason: ExitReason::NoConnection,
            });
        }
    }

    fn remove_watcher(&self, monitor: MonitorRef) -> bool {
        let system = &self.core.system;
        let watcher = system
            .remote_relations
            .remove_watching(self.id().node(), monitor.0);
        if let Some((watcher, _)) = watcher {
            self.send(RemoteSignal::Demonitor {
                watcher: ActorId::new(system.node, watcher),
                target: self.id(),
                monitor: monitor.0,
            });
        }
        watcher.is_some()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
