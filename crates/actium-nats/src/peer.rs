//! One other node of the cluster as this node sees it: the subject its
//! frames go to, the calls waiting for its answers, and whether it is
//! alive (its heartbeats).
//!
//! There is no connection per node: every node keeps one connection to
//! NATS, and a peer is a subject plus bookkeeping. A peer is *down* once
//! no heartbeat or frame has come from its node for the heartbeat timeout,
//! or when its node said goodbye: then every call waiting on it fails with
//! `NodeDown`, every link and monitor that crossed to it fires with
//! `NoConnection`, and new calls fail at once until it is heard again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actium_core::transport::{self, OutgoingCall, Peer, RemoteSignal, Respond, Response};
use actium_core::{Clock, Error, NodeId, SystemHandle};
use actium_remote::protocol::{Frame, NodeAnswer, PendingCalls, Request, Taken};
use async_nats::Subject;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::envelope;

/// What the writer task publishes, in order.
pub(crate) enum Outgoing {
    /// One message.
    Publish(Subject, Bytes),
    /// Flush what is queued, then stop (the node shuts down).
    Close,
}

/// The one way out of a node: frames are encoded here and published, in
/// the order they were sent, by the node's writer task.
pub(crate) struct Outbound {
    pub(crate) from: NodeId,
    pub(crate) max_frame: usize,
    pub(crate) queue: mpsc::UnboundedSender<Outgoing>,
    /// The bytes queued for the writer and not yet handed to the NATS
    /// client: at most [`MAX_QUEUED`].
    pub(crate) queued: Arc<AtomicUsize>,
    /// Whether the NATS client is connected: while it is not, sends fail
    /// at once rather than wait in buffers for a server that may not
    /// come back.
    pub(crate) connected: AtomicBool,
    /// The cluster secret that tags every message, if any.
    pub(crate) seal: envelope::Seal,
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
/// the NATS server is not taking them (a slow or lost connection), and
/// sends fail rather than grow the node's memory without bound. Counted in
/// bytes, not messages, so that a burst of a million small one-way calls
/// waits its turn instead of being refused.
pub(crate) const MAX_QUEUED: usize = 256 * 1024 * 1024;

impl Outbound {
    /// Queues `frame` for `subject`.
    ///
    /// # Errors
    ///
    /// Why it was not queued: it does not encode, is too large, the
    /// outbox is full (the NATS server is not taking messages), or the
    /// node has shut down.
    pub(crate) fn send(&self, subject: &Subject, frame: &Frame<'_>) -> Result<(), Refused> {
        if !self.connected.load(Ordering::Acquire) {
            return Err(Refused::Offline(
                "this node's connection to NATS is lost; it reconnects by itself".to_owned(),
            ));
        }
        let bytes = envelope::encode(self.from, frame, self.max_frame, &self.seal, subject)
            .map_err(Refused::Frame)?;
        let size = bytes.len();
        if self.queued.fetch_add(size, Ordering::AcqRel) + size > MAX_QUEUED {
            self.queued.fetch_sub(size, Ordering::AcqRel);
            return Err(Refused::Offline(format!(
                "the outbox is full ({} MiB): the NATS server is not taking them",
                MAX_QUEUED >> 20
            )));
        }
        self.queue
            .send(Outgoing::Publish(subject.clone(), bytes))
            .map_err(|_closed| {
                self.queued.fetch_sub(size, Ordering::AcqRel);
                Refused::Offline("the node has shut down".to_owned())
            })
    }
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
}

impl NatsPeer {
    pub(crate) fn new(
        address: String,
        node: NodeId,
        subject: Subject,
        out: Arc<Outbound>,
        clock: Clock,
        quiet: Duration,
    ) -> Self {
        NatsPeer {
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
            }),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Only bookkeeping runs under this lock; answers are resolved and
        // relations fired after it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn down_error(&self, reason: &str) -> Error {
        Error::NodeDown {
            node: self.address.clone(),
            reason: reason.to_owned(),
        }
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

    /// The node said goodbye: down for good (see [`went_down`](Self::went_down)).
    pub(crate) fn left(&self, reason: &str, system: &SystemHandle) {
        self.lock().left_at = Some(self.clock.now());
        self.went_down(reason, system);
    }

    /// Declares the node down for `reason`: fails what waits on it and
    /// fires the relations that crossed to it.
    pub(crate) fn went_down(&self, reason: &str, system: &SystemHandle) {
        let pending = {
            let mut state = self.lock();
            if state.down.is_some() {
                return;
            }
            state.down = Some(reason.to_owned());
            state.pending.take_all()
        };
        tracing::warn!(peer = %self.address, %reason, "node down");
        // Dropped request senders tell their requesters.
        pending.fail(|| self.down_error(reason));
        transport::connection_lost(system, self.node);
    }

    /// The heartbeat's check: forgets answers whose callers gave up, and
    /// declares the node down if it has been silent for `timeout`.
    pub(crate) fn check(&self, timeout: Duration, system: &SystemHandle) {
        let silent = {
            let mut state = self.lock();
            state.pending.sweep();
            self.clock.now().saturating_duration_since(state.heard)
        };
        if silent > timeout && self.lock().down.is_none() {
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
            self.went_down(&reason, system);
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
        state.down.is_some() && state.pending.is_empty()
    }

    /// A response to a call of ours arrived.
    pub(crate) fn answered(&self, id: u64, response: Response<'_>, system: &SystemHandle) {
        // A reply under a request's id is the peer's mistake and must not
        // take the request's place.
        let taken = self.lock().pending.take_call(id);
        if let Taken::Found(answer) = taken {
            answer.resolve(system, response);
        }
    }

    /// An answer to a request of ours arrived.
    pub(crate) fn request_answered(&self, id: u64, answer: NodeAnswer) {
        let taken = self.lock().pending.take_request(id);
        if let Taken::Found(sender) = taken {
            let _ = sender.send(answer);
        }
    }

    /// Asks the node itself (a look-up), waiting at most `timeout`.
    pub(crate) async fn request(
        &self,
        request: Request<'_>,
        timeout: Duration,
    ) -> Result<NodeAnswer, Error> {
        let (sender, receiver) = oneshot::channel();
        {
            let mut state = self.lock();
            if let Some(reason) = &state.down {
                return Err(self.down_error(reason));
            }
            let id = state.pending.next_id();
            state.pending.add_request(id, sender);
            if let Err(reason) = self
                .out
                .send(&self.subject, &Frame::Request { id, request })
            {
                state.pending.forget(id);
                return Err(self.down_error(&reason.to_string()));
            }
        }
        match self.clock.timeout(timeout, receiver).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_dropped)) => {
                let reason = self.lock().down.clone();
                Err(self.down_error(reason.as_deref().unwrap_or("the node went away")))
            }
            Err(_elapsed) => Err(self.down_error(&format!("no answer within {timeout:?}"))),
        }
    }
}

impl Peer for NatsPeer {
    fn address(&self) -> &str {
        &self.address
    }

    fn is_connected(&self) -> bool {
        self.lock().down.is_none()
    }

    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Error> {
        let mut state = self.lock();
        if let Some(reason) = &state.down {
            return Err(self.down_error(reason));
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
            None => self.out.send(
                &self.subject,
                &Frame::Tell {
                    to,
                    method,
                    payload,
                    trace,
                },
            ),
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
                    trace,
                };
                let sent = self.out.send(&self.subject, &frame);
                if sent.is_err() {
                    state.pending.forget(id);
                }
                sent
            }
        };
        sent.map_err(|refused| match refused {
            Refused::Frame(message) => Error::Codec {
                actor_type: "?".to_owned(),
                method: method.to_owned(),
                message,
            },
            Refused::Offline(reason) => self.down_error(&reason),
        })
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        if let Some(reason) = &self.lock().down {
            return Err(self.down_error(reason));
        }
        self.out
            .send(&self.subject, &Frame::Signal(signal))
            .map_err(|reason| self.down_error(&reason.to_string()))
    }
}

/// Answers a request-reply from another node: the reply is published to
/// the caller's node subject.
pub(crate) struct Responder {
    pub(crate) out: Arc<Outbound>,
    pub(crate) subject: Subject,
    pub(crate) id: u64,
}

impl Respond for Responder {
    fn respond(self: Box<Self>, response: Response<'_>) {
        let frame = Frame::Reply {
            id: self.id,
            response,
        };
        if let Err(reason) = self.out.send(&self.subject, &frame) {
            // A value too large to send: the caller is told why rather
            // than left to its deadline.
            tracing::warn!(subject = %self.subject, %reason, "could not send a reply");
            let rejected = Response::Rejected(transport::Rejection::Other(reason.to_string()));
            let _ = self.out.send(
                &self.subject,
                &Frame::Reply {
                    id: self.id,
                    response: rejected,
                },
            );
        }
    }
}
