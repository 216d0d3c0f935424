//! What reaches the node on its subscriptions, one NATS message at a time:
//! checked (size, envelope, secret), then by kind — a batch is taken in
//! its sender's stream (or found to follow a gap: the connection to that
//! node broke), an acknowledgement gives credit back, a probe is answered,
//! and a single frame (a heartbeat, a goodbye) goes to the node as it is.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use actium_core::NodeId;
use actium_core::transport::Peer;
use actium_remote::protocol::{Frame, from_peer};

use crate::envelope::{self, Control, Frames, Message};
use crate::flow::Arrival;
use crate::node::{Shared, Via};
use crate::peer::NatsPeer;

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
            node.dispatch(from, frame, via, peer.as_ref());
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
        Arrival::Gap(reason) => return broken(node, &peer, epoch, &reason),
    }
    for frame in frames {
        match frame {
            Ok(frame) => node.dispatch(from, frame, Via::Node, Some(&peer)),
            Err(reason) => dropped(node, &reason),
        }
    }
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

fn dropped(node: &Shared, reason: &str) {
    node.counters.dropped.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(reason = %from_peer(reason), "dropped a message");
}
