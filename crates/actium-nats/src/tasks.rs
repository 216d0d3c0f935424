//! The node's tasks: the writer, which publishes what the node sends —
//! single messages in the order they were queued, and the streams'
//! batches in turns as their windows allow; a reader per subscription (the
//! node's own subject, the cluster's heartbeats), which hands each message
//! to `inbound`; the heartbeat, which publishes this node's, checks the
//! others' and probes the streams; and the connection's events (lost,
//! back, slow consumer).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use actium_core::transport;
use actium_remote::protocol::Frame;
use async_nats::Event;
use futures_util::StreamExt;
use tokio::sync::mpsc::{self, error::TryRecvError};

use crate::inbound;
use crate::node::{Shared, Via};
use crate::peer::{NatsPeer, Outbound, Outgoing};

/// The decoded size one message's arguments may take, as actium-remote's
/// default.
const MAX_DECODED: usize = transport::DEFAULT_MAX_DECODED;

/// Publishes what the node queues. Single messages go in the order they
/// were queued, ahead of the streams' batches; streams with batches to
/// publish take turns, one batch each, so that one busy stream neither
/// delays heartbeats and acknowledgements nor starves the others.
/// Batches gather while the writer is busy: under load many frames go
/// out per message, when idle each frame goes at once.
pub(crate) async fn write(
    client: async_nats::Client,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    out: Arc<Outbound>,
) {
    let mut ready: VecDeque<(Arc<NatsPeer>, u64)> = VecDeque::new();
    loop {
        let next = if ready.is_empty() {
            queue.recv().await
        } else {
            match queue.try_recv() {
                Ok(next) => Some(next),
                Err(TryRecvError::Disconnected) => None,
                Err(TryRecvError::Empty) => {
                    if let Some((peer, generation)) = ready.pop_front()
                        && publish_batch(&client, &out, &peer, Some(generation)).await == Some(true)
                    {
                        ready.push_back((peer, generation));
                    }
                    continue;
                }
            }
        };
        match next {
            None => break,
            Some(Outgoing::Publish(subject, bytes)) => {
                let size = bytes.len();
                if let Err(error) = client.publish(subject, bytes).await {
                    tracing::warn!(%error, "could not publish to NATS");
                }
                out.queued.fetch_sub(size, Ordering::AcqRel);
            }
            Some(Outgoing::Flush(peer, generation)) => ready.push_back((peer, generation)),
            Some(Outgoing::Close(peers)) => {
                for peer in &peers {
                    while publish_batch(&client, &out, peer, None).await.is_some() {}
                }
                break;
            }
        }
    }
    if let Err(error) = client.flush().await {
        tracing::debug!(%error, "could not flush to NATS while leaving");
    }
}

/// Publishes the next batch of `peer`'s stream if there is one the window
/// allows; returns whether more wait, or `None` if none was published.
async fn publish_batch(
    client: &async_nats::Client,
    out: &Outbound,
    peer: &NatsPeer,
    generation: Option<u64>,
) -> Option<bool> {
    let batch = peer.take_batch(generation)?;
    let (counted, more) = (batch.counted, batch.more);
    let bytes = batch.finish(&out.seal, peer.subject());
    let lose = out
        .lose
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok();
    if !lose && let Err(error) = client.publish(peer.subject().clone(), bytes).await {
        tracing::warn!(%error, "could not publish to NATS");
    }
    out.queued.fetch_sub(counted, Ordering::AcqRel);
    Some(more)
}

pub(crate) async fn read(node: Arc<Shared>, mut messages: async_nats::Subscriber, via: Via) {
    while let Some(message) = messages.next().await {
        transport::with_decode_limit(MAX_DECODED, || {
            inbound::receive(&node, &message.payload, via);
        });
        // A flood of messages must not keep this worker from other tasks.
        tokio::task::consume_budget().await;
    }
    tracing::debug!(node = %node.address, "a NATS subscription ended");
}

pub(crate) async fn heartbeat(node: Arc<Shared>) {
    let mut ticks = node.clock.interval(node.config.heartbeat_interval);
    // An observer says what it is in its heartbeat, so that the members
    // leave it out of `cluster_nodes()`: a `Pong` where a member sends a
    // `Ping` (both are "heard" to any node, so a node that does not tell
    // them apart counts an observer as a member, as before).
    let beat = if node.config.observer {
        Frame::Pong
    } else {
        Frame::Ping
    };
    loop {
        ticks.tick().await;
        reconcile(&node);
        if let Err(reason) = node.out.send(&node.alive_subject, &beat) {
            tracing::debug!(%reason, "could not queue a heartbeat");
        }
        for peer in node.all_peers() {
            peer.check(node.config.heartbeat_timeout, &node.system);
        }
        // Cut off from NATS, this node hears no one: that says nothing
        // of the others, whose names must not be freed for it.
        if node.out.connected.load(Ordering::Acquire) {
            let gone = node.members.expire(node.config.heartbeat_timeout);
            for silent in &gone {
                tracing::info!(node = %silent, "a node of the cluster fell silent");
            }
            node.free_names_of(gone);
        }
        node.forget_departed();
    }
}

/// Acts on what the NATS client reports besides messages.
pub(crate) async fn events(node: Weak<Shared>, mut events: mpsc::Receiver<Event>) {
    while let Some(event) = events.recv().await {
        let Some(node) = node.upgrade() else { return };
        match event {
            Event::Disconnected => disconnected(&node),
            Event::Connected => reconnected(&node),
            Event::SlowConsumer(_) => slow_consumer(&node),
            Event::ServerError(error) => {
                tracing::warn!(node = %node.address, %error, "the NATS server reports an error");
            }
            Event::ClientError(error) => {
                tracing::warn!(node = %node.address, %error, "the NATS client reports an error");
            }
            Event::LameDuckMode => {
                tracing::info!(node = %node.address, "the NATS server is going away (lame duck mode)");
            }
            Event::Draining | Event::Closed => {}
        }
    }
}

/// The client's connection events come through a bounded channel that a
/// storm of slow-consumer events can overflow: each heartbeat checks the
/// client's own state, so that a lost `Connected` (or `Disconnected`) does
/// not leave the node refusing every send, or sending into the void.
fn reconcile(node: &Arc<Shared>) {
    let up = node.client.connection_state() == async_nats::connection::State::Connected;
    match (up, node.out.connected.load(Ordering::Acquire)) {
        (true, false) => reconnected(node),
        (false, true) => disconnected(node),
        _ => {}
    }
}

/// The connection to NATS is lost: sends fail at once until it is back,
/// and calls waiting for answers fail (their answers may be lost).
fn disconnected(node: &Shared) {
    if !node.out.connected.swap(false, Ordering::AcqRel) {
        return;
    }
    node.counters.disconnects.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(node = %node.address, "lost the connection to NATS; reconnecting");
    let reason = "this node lost its connection to NATS; the answer may be lost";
    for peer in node.all_peers() {
        peer.fail_waiting(reason);
    }
}

/// The connection is back (the client has subscribed again by itself):
/// the others' silence was this node's, and its names are claimed again
/// (a restarted server has lost them).
fn reconnected(node: &Arc<Shared>) {
    if node.out.connected.swap(true, Ordering::AcqRel) {
        return; // the first connection
    }
    tracing::info!(node = %node.address, "connected to NATS again");
    for peer in node.all_peers() {
        peer.grace();
    }
    node.members.heard_all();
    node.names.reopen();
    let weak = Arc::downgrade(node);
    transport::spawn(&node.system, async move {
        let Some(node) = weak.upgrade() else { return };
        let names = node.names.clone();
        names.reclaim().await;
    });
}

/// The NATS client dropped messages for this node: the answers waited for
/// may be among them, so those calls fail now rather than at their
/// deadlines.
fn slow_consumer(node: &Shared) {
    tracing::error!(
        node = %node.address,
        "this node did not take its NATS messages fast enough (slow consumer): \
         the NATS client dropped some; calls waiting for answers fail"
    );
    let reason = "this node is a NATS slow consumer: messages to it were dropped, \
                  and this call's answer may be among them";
    for peer in node.all_peers() {
        peer.fail_waiting(reason);
    }
}
