//! The node's three kinds of task: the writer, which publishes what the
//! node sends in the order it was sent; a reader per subscription (the
//! node's own subject, the cluster's heartbeats), which hands each message
//! to the node; and the heartbeat, which publishes this node's and checks
//! the others'.

use std::sync::Arc;

use actium_core::transport;
use actium_remote::protocol::Frame;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::node::{Shared, Via};
use crate::peer::Outgoing;

/// The decoded size one message's arguments may take, as actium-remote's
/// default.
const MAX_DECODED: usize = transport::DEFAULT_MAX_DECODED;

pub(crate) async fn write(client: async_nats::Client, mut queue: mpsc::Receiver<Outgoing>) {
    while let Some(outgoing) = queue.recv().await {
        match outgoing {
            Outgoing::Publish(subject, bytes) => {
                if let Err(error) = client.publish(subject, bytes).await {
                    tracing::warn!(%error, "could not publish to NATS");
                }
            }
            Outgoing::Close => break,
        }
    }
    if let Err(error) = client.flush().await {
        tracing::debug!(%error, "could not flush to NATS while leaving");
    }
}

pub(crate) async fn read(node: Arc<Shared>, mut messages: async_nats::Subscriber, via: Via) {
    while let Some(message) = messages.next().await {
        transport::with_decode_limit(MAX_DECODED, || node.dispatch(&message.payload, via));
        // A flood of messages must not keep this worker from other tasks.
        tokio::task::consume_budget().await;
    }
    tracing::debug!(node = %node.address, "a NATS subscription ended");
}

pub(crate) async fn heartbeat(node: Arc<Shared>) {
    let mut ticks = node.clock.interval(node.config.heartbeat_interval);
    loop {
        ticks.tick().await;
        if let Err(reason) = node.out.send(&node.alive_subject, &Frame::Ping) {
            tracing::debug!(%reason, "could not queue a heartbeat");
        }
        for peer in node.all_peers() {
            peer.check(node.config.heartbeat_timeout, &node.system);
        }
        node.forget_departed();
    }
}
