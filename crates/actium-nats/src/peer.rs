//! One other node of the cluster as this node sees it: the subject its
//! frames go to, the streams of frames each way (`flow`), the calls
//! waiting for its answers, and whether it is alive (its heartbeats).
//!
//! There is no connection per node: every node keeps one connection to
//! NATS, and a peer is a subject plus bookkeeping. A peer is *down* once
//! no heartbeat or frame has come from its node for the heartbeat timeout,
//! when its node said goodbye, or when frames from it were lost (a gap in
//! its stream): then every call waiting on it fails with `NodeDown`, every
//! link and monitor that crossed to it fires with `NoConnection`, and new
//! calls fail at once until it is heard again. Except after a goodbye,
//! both streams then start a new epoch, as a new TCP connection would.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use actium_core::transport::{self, OutgoingCall, Peer, RemoteSignal, Respond, Response};
use actium_core::{Clock, Error, NodeId, SystemHandle};
use actium_remote::protocol::{Frame, PendingCalls};
use async_nats::Subject;

use crate::envelope::Control;
use crate::flow::{self, Arrival, Receiving, Sending};
pub(crate) use crate::outbound::{Outbound, Outgoing, Refused};

mod requests;
#[cfg(test)]
mod tests;

/// Why a peer went down, for what becomes of the streams with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// It said goodbye to everyone: what it sent before still arrives
    /// (its goodbye may overtake it) and is taken.
    Left,
    /// The connection broke (frames lost, heartbeats missed, either side
    /// declared the other down, this node leaving): nothing more of the
    /// current epochs is taken either way.
    Broken,
    /// The node found this node's stream to it of `epoch` broken (a gap)
    /// and receives epoch `current` from this node: only that stream
    /// starts over, above both, and only if `epoch` is still its epoch
    /// (a reset that is late, repeated or replayed changes nothing).
    Reset { epoch: u32, current: u32 },
}

struct State {
    /// Calls and requests waiting for the node's answers (the same table
    /// as a TCP peer's).
    pending: PendingCalls,
    /// Why the node is down, while it is.
    down: Option<String>,
    /// When the node said goodbye: for a heartbeat timeout after it,
    /// nothing that arrives from the node brings it back (a frame its
    /// goodbye overtook on the other subscription); after that only a
    /// node still alive — one whose goodbye was forged — is heard again.
    left_at: Option<Instant>,
    /// When anything last came from the node.
    heard: Instant,
    /// This node's stream of frames to the node.
    sending: Sending,
    /// The node's stream of frames to this one.
    receiving: Receiving,
}

pub(crate) struct NatsPeer {
    address: String,
    node: NodeId,
    subject: Subject,
    out: Arc<Outbound>,
    clock: Clock,
    /// The heartbeat timeout: how long a goodbye keeps the node down.
    quiet: Duration,
    state: Mutex<State>,
    /// Held while a batch from the node is taken and acted on, and by
    /// `down` before it ends the epochs and fires the relations: a batch's
    /// calls reach their actors before the `noconnection` of a down that
    /// another task declares meanwhile (the heartbeat's check, a goodbye
    /// on the alive subject, this node shutting down).
    inbound: Mutex<()>,
    /// Itself, for the writer's queue.
    me: Weak<NatsPeer>,
}

impl NatsPeer {
    pub(crate) fn new(
        address: String,
        (node, epoch): (NodeId, u32),
        subject: Subject,
        out: Arc<Outbound>,
        clock: Clock,
        quiet: Duration,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| NatsPeer {
            address,
            node,
            subject,
            out,
            quiet,
            state: Mutex::new(State {
                pending: PendingCalls::new(),
                down: None,
                left_at: None,
                // A new peer gets one heartbeat timeout to be heard from.
                heard: clock.now(),
                sending: Sending::resume(epoch),
                receiving: Receiving::default(),
            }),
            clock,
            inbound: Mutex::new(()),
            me: me.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Only bookkeeping runs under this lock (frames are encoded into
        // the outbox, batches split off it); answers are resolved,
        // relations fired and batches sealed after it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This task's turn to act on a batch from the node: `down` waits for
    /// it to end. Never held when calling `down` (or `went_down`, `left`,
    /// `broken`, `reset`), which takes it; a holder declares the node down
    /// with `down_in_turn`.
    pub(crate) fn inbound(&self) -> MutexGuard<'_, ()> {
        self.inbound.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn down_error(&self, reason: &str) -> Error {
        Error::NodeDown {
            node: self.address.clone(),
            reason: reason.to_owned(),
        }
    }

    /// The subject the node's frames go to.
    pub(crate) fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Encodes `frame` into the stream to the node, and tells the writer
    /// if the stream was idle.
    fn push(&self, state: &mut State, frame: &Frame<'_>) -> Result<(), Refused> {
        self.out.open()?;
        let cap = self.out.peer_cap.load(Ordering::Acquire);
        if state.sending.buffered() >= cap {
            // One node that takes nothing must not fill the outbox that
            // every other node's frames share.
            return Err(Refused::Offline(format!(
                "the outbox to this node is full ({} KiB of the node's {} MiB): \
                 the node is not taking its frames",
                cap >> 10,
                crate::outbound::MAX_QUEUED >> 20
            )));
        }
        let pushed = state
            .sending
            .push(frame, &self.out.limits)
            .map_err(Refused::Frame)?;
        self.out.queued.fetch_add(pushed.grew, Ordering::AcqRel);
        match pushed.wake {
            Some(generation) if !self.schedule(generation) => {
                Err(Refused::Offline("the node has shut down".to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// Tells the writer to come for the stream's batches; false if the
    /// writer is gone.
    fn schedule(&self, generation: u64) -> bool {
        // `me` upgrades while anyone calls a method of this peer.
        let Some(me) = self.me.upgrade() else {
            return false;
        };
        self.out.queue.send(Outgoing::Flush(me, generation)).is_ok()
    }

    /// Sends `frame` in the stream to the node, down or not (replies and
    /// answers: a node that said goodbye may still read them, and the
    /// caller's side decides what to make of them; what a node that stays
    /// silent never takes is dropped by [`check`](Self::check)).
    ///
    /// # Errors
    ///
    /// As [`Outbound::send`].
    pub(crate) fn send(&self, frame: &Frame<'_>) -> Result<(), Refused> {
        let mut state = self.lock();
        self.push(&mut state, frame)
    }

    /// The writer's turn: the next batch of the stream, if the window
    /// allows it (`generation` none: the node is leaving, window or not).
    pub(crate) fn take_batch(&self, generation: Option<u64>) -> Option<flow::Batch> {
        let (batch, credit) = {
            let mut state = self.lock();
            let batch = state.sending.take(generation, &self.out.limits);
            (batch, state.sending.credit_request())
        };
        if let Some((epoch, seq)) = credit
            && let Err(reason) = self
                .out
                .send_control(&self.subject, Control::Probe { epoch, seq })
        {
            tracing::debug!(peer = %self.address, %reason, "could not ask for credit");
        }
        batch
    }

    /// The node acknowledged frames up to `seq` of `epoch`: their credit
    /// comes back, and the writer is told if frames waited for it. An
    /// acknowledgement above what this stream sent says that the node
    /// remembers an earlier stream of this epoch and dropped this one's
    /// frames as taken already: the connection is broken, and this
    /// stream starts over above that epoch.
    pub(crate) fn acked(&self, epoch: u32, seq: u64, system: &SystemHandle) {
        let wake = {
            let mut state = self.lock();
            if state.sending.acks_beyond(epoch, seq) {
                drop(state);
                return self.forgotten(epoch, seq, system);
            }
            state.sending.acked(epoch, seq)
        };
        if let Some(generation) = wake {
            self.schedule(generation);
        }
    }

    /// See [`acked`](Self::acked): the node took frames up to `seq` of
    /// `epoch` from a stream this node forgot.
    fn forgotten(&self, epoch: u32, seq: u64, system: &SystemHandle) {
        let reason = format!(
            "disconnected: the node acknowledged frame {seq} of epoch {epoch}, \
             more than this node sent in it (it remembers a stream this node forgot)"
        );
        // Its calls wait for replies it dropped: tell it, as when a node
        // is declared down, so that they fail now rather than time out.
        let bye = Frame::Bye {
            reason: reason.as_str().into(),
        };
        if let Err(reason) = self.out.send(&self.subject, &bye) {
            tracing::debug!(peer = %self.address, %reason, "could not say the stream broke");
        }
        self.down(
            &reason,
            system,
            Cause::Reset {
                epoch,
                current: epoch,
            },
        );
    }

    /// The epoch a stream to the node must start at if this peer is
    /// forgotten and made again, if the node may remember this stream.
    /// None for a node that left the cluster with a goodbye (on the
    /// cluster's alive subject, see [`left`](Self::left)): node ids are
    /// random per system, so it never comes back under this id. A node
    /// only declared down — including by the goodbye that an
    /// acknowledgement above what was sent, or a missed heartbeat, makes
    /// it send on this node's own subject (`went_down`, not `left`) — is
    /// alive and may come back: its epoch is kept.
    pub(crate) fn epoch_to_remember(&self) -> Option<u32> {
        let state = self.lock();
        if state.left_at.is_some() {
            return None;
        }
        state.sending.epoch_to_remember()
    }

    /// A batch of `frames` frames from `first` in `epoch` of the node's
    /// stream arrived: whether to take it.
    pub(crate) fn arrive(&self, epoch: u32, first: u64, frames: u64) -> Arrival {
        self.lock().receiving.arrive(epoch, first, frames)
    }

    /// The node probes its stream: it has sent up to `sent` in `epoch`.
    pub(crate) fn probed(&self, epoch: u32, sent: u64) -> Arrival {
        self.lock().receiving.probed(epoch, sent)
    }

    /// Acknowledges every frame taken from the node's stream.
    pub(crate) fn acknowledge(&self) {
        let (epoch, seq) = self.lock().receiving.acknowledgement();
        if let Err(reason) = self
            .out
            .send_control(&self.subject, Control::Ack { epoch, seq })
        {
            tracing::debug!(peer = %self.address, %reason, "could not acknowledge");
        }
    }

    /// Frames of `epoch` from the node were lost (`reason`): the
    /// connection is broken, as a TCP connection that drops. The node is
    /// told first, so that its reset goes out before any frame of this
    /// node's next epoch.
    pub(crate) fn broken(&self, epoch: u32, reason: &str, system: &SystemHandle) {
        self.tell_reset(epoch, epoch);
        self.went_down(
            &format!("frames from the node were lost ({reason}): the connection broke"),
            system,
        );
    }

    /// Tells the node that its stream of `epoch` to this one broke here
    /// (so that it drops that stream and starts its next epoch above
    /// `current`, the one received here).
    pub(crate) fn tell_reset(&self, epoch: u32, current: u32) {
        let reset = Control::Reset { epoch, current };
        if let Err(reason) = self.out.send_control(&self.subject, reset) {
            tracing::debug!(peer = %self.address, %reason, "could not say the stream broke");
        }
    }

    /// The node says this node's stream of `epoch` to it broke there: if
    /// that is still the stream's epoch, the connection is broken this
    /// way (what waits is dropped, calls fail, relations fire), and the
    /// stream starts over above `current`; the node's stream to this one
    /// is left as it is, so that a reset never calls for another.
    pub(crate) fn reset(&self, epoch: u32, current: u32, system: &SystemHandle) {
        self.down(
            "disconnected: frames were lost on the way to the node (it found a gap)",
            system,
            Cause::Reset { epoch, current },
        );
    }

    /// Something came from the node: it is alive (unless it said goodbye:
    /// a frame that was overtaken by its goodbye revives nothing).
    pub(crate) fn heard(&self) {
        let mut state = self.lock();
        let now = self.clock.now();
        state.heard = now;
        if let Some(left) = state.left_at {
            if now.saturating_duration_since(left) < self.quiet {
                return;
            }
            state.left_at = None;
        }
        if state.down.take().is_some() {
            tracing::info!(peer = %self.address, "the node is heard from again");
        }
    }

    /// The node said goodbye: down for good (see [`went_down`](Self::went_down)),
    /// but what it sent before its goodbye is still taken.
    pub(crate) fn left(&self, reason: &str, system: &SystemHandle) {
        self.lock().left_at = Some(self.clock.now());
        self.down(reason, system, Cause::Left);
    }

    /// Declares the node down for `reason`, as a broken connection: fails
    /// what waits on it, fires the relations that crossed to it, and ends
    /// both streams' epochs.
    pub(crate) fn went_down(&self, reason: &str, system: &SystemHandle) {
        self.down(reason, system, Cause::Broken);
    }

    fn down(&self, reason: &str, system: &SystemHandle, cause: Cause) {
        // A batch being acted on ends first: its calls were taken before
        // the connection broke, and go before the relations fire.
        let turn = self.inbound();
        self.down_in_turn(&turn, reason, system, cause);
    }

    /// [`down`](Self::down), in the inbound turn `_turn` this task holds.
    fn down_in_turn(
        &self,
        _turn: &MutexGuard<'_, ()>,
        reason: &str,
        system: &SystemHandle,
        cause: Cause,
    ) {
        // Leaving, the writer publishes what the streams hold.
        let reset = !self.out.closing.load(Ordering::Acquire);
        let (pending, (bytes, frames)) = {
            let mut state = self.lock();
            let dropped = match cause {
                Cause::Reset { epoch, .. } if epoch != state.sending.epoch() => {
                    tracing::debug!(peer = %self.address, epoch, "ignored the reset of an epoch that is over");
                    return;
                }
                Cause::Reset { current, .. } if reset => state.sending.reset_above(current),
                _ if reset => state.sending.reset(),
                _ => (0, 0),
            };
            if cause == Cause::Broken {
                state.receiving.break_epoch();
            }
            if state.down.is_some() {
                (None, dropped)
            } else {
                state.down = Some(reason.to_owned());
                (Some(state.pending.take_all()), dropped)
            }
        };
        self.out.queued.fetch_sub(bytes, Ordering::AcqRel);
        if frames > 0 {
            tracing::warn!(peer = %self.address, frames, "frames waiting for the node were dropped with the connection");
        }
        let Some(pending) = pending else { return };
        tracing::warn!(peer = %self.address, %reason, "node down");
        // Dropped request senders tell their requesters.
        pending.fail(|| self.down_error(reason));
        transport::connection_lost(system, self.node);
    }

    /// The heartbeat's check: forgets answers whose callers gave up,
    /// probes the stream to the node if frames in it went unacknowledged
    /// since the last check, says again that the node's stream broke
    /// here (a few times, until a new epoch comes), and declares the node down if it has been
    /// silent for `timeout`.
    pub(crate) fn check(&self, timeout: Duration, system: &SystemHandle) {
        let closing = self.out.closing.load(Ordering::Acquire);
        let (silent, probe, dropped, resend) = {
            let mut state = self.lock();
            state.pending.sweep();
            let silent = self.clock.now().saturating_duration_since(state.heard);
            // Down and silent: what waits for it (replies sent since) would
            // wait for credit for ever.
            let gone = state.down.is_some() && silent > timeout && !closing;
            let dropped = if gone && !state.sending.is_idle() {
                state.sending.reset().0
            } else {
                0
            };
            let resend = state.receiving.reset_due();
            (silent, state.sending.probe(), dropped, resend)
        };
        self.out.queued.fetch_sub(dropped, Ordering::AcqRel);
        // The node's stream broke here: say so again, in case the reset
        // was lost and the node, idle, would otherwise learn it only when
        // its next frame is dropped.
        if let Some(epoch) = resend {
            self.tell_reset(epoch, epoch);
        }
        if let Some((epoch, seq)) = probe
            && let Err(reason) = self
                .out
                .send_control(&self.subject, Control::Probe { epoch, seq })
        {
            tracing::debug!(peer = %self.address, %reason, "could not probe");
        }
        if silent > timeout && self.lock().down.is_none() {
            // A batch being acted on ends first, and may have been heard.
            let turn = self.inbound();
            let silent = self
                .clock
                .now()
                .saturating_duration_since(self.lock().heard);
            if silent <= timeout {
                return;
            }
            let reason = format!("no heartbeat for {silent:?}");
            // Tell the node, on its own subject, so that it drops its side
            // of every link and monitor with this one too (over TCP the
            // closed socket says so; here nothing else would). It is not
            // a goodbye: both sides take up again when they hear each other.
            let _ = self.out.send(
                &self.subject,
                &Frame::Bye {
                    reason: format!("disconnected: {reason}").into(),
                },
            );
            self.down_in_turn(&turn, &reason, system, Cause::Broken);
        }
    }

    /// Fails every call waiting on the node with `NodeDown` for `reason`,
    /// without declaring the node down: their answers may be lost (this
    /// node's connection to NATS dropped, or its subscription overflowed).
    pub(crate) fn fail_waiting(&self, reason: &str) {
        let pending = self.lock().pending.take_all();
        pending.fail(|| self.down_error(reason));
    }

    /// Counts the node as heard now without bringing it back if it is
    /// down: after this node's own outage, the silence was this node's.
    pub(crate) fn grace(&self) {
        self.lock().heard = self.clock.now();
    }

    /// Whether the node is down with nothing waiting on it.
    pub(crate) fn is_down_and_idle(&self) -> bool {
        let state = self.lock();
        state.down.is_some() && state.pending.is_empty() && state.sending.buffered() == 0
    }
}

impl Peer for NatsPeer {
    fn address(&self) -> &str {
        &self.address
    }

    fn is_connected(&self) -> bool {
        self.lock().down.is_none()
    }

    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Box<Error>> {
        let mut state = self.lock();
        if let Some(reason) = &state.down {
            return Err(Box::new(self.down_error(reason)));
        }
        let OutgoingCall {
            to,
            method,
            payload,
            answer,
            trace,
            ..
        } = call;
        let sent = match answer {
            None => {
                let frame = Frame::Tell {
                    to,
                    method,
                    payload,
                    trace: trace.copied(),
                };
                self.push(&mut state, &frame)
            }
            Some(answer) => {
                let id = state.pending.next_id();
                // Registered before it is sent, so that no reply can come
                // back before its caller is known.
                state.pending.add_call(id, answer);
                let frame = Frame::Ask {
                    id,
                    to,
                    method,
                    payload,
                    trace: trace.copied(),
                };
                let sent = self.push(&mut state, &frame);
                if sent.is_err() {
                    state.pending.forget(id);
                }
                sent
            }
        };
        sent.map_err(|refused| {
            Box::new(match refused {
                Refused::Frame(message) => Error::Codec {
                    actor_type: "?".to_owned(),
                    method: method.to_owned(),
                    message,
                },
                Refused::Offline(reason) => self.down_error(&reason),
            })
        })
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        let mut state = self.lock();
        if let Some(reason) = &state.down {
            return Err(self.down_error(reason));
        }
        self.push(&mut state, &Frame::Signal(signal))
            .map_err(|reason| self.down_error(&reason.to_string()))
    }
}

/// Answers a request-reply from another node: the reply goes in this
/// node's stream to the caller's node.
pub(crate) struct Responder {
    pub(crate) peer: Arc<NatsPeer>,
    pub(crate) id: u64,
}

impl Respond for Responder {
    fn respond(self: Box<Self>, response: Response<'_>) {
        let frame = Frame::Reply {
            id: self.id,
            response,
        };
        match self.peer.send(&frame) {
            Ok(()) => {}
            Err(Refused::Offline(reason)) => {
                tracing::debug!(peer = %self.peer.address, %reason, "a reply not sent");
            }
            Err(Refused::Frame(reason)) => {
                // A value too large to send: the caller is told why rather
                // than left to its deadline.
                tracing::warn!(peer = %self.peer.address, %reason, "could not send a reply");
                let rejected = Response::Rejected(transport::Rejection::Other(reason));
                let _ = self.peer.send(&Frame::Reply {
                    id: self.id,
                    response: rejected,
                });
            }
        }
    }
}
