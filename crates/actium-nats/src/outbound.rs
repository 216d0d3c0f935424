//! The one way out of a node: what its writer task publishes, in order —
//! single messages (heartbeats, goodbyes, acknowledgements, probes) and
//! the batches of the streams to other nodes — and the bound on what may
//! wait for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use actium_core::NodeId;
use actium_remote::protocol::Frame;
use async_nats::Subject;
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::envelope::{self, Control};
use crate::flow;
use crate::node::NatsNode;
use crate::peer::NatsPeer;

/// What the writer task publishes, in order.
pub(crate) enum Outgoing {
    /// One message outside the streams (heartbeats, goodbyes,
    /// acknowledgements, probes).
    Publish(Subject, Bytes),
    /// A peer's stream has batches to publish (for the stream's
    /// generation: one that has been reset since is skipped).
    Flush(Arc<NatsPeer>, u64),
    /// Publish what these peers' streams hold, window or not, then stop
    /// (the node leaves).
    Close(Vec<Arc<NatsPeer>>),
}

/// The one way out of a node: frames are encoded here (into the stream of
/// the peer they go to, or as single messages) and published, in order,
/// by the node's writer task.
pub(crate) struct Outbound {
    pub(crate) queue: mpsc::UnboundedSender<Outgoing>,
    /// The bytes queued for the writer and not yet handed to the NATS
    /// client, streams' outboxes included: at most [`MAX_QUEUED`].
    pub(crate) queued: AtomicUsize,
    /// The most bytes one peer's stream may hold waiting: a share of
    /// [`MAX_QUEUED`], so that one node that takes nothing (stalled, or
    /// giving no credit back) cannot fill the outbox every other node's
    /// frames share.
    pub(crate) peer_cap: AtomicUsize,
    /// Whether the NATS client is connected: while it is not, sends fail
    /// at once rather than wait in buffers for a server that may not
    /// come back.
    pub(crate) connected: AtomicBool,
    /// The cluster secret that tags every message, if any.
    pub(crate) seal: envelope::Seal,
    /// The streams' window and size limits.
    pub(crate) limits: flow::Limits,
    /// Set once the node leaves: streams keep what they hold for the
    /// writer's last round instead of being reset.
    pub(crate) closing: AtomicBool,
    /// Not public API: batches the writer drops instead of publishing, so
    /// that tests can lose frames on the real path.
    pub(crate) lose: AtomicU64,
}

/// Why a frame was not sent.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The frame itself: it does not encode, or is too large.
    Frame(String),
    /// The way out: no connection to NATS, a full outbox, a closed node.
    Offline(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Frame(reason) | Refused::Offline(reason) => f.write_str(reason),
        }
    }
}

/// How many bytes may wait for the writer, as for a TCP peer: past this
/// the NATS server is not taking them (a slow or lost connection) or the
/// receivers do not give credit back, and sends fail rather than grow the
/// node's memory without bound. Counted in bytes, not messages, so that a
/// burst of a million small one-way calls waits its turn instead of being
/// refused.
pub(crate) const MAX_QUEUED: usize = 256 * 1024 * 1024;

/// How many of those bytes may wait for one peer: a quarter, so that at
/// least three other peers' traffic still fits beside a stalled one, and
/// far more than a window (4 MiB by default) of a peer that keeps up.
pub(crate) const PEER_MAX_QUEUED: usize = MAX_QUEUED / 4;

impl Outbound {
    /// The way out of node `from`, with its largest message, secret and
    /// flow-control window, queueing for the writer on `queue`.
    pub(crate) fn new(
        from: NodeId,
        max_frame: usize,
        seal: envelope::Seal,
        window: flow::Window,
        queue: mpsc::UnboundedSender<Outgoing>,
    ) -> Self {
        Outbound {
            queue,
            queued: AtomicUsize::new(0),
            peer_cap: AtomicUsize::new(PEER_MAX_QUEUED),
            connected: AtomicBool::new(true),
            limits: flow::Limits {
                from,
                window,
                max_message: max_frame,
                sealed: seal.is_sealed(),
            },
            seal,
            closing: AtomicBool::new(false),
            lose: AtomicU64::new(0),
        }
    }

    /// Whether a frame may be queued now.
    pub(crate) fn open(&self) -> Result<(), Refused> {
        // A node that is leaving sends only what it queued before: a
        // reply made by its shutdown (an actor stopped by `noconnection`
        // answering a call) must not reach the caller ahead of, or
        // instead of, the goodbye that fails the call with `NodeDown`.
        if self.closing.load(Ordering::Acquire) {
            return Err(Refused::Offline(
                "this node has left the cluster".to_owned(),
            ));
        }
        if !self.connected.load(Ordering::Acquire) {
            return Err(Refused::Offline(
                "this node's connection to NATS is lost; it reconnects by itself".to_owned(),
            ));
        }
        if self.queued.load(Ordering::Acquire) >= MAX_QUEUED {
            return Err(Refused::Offline(format!(
                "the outbox is full ({} MiB): the NATS server or the receiving node is not taking them",
                MAX_QUEUED >> 20
            )));
        }
        Ok(())
    }

    /// Queues `frame` for `subject` as one message outside the streams:
    /// heartbeats and goodbyes.
    ///
    /// # Errors
    ///
    /// Why it was not queued: it does not encode, is too large, the
    /// outbox is full, or the node has shut down.
    pub(crate) fn send(&self, subject: &Subject, frame: &Frame<'_>) -> Result<(), Refused> {
        self.open()?;
        let bytes = envelope::encode(
            self.limits.from,
            frame,
            self.limits.max_message,
            &self.seal,
            subject,
        )
        .map_err(Refused::Frame)?;
        self.publish(subject, bytes)
    }

    /// Queues an acknowledgement or a probe for `subject`.
    pub(crate) fn send_control(&self, subject: &Subject, control: Control) -> Result<(), Refused> {
        self.open()?;
        let bytes = envelope::encode_control(self.limits.from, control, &self.seal, subject);
        self.publish(subject, bytes)
    }

    fn publish(&self, subject: &Subject, bytes: Bytes) -> Result<(), Refused> {
        let size = bytes.len();
        self.queued.fetch_add(size, Ordering::AcqRel);
        self.queue
            .send(Outgoing::Publish(subject.clone(), bytes))
            .map_err(|_closed| {
                self.queued.fetch_sub(size, Ordering::AcqRel);
                Refused::Offline("the node has shut down".to_owned())
            })
    }

    /// The node leaves: the writer publishes what `peers`' streams hold,
    /// then stops. Returns whether the writer was still there to do it.
    pub(crate) fn close(&self, peers: Vec<Arc<NatsPeer>>) -> bool {
        self.closing.store(true, Ordering::Release);
        self.queue.send(Outgoing::Close(peers)).is_ok()
    }
}

impl NatsNode {
    /// Not public API: the node's writer drops its next `batches` batches
    /// of frames to other nodes instead of publishing them (their
    /// sequence numbers spent), so that tests can lose frames on the real
    /// path.
    #[doc(hidden)]
    pub fn lose_next_batches(&self, batches: u64) {
        self.shared.out.lose.store(batches, Ordering::Release);
    }

    /// Not public API: how many other nodes this node tracks (peers not
    /// forgotten), so that tests can see one forgotten.
    #[doc(hidden)]
    pub fn tracked_nodes(&self) -> usize {
        self.shared.all_peers().len()
    }

    /// Not public API: how many forgotten nodes' sending epochs this node
    /// keeps, so that tests can see which departed nodes are remembered.
    #[doc(hidden)]
    pub fn remembered_nodes(&self) -> usize {
        crate::node::lock(&self.shared.departed).len()
    }

    /// Not public API: sets how many bytes may wait for one other node
    /// (a quarter of the outbox by default), so that tests can fill it.
    #[doc(hidden)]
    pub fn limit_outbox_per_node(&self, bytes: usize) {
        self.shared.out.peer_cap.store(bytes, Ordering::Release);
    }
}
