//! What arrives from other nodes: calls, signals, and lost connections.

use std::cell::RefCell;
use std::sync::Arc;

use crate::base::{ActorId, ActorLabel, Down, Error, Exit, ExitReason, MonitorRef, NodeId};
use crate::cell::{ErasedCell, RemoteCell};
use crate::runtime::SystemHandle;
use crate::wire::{Answer, Peer, Rejection, RemoteRelations, RemoteSignal, Responder, Response};

thread_local! {
    /// The system that references being decoded on this thread belong to.
    static DECODING: RefCell<Option<SystemHandle>> = const { RefCell::new(None) };
}

/// Runs `decode` with `system` as the one references resolve in.
pub(crate) fn decoding<T>(system: &SystemHandle, decode: impl FnOnce() -> T) -> T {
    struct Restore(Option<SystemHandle>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            DECODING.with_borrow_mut(|current| *current = previous);
        }
    }
    let previous = DECODING.with_borrow_mut(|current| current.replace(system.clone()));
    let _restore = Restore(previous);
    decode()
}

/// The system references decode into: the one set by [`decoding`], else
/// the thread's current system.
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
pub(crate) fn decoding_system() -> Option<SystemHandle> {
    DECODING
        .with_borrow(Clone::clone)
        .or_else(|| SystemHandle::try_current().ok())
}

/// Delivers a call that arrived from another node to the local actor `to`.
///
/// The actor's generated codec decodes `payload` as the arguments of
/// `method` (references in them resolve in `system`) and the message is
/// queued. A request-reply's `responder` is answered when the method
/// returns — or at once with the reason, if the call cannot be delivered.
/// A `trace` context from a recording sender makes this node's events
/// about the call share its message id.
///
/// # Errors
///
/// Why the call was not delivered (the caller of a request-reply has been
/// told already): [`Error::ActorStopped`] for an actor that is not (or no
/// longer) here, [`Error::UnknownMethod`], [`Error::Codec`] for arguments
/// that do not decode, [`Error::MailboxFull`], [`Error::NotRemote`].
pub fn deliver(
    system: &SystemHandle,
    to: ActorId,
    method: &str,
    payload: &[u8],
    responder: Option<Responder>,
    trace: Option<super::TraceContext>,
) -> Result<(), Error> {
    Recipients::default().deliver(system, to, method, payload, responder, trace)
}

/// The actor the last call went to, kept for a run of calls: a reader
/// delivering the frames of one read looks each actor up once per run of
/// frames to it rather than once per frame (the table look-up takes a
/// lock and was the receiving node's largest cost per one-way call).
///
/// Forget it (with [`forget`](Self::forget)) before waiting for more
/// input or yielding: while it is kept, an actor that exited meanwhile is
/// still found, so a call to it meets its closed mailbox
/// ([`Error::ActorStopped`], as when the look-up and the exit race; or
/// the codec's error first, if its arguments do not decode) rather than
/// the table's miss. Ids are never reused within a system, so a kept
/// actor is never mistaken for another.
#[derive(Default)]
pub struct Recipients {
    last: Option<(ActorId, Arc<dyn ErasedCell>)>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients")
            .field("last", &self.last.as_ref().map(|(id, _)| *id))
            .finish()
    }
}

impl Recipients {
    /// Delivers a call as [`deliver`] does, looking `to` up only if it is
    /// not the actor the last call went to.
    ///
    /// # Errors
    ///
    /// As [`deliver`].
    pub fn deliver(
        &mut self,
        system: &SystemHandle,
        to: ActorId,
        method: &str,
        payload: &[u8],
        responder: Option<Responder>,
        trace: Option<super::TraceContext>,
    ) -> Result<(), Error> {
        let mut responder = responder;
        let cell = match &self.last {
            Some((id, cell)) if *id == to => Some(cell),
            _ => {
                self.last = local_cell(system, to).map(|cell| (to, cell));
                self.last.as_ref().map(|(_, cell)| cell)
            }
        };
        let delivered = match cell {
            Some(cell) => decoding(system, || {
                cell.deliver_remote(method, payload, &mut responder, trace)
            }),
            None => Err(Error::ActorStopped {
                actor: unknown_label(to),
                method: "?",
            }),
        };
        if let (Err(error), Some(responder)) = (&delivered, responder) {
            responder.respond(Rejection::from_error(error));
        }
        delivered
    }

    /// Lets go of the actor kept: the next call looks its actor up.
    pub fn forget(&mut self) {
        self.last = None;
    }
}

fn local_cell(system: &SystemHandle, id: ActorId) -> Option<Arc<dyn ErasedCell>> {
    if id.node() != system.node() {
        return None;
    }
    system.shared().cell(id.local())
}

fn unknown_label(id: ActorId) -> ActorLabel {
    ActorLabel::new(id, "?")
}

/// The label a signal names, or the one recorded here when the sender did
/// not know the type (an actor that did not exist there).
fn known(sent: ActorLabel, recorded: ActorLabel) -> ActorLabel {
    if sent.type_name() == "?" {
        recorded
    } else {
        sent
    }
}

/// Applies a link, monitor or exit signal that arrived from `peer`.
///
/// The network layer has checked that the signal's sender is on `peer`'s
/// node. A signal for an actor that is not here is answered as Erlang
/// would: a link or monitor to it fires at once with
/// [`ExitReason::NoProc`]; anything else is dropped.
pub fn apply(system: &SystemHandle, peer: Arc<dyn Peer>, signal: RemoteSignal) {
    let shared = system.shared();
    let relations = &shared.remote_relations;
    let receiver = local_cell(system, signal.receiver());
    match signal {
        RemoteSignal::Link { from, to } => {
            let proxy = Arc::new(RemoteCell::actor(from, peer, shared.clone()));
            let Some(local) = receiver else {
                proxy.deliver_exit(Exit {
                    actor: unknown_label(to),
                    reason: ExitReason::NoProc,
                });
                return;
            };
            relations.add_link(to, from);
            if let Err(reason) = local.add_link(proxy.clone()) {
                proxy.deliver_exit(Exit {
                    actor: local.core().label,
                    reason,
                });
            }
        }
        RemoteSignal::Unlink { from, to } => {
            relations.remove_link(to, from);
            if let Some(local) = receiver {
                local.core().forget_link(from);
            }
        }
        RemoteSignal::Exit {
            from,
            to,
            reason,
            linked,
        } => {
            let Some(local) = receiver else { return };
            apply_exit(relations, local, from, to, reason, linked);
        }
        RemoteSignal::Monitor {
            watcher,
            target,
            monitor,
        } => {
            let proxy = Arc::new(RemoteCell::watcher(watcher, peer, shared.clone(), monitor));
            let Some(local) = receiver else {
                proxy.deliver_down(Down {
                    monitor: MonitorRef(0),
                    actor: unknown_label(target),
                    reason: ExitReason::NoProc,
                });
                return;
            };
            let ours = MonitorRef(shared.next_monitor());
            relations.add_watched_by(watcher.id().node(), monitor, target, ours);
            local.add_watcher(ours, proxy);
        }
        RemoteSignal::Demonitor {
            watcher, monitor, ..
        } => {
            if let Some((_, ours)) = relations.remove_watched_by(watcher.node(), monitor) {
                if let Some(local) = receiver {
                    local.remove_watcher(ours);
                }
            }
        }
        RemoteSignal::Down {
            monitor,
            actor,
            reason,
            ..
        } => {
            if let Some((_, watched)) = relations.remove_watching(actor.id().node(), monitor) {
                if let Some(local) = receiver {
                    local.deliver_down(Down {
                        monitor: MonitorRef(monitor),
                        actor: known(actor, watched),
                        reason,
                    });
                }
            }
        }
        RemoteSignal::Stop { .. } => {
            if let Some(local) = receiver {
                local.request_stop(ExitReason::Stopped);
            }
        }
        RemoteSignal::Kill { .. } => {
            if let Some(local) = receiver {
                local.kill(ExitReason::Killed);
            }
        }
    }
}

/// An exit signal from `from` for `local`: along a link (which it removes)
/// or sent explicitly.
fn apply_exit(
    relations: &RemoteRelations,
    local: Arc<dyn ErasedCell>,
    from: ActorLabel,
    to: ActorId,
    reason: ExitReason,
    linked: bool,
) {
    if linked {
        // An exit along a link that was removed meanwhile is not
        // delivered (Erlang: none arrives after `unlink` returns).
        let Some(linked) = relations.remove_link(to, from.id()) else {
            return;
        };
        local.core().forget_link(from.id());
        local.deliver_exit(Exit {
            actor: known(from, linked),
            reason,
        });
    } else if reason == ExitReason::Killed {
        local.kill(ExitReason::Killed);
    } else {
        local.exit_signal(Exit {
            actor: from,
            reason,
        });
    }
}

/// Fires every link and monitor that crossed to `node`: the connection to
/// it was lost (or could not be made). Local actors linked to actors there
/// get `Exit { .., NoConnection }`; local watchers get `Down { ..,
/// NoConnection }`; monitors set from there are dropped.
pub fn connection_lost(system: &SystemHandle, node: NodeId) {
    let lost = system.shared().remote_relations.take(node);
    for ((local, _), remote) in lost.links {
        if let Some(cell) = system.shared().cell(local) {
            cell.core().forget_link(remote.id());
            cell.deliver_exit(Exit {
                actor: remote,
                reason: ExitReason::NoConnection,
            });
        }
    }
    for (monitor, (watcher, remote)) in lost.watching {
        if let Some(cell) = system.shared().cell(watcher) {
            cell.deliver_down(Down {
                monitor: MonitorRef(monitor),
                actor: remote,
                reason: ExitReason::NoConnection,
            });
        }
    }
    for (_, (target, ours)) in lost.watched_by {
        if let Some(cell) = system.shared().cell(target) {
            cell.remove_watcher(ours);
        }
    }
}

impl Answer {
    /// Completes the call with the callee's response. A value is decoded
    /// in `system` (references in it resolve there); a value that does not
    /// decode fails the call with [`Error::Codec`].
    pub fn resolve(self, system: &SystemHandle, response: Response<'_>) {
        let Answer {
            resolve,
            actor,
            method,
        } = self;
        let actor = actor.unwrap_or_else(|| unknown_actor(system));
        super::inbound::decoding(system, || resolve.resolve(response, actor, method));
    }
}

fn unknown_actor(system: &SystemHandle) -> ActorLabel {
    ActorLabel::new(crate::base::ActorId::new(system.node(), 0), "?")
}
