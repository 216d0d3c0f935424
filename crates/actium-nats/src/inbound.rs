//! What reaches the node on its subscriptions, one NATS message at a time:
//! checked (size, envelope, secret), then by kind — a batch is taken in
//! its sender's stream (or found to follow a gap: the connection to that
//! node broke), an acknowledgement gives credit back, a probe is answered,
//! and a single frame (a heartbeat, a goodbye) goes to the node as it is.
//! Then each frame is acted on (`Shared::dispatch`): the calls of a batch
//! to one actor in a row are queued together (`transport::Recipients`),
//! before anything else in the batch is acted on.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use actium_core::transport::{self, Peer, Recipients, Respond, Response, TraceContext};
use actium_core::{ActorId, Error, NodeId};
use actium_remote::protocol::{Frame, from_peer, sent_from};

use crate::envelope::{self, Control, Frames, Message};
use crate::flow::Arrival;
use crate::node::{Shared, Via, respond};
use crate::peer::{NatsPeer, Responder};

/// Acts on one NATS message that reached the node, on its own subject or
/// on the cluster's alive subject.
pub(crate) fn receive(node: &Shared, bytes: &[u8], via: Via) {
    if bytes.len() > node.config.max_frame {
        return dropped(
            node,
            &format!("{} bytes, larger than the largest frame", bytes.len()),
        );
    }
    let subject = match via {
        Via::Node => &node.node_subject,
        Via::Alive => &node.alive_subject,
    };
    let (from, message) = match envelope::decode(bytes, &node.out.seal, subject) {
        Ok(decoded) => decoded,
        Err(reason) => return dropped(node, &reason),
    };
    if from == node.id {
        return; // our own heartbeat
    }
    match (message, via) {
        (Message::Frame(frame @ (Frame::Ping | Frame::Pong | Frame::Bye { .. })), _) => {
            if via == Via::Alive && !matches!(frame, Frame::Bye { .. }) {
                // An observer beats with a `Pong` (see `tasks::heartbeat`).
                node.members.heard(from, matches!(frame, Frame::Pong));
            }
            let peer = node.known(from);
            if let Some(peer) = &peer {
                peer.heard();
            }
            node.dispatch(from, frame, via, peer.as_ref(), &mut Recipients::default());
        }
        (Message::Frame(_), _) => dropped(node, "a call outside its sender's stream"),
        (_, Via::Alive) => dropped(node, "a stream's message on the heartbeat subject"),
        (
            Message::Batch {
                epoch,
                first,
                ask_ack,
                frames,
            },
            Via::Node,
        ) => batch(node, from, (epoch, first), ask_ack, frames),
        (Message::Control(control), Via::Node) => self::control(node, from, control),
    }
}

/// Frames `first`, `first + 1`… of `epoch` of `from`'s stream.
fn batch(
    node: &Shared,
    from: NodeId,
    (epoch, first): (u32, u64),
    ask_ack: bool,
    frames: Frames<'_>,
) {
    let peer = match node.peer(from) {
        Ok(peer) => peer,
        Err(error) => return dropped(node, &error.to_string()),
    };
    // The batch is taken and acted on in the peer's inbound turn, which
    // declaring the node down waits for. A down declared meanwhile by
    // another task either fires `noconnection` after the batch's calls
    // are queued, or comes first: a broken connection (the heartbeat's
    // check, this node shutting down) then makes this batch one of a
    // broken epoch, dropped; a goodbye on the alive subject does not, and
    // the batch is acted on after it, as what a leaving node sent before
    // its goodbye is.
    let mut turn = Some(peer.inbound());
    peer.heard();
    let arrival = peer.arrive(epoch, first, frames.frame_count());
    let acknowledge = arrival.acknowledged(ask_ack);
    match arrival {
        Arrival::Accept => {}
        Arrival::Stale { current } => {
            // Sent before the sender learnt that its stream broke (or it
            // missed the reset that said so: say it again).
            tracing::debug!(peer = %peer.address(), epoch, first, "dropped frames of a broken connection");
            return peer.tell_reset(epoch, current);
        }
        Arrival::Duplicate => {
            dropped(node, "a batch of frames already taken (a replay)");
            // Answered if it asks: see `Arrival::acknowledged`.
            if acknowledge {
                peer.acknowledge();
            }
            return;
        }
        Arrival::Refused { current } => {
            dropped(node, "a batch of an epoch no node reaches (forged)");
            // If a forged reset moved the real sender there, this tells
            // it to start over (a reset of an epoch it is not at changes
            // nothing there).
            return peer.tell_reset(epoch, current);
        }
        Arrival::Gap(reason) => {
            // Declaring the node down waits for the turn.
            drop(turn);
            return broken(node, &peer, epoch, &reason);
        }
    }
    // Calls to one actor in a row are queued together (see `Recipients`),
    // and all before the next message from the node is acted on.
    let mut recipients = Recipients::default();
    for frame in frames {
        match frame {
            Ok(frame @ Frame::Bye { .. }) => {
                // A goodbye belongs alone on the node's subject; in a
                // batch (a hostile node) it is still acted on, but out of
                // the turn, which declaring the node down waits for.
                stopped(from, recipients.push());
                turn = None;
                node.dispatch(from, frame, Via::Node, Some(&peer), &mut recipients);
            }
            Ok(frame) => {
                turn.get_or_insert_with(|| peer.inbound());
                node.dispatch(from, frame, Via::Node, Some(&peer), &mut recipients);
            }
            Err(reason) => dropped(node, &reason),
        }
    }
    stopped(from, recipients.forget());
    drop(turn);
    if acknowledge {
        peer.acknowledge();
    }
}

fn control(node: &Shared, from: NodeId, control: Control) {
    match control {
        Control::Ack { epoch, seq } => {
            if let Some(peer) = node.known(from) {
                peer.heard();
                peer.acked(epoch, seq, &node.system);
            }
        }
        Control::Probe { epoch, seq } => {
            let peer = match node.peer(from) {
                Ok(peer) => peer,
                Err(error) => return dropped(node, &error.to_string()),
            };
            peer.heard();
            match peer.probed(epoch, seq) {
                // Behind what was taken: computed before a batch that
                // overtook it, or replayed. No harm: acknowledged.
                Arrival::Accept | Arrival::Duplicate => peer.acknowledge(),
                // It still sends in an epoch that broke here: it missed
                // the reset that said so. A reset of an epoch it has left
                // is ignored there, so this never ping-pongs.
                Arrival::Stale { current } => peer.tell_reset(epoch, current),
                Arrival::Refused { current } => {
                    dropped(node, "a probe of an epoch no node reaches (forged)");
                    peer.tell_reset(epoch, current);
                }
                Arrival::Gap(reason) => broken(node, &peer, epoch, &reason),
            }
        }
        Control::Reset { epoch, current } => {
            if let Some(peer) = node.known(from) {
                peer.heard();
                peer.reset(epoch, current, &node.system);
            }
        }
    }
}

/// Frames from `peer` were lost: NATS dropped them (a slow consumer, a
/// lost connection, a failover). Never a silent gap: handled as a broken
/// connection.
fn broken(node: &Shared, peer: &Arc<NatsPeer>, epoch: u32, reason: &str) {
    node.counters.gaps.fetch_add(1, Ordering::Relaxed);
    tracing::error!(
        peer = %peer.address(),
        %reason,
        "frames from this node were lost on the way (NATS dropped them: a slow \
         consumer, a lost connection or a failover); the connection to it is \
         treated as broken: waiting calls fail with NodeDown, links and monitors \
         fire with noconnection"
    );
    peer.broken(epoch, reason, &node.system);
}

/// Logs the calls from `from` staged for an actor that stopped before
/// they were queued (`queued`): dropped, their callers hear that it
/// stopped.
fn stopped(from: NodeId, queued: Result<(), Error>) {
    if let Err(error) = queued {
        tracing::debug!(%from, %error, "calls to a stopped actor");
    }
}

fn dropped(node: &Shared, reason: &str) {
    node.counters.dropped.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(reason = %from_peer(reason), "dropped a message");
}

/// A call in a frame from another node, for [`Shared::deliver`].
struct Call<'a> {
    to: ActorId,
    method: &'a str,
    payload: &'a [u8],
    trace: Option<TraceContext>,
}

impl Shared {
    /// Acts on one frame from node `from` (`peer`: its peer, if known),
    /// that reached this node on its own subject (in `from`'s stream, or a
    /// goodbye) or on the cluster's alive subject (`inbound` has checked
    /// and unpacked the message).
    pub(crate) fn dispatch(
        &self,
        from: NodeId,
        frame: Frame<'_>,
        via: Via,
        peer: Option<&Arc<NatsPeer>>,
        recipients: &mut Recipients,
    ) {
        if !frame.joins_run_to(recipients) {
            // The calls staged go before this frame is acted on: a call to
            // another actor, or a signal that must follow them.
            stopped(from, recipients.push());
        }
        match frame {
            Frame::Tell {
                to,
                method,
                payload,
                trace,
            } => {
                let call = Call {
                    to,
                    method,
                    payload,
                    trace,
                };
                self.deliver(from, call, None, recipients);
            }
            Frame::Ask {
                id,
                to,
                method,
                payload,
                trace,
            } => {
                // Frames in a stream always have their peer.
                let Some(peer) = peer else { return };
                let responder = Box::new(Responder {
                    peer: peer.clone(),
                    id,
                });
                let call = Call {
                    to,
                    method,
                    payload,
                    trace,
                };
                self.deliver(from, call, Some(responder), recipients);
            }
            Frame::Reply { id, response } => {
                if let Some(peer) = peer {
                    peer.answered(id, response, &self.system);
                }
            }
            Frame::Answer { id, answer } => {
                if let Some(peer) = peer {
                    peer.request_answered(id, answer);
                }
            }
            Frame::Signal(signal) => self.signal(from, signal),
            Frame::Request { id, request } => {
                let answer = self.answer(request);
                let Some(peer) = peer else { return };
                respond(&self.system, peer, id, answer);
            }
            Frame::Bye { reason } => {
                if via == Via::Alive && self.members.left(from) {
                    self.free_names_of(vec![from]);
                }
                if let Some(peer) = peer {
                    let reason = format!("closed by the node: {}", from_peer(&reason));
                    match via {
                        // To everyone: the node leaves the cluster.
                        Via::Alive => peer.left(&reason, &self.system),
                        // To this node only: it declared this node down.
                        Via::Node => peer.went_down(&reason, &self.system),
                    }
                }
            }
            Frame::Ping | Frame::Pong => {}
        }
    }

    fn deliver(
        &self,
        from: NodeId,
        Call {
            to,
            method,
            payload,
            trace,
        }: Call<'_>,
        responder: Option<Box<Responder>>,
        recipients: &mut Recipients,
    ) {
        if to.node() != self.id {
            tracing::debug!(%to, method, "a call for an actor of another node");
            if let Some(responder) = responder {
                responder.respond(Response::Stopped);
            }
            return;
        }
        let responder = responder.map(|responder| responder as transport::Responder);
        match recipients.deliver(&self.system, to, method, payload, responder, trace.as_ref()) {
            Ok(()) => {}
            Err(error @ Error::ActorStopped { .. }) => {
                tracing::debug!(%from, method, %error, "call to a stopped actor");
            }
            Err(error) => tracing::warn!(%from, method, %error, "call not delivered"),
        }
    }

    fn signal(&self, from: NodeId, signal: transport::RemoteSignal) {
        if !sent_from(&signal, from) {
            tracing::warn!(
                %from,
                signal = %from_peer(&format!("{signal:?}")),
                "dropped a signal that claims to come from another node"
            );
            return;
        }
        if signal.receiver().node() != self.id {
            return;
        }
        match self.peer(from) {
            Ok(peer) => {
                peer.heard();
                transport::apply(&self.system, peer, signal);
            }
            Err(error) => tracing::warn!(%error, "dropped a signal"),
        }
    }
}
