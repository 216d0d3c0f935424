//! What arrives from other nodes: calls, signals, and lost connections.

use std::cell::Cell;
use std::sync::Arc;

use crate::base::{ActorId, ActorLabel, Down, Error, Exit, ExitReason, MonitorRef, NodeId};
use crate::cell::{ErasedCell, RemoteCell, Staged};
use crate::runtime::SystemHandle;
use crate::wire::{Answer, Peer, Rejection, RemoteRelations, RemoteSignal, Responder, Response};

thread_local! {
    /// The system that references being decoded on this thread belong to
    /// (see [`decoding`]), or null: a pointer rather than a handle, so that
    /// setting it for every call that arrives costs no reference count.
    static DECODING: Cell<*const SystemHandle> = const { Cell::new(std::ptr::null()) };
}

/// Runs `decode` with `system` as the one references resolve in.
pub(crate) fn decoding<T>(system: &SystemHandle, decode: impl FnOnce() -> T) -> T {
    struct Restore(*const SystemHandle);
    impl Drop for Restore {
        fn drop(&mut self) {
            DECODING.set(self.0);
        }
    }
    let _restore = Restore(DECODING.replace(std::ptr::from_ref(system)));
    decode()
}

/// The system references decode into: the one set by [`decoding`], else
/// the thread's current system.
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
pub(crate) fn decoding_system() -> Option<SystemHandle> {
    // SAFETY: a non-null pointer was set by `decoding` on this thread from
    // a reference that outlives its `decode`, which is running now (the
    // pointer is restored before `decoding` returns or unwinds).
    match unsafe { DECODING.get().as_ref() } {
        Some(system) => Some(system.clone()),
        None => SystemHandle::try_current().ok(),
    }
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
    trace: Option<&super::TraceContext>,
) -> Result<(), Error> {
    let cell = local_cell(system, to);
    decode_into(system, to, cell.as_ref(), responder, |cell, responder| {
        cell.deliver_remote(method, payload, responder, trace)
    })
    .map_err(|error| *error)
}

/// Runs `decode` on `cell` (`None`: not here), references resolving in
/// `system`, and answers the responder it left with the error if it
/// failed.
fn decode_into(
    system: &SystemHandle,
    to: ActorId,
    cell: Option<&Arc<dyn ErasedCell>>,
    responder: Option<Responder>,
    decode: impl FnOnce(&Arc<dyn ErasedCell>, &mut Option<Responder>) -> Result<(), Box<Error>>,
) -> Result<(), Box<Error>> {
    let mut responder = responder;
    let delivered = match cell {
        Some(cell) => decoding(system, || decode(cell, &mut responder)),
        None => Err(Box::new(Error::ActorStopped {
            actor: unknown_label(to),
            method: "?",
        })),
    };
    if let (Err(error), Some(responder)) = (&delivered, responder) {
        responder.respond(Rejection::from_error(error));
    }
    delivered
}

/// What a connection's reader keeps between the calls of one read: the
/// actor the last call went to, looked up once per run of calls to it
/// rather than once per call (the table look-up takes a lock and was the
/// receiving node's largest cost per one-way call), and the calls to it
/// decoded but not yet queued, which go into its mailbox together, with
/// one lock and one wake-up of its loop, when a call to another actor
/// comes, or at [`push`](Self::push) or [`forget`](Self::forget) (and
/// when it is dropped).
///
/// Push before acting on anything but a call (a signal, an answer), so
/// that it follows the calls that came before it; forget before waiting
/// for more input or yielding, so that the calls read are queued and an
/// actor that exits meanwhile is looked up afresh. While an actor is
/// kept, one that exited meanwhile is still found, so a call to it meets
/// its closed mailbox ([`Error::ActorStopped`], as when the look-up and
/// the exit race; or the codec's error first, if its arguments do not
/// decode) rather than the table's miss. Ids are never reused within a
/// system, so a kept actor is never mistaken for another. An actor with
/// a bounded mailbox gets each call at once, its capacity checked per
/// call.
#[derive(Default)]
pub struct Recipients {
    last: Option<(ActorId, Arc<dyn ErasedCell>)>,
    /// Calls to `last` decoded and not yet queued.
    staged: Staged,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients")
            .field("last", &self.last.as_ref().map(|(id, _)| *id))
            .finish_non_exhaustive()
    }
}

impl Recipients {
    /// Delivers a call as [`deliver`] does, looking `to` up only if it is
    /// not the actor the last call went to, and queueing it with the
    /// calls to that actor that follow it (see the type's docs).
    ///
    /// # Errors
    ///
    /// As [`deliver`], except that a call to an actor that stopped after
    /// it was looked up fails when the calls are queued
    /// ([`push`](Self::push)). If the calls staged for the actor kept
    /// before could not be queued, that error, unless this call failed
    /// itself: a caller that names the failed call should
    /// [`push`](Self::push) first when [`keeps`](Self::keeps) says the
    /// actor changes.
    pub fn deliver(
        &mut self,
        system: &SystemHandle,
        to: ActorId,
        method: &str,
        payload: &[u8],
        responder: Option<Responder>,
        trace: Option<&super::TraceContext>,
    ) -> Result<(), Error> {
        let pushed = if self.keeps(to) {
            Ok(())
        } else {
            let pushed = self.push();
            self.last = local_cell(system, to).map(|cell| (to, cell));
            pushed
        };
        let staged = &mut self.staged;
        let cell = self.last.as_ref().map(|(_, cell)| cell);
        let delivered = decode_into(system, to, cell, responder, |cell, responder| {
            cell.stage_remote(method, payload, responder, trace, staged)
        });
        // This call's failure first; the earlier calls' was logged by
        // nobody else, so it is this one's if this one went through.
        match delivered {
            Ok(()) => pushed,
            Err(error) => Err(*error),
        }
    }

    /// Whether the actor kept is `to`: a call to it joins the calls
    /// staged, and a call to another queues them first.
    pub fn keeps(&self, to: ActorId) -> bool {
        self.last.as_ref().is_some_and(|(id, _)| *id == to)
    }

    /// Queues the calls decoded for the actor kept, in order.
    ///
    /// # Errors
    ///
    /// [`Error::ActorStopped`] if it has stopped: the calls are dropped,
    /// and their callers that wait for an answer are told.
    pub fn push(&mut self) -> Result<(), Error> {
        match &self.last {
            Some((_, cell)) => cell.push_staged(&mut self.staged),
            None => Ok(()),
        }
    }

    /// Queues the calls decoded (as [`push`](Self::push)) and lets go of
    /// the actor kept: the next call looks its actor up.
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub fn forget(&mut self) -> Result<(), Error> {
        let pushed = self.push();
        self.last = None;
        pushed
    }
}

impl Drop for Recipients {
    fn drop(&mut self) {
        // Calls that arrived whole are delivered, whatever ends the reader.
        let _stopped = self.push();
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
        let crate::wire::AnswerParts {
            resolve,
            actor,
            method,
        } = *self.0;
        let actor = actor.unwrap_or_else(|| unknown_actor(system));
        super::inbound::decoding(system, || resolve.resolve(response, actor, method));
    }
}

fn unknown_actor(system: &SystemHandle) -> ActorLabel {
    ActorLabel::new(crate::base::ActorId::new(system.node(), 0), "?")
}
