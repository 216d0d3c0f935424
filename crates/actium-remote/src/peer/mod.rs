//! One remote node as this node sees it: its connection state, the bytes
//! waiting for it, and the calls waiting for its answers.
//!
//! A [`PeerHandle`] lives as long as anyone refers to the node (references,
//! the node's peer table); connections come and go under it. Its phase:
//!
//! ```text
//!   Idle ──first use──▶ Connecting ──handshake──▶ Up ──lost──▶ Down
//!    ▲                     │  ▲                     │           │
//!    │                     │  └──── a use after the back-off ───┘
//!    │                     └──failed──▶ Down        │
//!    └──────────── closed for being idle ───────────┘
//! ```
//!
//! Calls made while connecting are queued and go out once the connection
//! is up; while down, calls fail at once with `NodeDown` until the back-off
//! ends and a use tries again. While a connection is up, a one-way call
//! takes only the outbox's lock, not the peer's (`calls.rs`). When a
//! connection ends, every call waiting for an answer from it fails with
//! `NodeDown`, and every link and monitor that crossed it fires with
//! `NoConnection`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use actium_core::transport::{self, Response};
use actium_core::{ActorId, Clock, Error, NodeId, SystemHandle, TaskHandle};
use tokio::sync::oneshot;

use crate::node::NodeShared;
use crate::outbox::{Crowded, Outbox, Refused, Socket};
use crate::pending::{PendingCalls, Taken};
use crate::wire::{self, Frame, NodeAnswer, Request};

mod calls;

pub(crate) use calls::Responder;

/// The first wait before reconnecting to a node that went down; it
/// doubles with each failed attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(crate) struct PeerHandle {
    /// This handle itself, for starting connections from `&self`.
    me: Weak<PeerHandle>,
    address: String,
    pub(crate) node: Weak<NodeShared>,
    state: Mutex<State>,
    pub(crate) outbox: Outbox,
    /// Set by every frame sent or received other than a heartbeat;
    /// cleared by the sweep for idle peers, which notes the time.
    used: AtomicBool,
    /// The node's clock: timeouts and back-off read it.
    clock: Clock,
    /// Held by the connection's reader for each poll in which it acts on
    /// frames, and by whatever ends or replaces the connection (`close`
    /// runs in it): the calls the reader acted on reach their actors
    /// before `noconnection`, whichever task ends the connection (see
    /// `connection::reader`).
    inbound: Mutex<()>,
}

struct State {
    phase: Phase,
    /// The peer's node id, as its last handshake said.
    node_id: Option<NodeId>,
    /// Calls and requests waiting for an answer, by id.
    pending: PendingCalls,
    /// Nodes that calls and signals were addressed to before the
    /// connection was up: if it never comes up, their relations fire.
    addressed: HashSet<NodeId>,
    backoff: Duration,
    /// The running connection's tasks, aborted when it is replaced.
    tasks: Vec<TaskHandle>,
    /// The last time the sweep for idle peers found this one in use.
    busy_at: Instant,
}

#[derive(Clone)]
enum Phase {
    Idle,
    Connecting { generation: u64 },
    Up { generation: u64 },
    Down { reason: String, retry_at: Instant },
}

/// What a listener decides about a connection a peer opened.
pub(crate) enum Admission {
    /// Use it; it replaced a connection to this earlier run of the node,
    /// if any.
    Accept(Option<NodeId>),
    /// Refuse it: another connection between the two nodes stays.
    Duplicate,
}

impl PeerHandle {
    pub(crate) fn new(
        address: String,
        node: Weak<NodeShared>,
        clock: Clock,
        max_frame: usize,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| PeerHandle {
            me: me.clone(),
            address,
            node,
            state: Mutex::new(State {
                phase: Phase::Idle,
                node_id: None,
                pending: PendingCalls::new(),
                addressed: HashSet::new(),
                backoff: FIRST_BACKOFF,
                tasks: Vec::new(),
                busy_at: clock.now(),
            }),
            clock,
            outbox: Outbox::new(max_frame),
            used: AtomicBool::new(false),
            inbound: Mutex::new(()),
        })
    }

    /// Notes traffic other than heartbeats: the peer is not idle.
    pub(crate) fn touch(&self) {
        // Read first: under load the flag is set already, and a read
        // leaves the cache line shared.
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// Whether nothing uses this peer: no connection, no call waiting, and
    /// no reference but the table's. Called under the table's lock.
    pub(crate) fn is_unused(self: &Arc<Self>) -> bool {
        let state = self.lock();
        matches!(state.phase, Phase::Idle | Phase::Down { .. })
            && state.pending.is_empty()
            && Arc::strong_count(self) == 1
    }

    /// Whether the peer has been idle for `timeout` at `now`: no traffic
    /// but heartbeats, no calls or requests waiting, no links or monitors
    /// through it (in `system`), and no reference to it but the table's
    /// and its connection's. Called under the table's lock, every sweep.
    pub(crate) fn is_idle(
        self: &Arc<Self>,
        now: Instant,
        timeout: Duration,
        system: &SystemHandle,
    ) -> bool {
        let mut state = self.lock();
        // The table holds one reference; a running connection's tasks one
        // more; references, proxies in links and monitors, replies being
        // computed and requests in flight hold the others.
        let held = match state.phase {
            Phase::Up { .. } => 2,
            Phase::Idle | Phase::Down { .. } => 1,
            Phase::Connecting { .. } => 0,
        };
        let busy = self.used.swap(false, Ordering::Relaxed)
            || !state.pending.is_empty()
            || Arc::strong_count(self) > held
            || state
                .node_id
                .is_some_and(|node| transport::has_relations(system, node));
        if busy {
            state.busy_at = now;
            return false;
        }
        now.saturating_duration_since(state.busy_at) >= timeout
    }

    /// Disconnects an idle peer the table has let go: says goodbye with
    /// the reason that tells the other node this one is not down, and
    /// closes the connection once the goodbye is written.
    pub(crate) fn retire(self: Arc<Self>) {
        let generation = match self.lock().phase {
            Phase::Up { generation } => generation,
            _ => return,
        };
        self.send_if_connected(&Frame::Bye {
            reason: wire::IDLE.into(),
        });
        let Some(node) = self.node.upgrade() else {
            return;
        };
        node.spawn(async move {
            let drained = self.outbox.drained();
            let _ = self.clock.timeout(Duration::from_secs(1), drained).await;
            self.went_idle(generation);
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Only bookkeeping runs under this lock; answers are resolved and
        // relations fired after it is released.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The reader's turn to act on what it read: ending or replacing the
    /// connection waits for it. Never held when calling `ended`,
    /// `went_idle`, `admit` or `established`, which take it; a holder
    /// ends a connection with [`ended_in_turn`](Self::ended_in_turn).
    pub(crate) fn inbound(&self) -> MutexGuard<'_, ()> {
        self.inbound.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    pub(crate) fn is_up(&self) -> bool {
        matches!(self.lock().phase, Phase::Up { .. })
    }

    fn down_error(&self, reason: &str) -> Error {
        Error::NodeDown {
            node: self.address.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Makes sure a connection is up or on its way; fails while the node
    /// is down and its back-off has not ended.
    fn ensure(&self, state: &mut State, to: NodeId) -> Result<(), Error> {
        match &state.phase {
            Phase::Up { .. } => return Ok(()),
            Phase::Connecting { .. } => {}
            Phase::Down { reason, retry_at } if self.clock.now() < *retry_at => {
                return Err(self.down_error(reason));
            }
            Phase::Idle | Phase::Down { .. } => {
                let (Some(node), Some(me)) = (self.node.upgrade(), self.me.upgrade()) else {
                    return Err(self.down_error("this node has shut down"));
                };
                let generation = node.next_generation();
                state.phase = Phase::Connecting { generation };
                node.connect(me, generation);
            }
        }
        state.addressed.insert(to);
        Ok(())
    }

    /// Queues a frame that is not a call. The caller relieves a crowded
    /// outbox once it has let go of the state's lock (writing may take a
    /// system call).
    fn queue(&self, frame: &Frame<'_>) -> Result<Crowded, Error> {
        self.queued(self.outbox.push(frame))
    }

    /// The error of a frame (not a call) the outbox refused, if it did.
    fn queued(&self, pushed: Result<Crowded, Refused>) -> Result<Crowded, Error> {
        let nobody = ActorId::new(NodeId::from_u64(0), 0);
        pushed.map_err(|refused| *self.refused(refused, nobody, "?"))
    }

    /// The error of a call of `method` on `to` (or of another frame) the
    /// outbox refused.
    #[cold]
    fn refused(&self, refused: Refused, to: ActorId, method: &'static str) -> Box<Error> {
        Box::new(match refused {
            Refused::Frame(error) => Error::Rejected {
                actor: actium_core::ActorLabel::new(to, "?"),
                method,
                reason: error.to_string(),
            },
            Refused::Overloaded => self
                .down_error("its send buffer is full: the node does not read what is sent to it"),
            // Only `push_tell` refuses so, and its caller goes on without it.
            Refused::NotUp => self.down_error("no connection is up"),
        })
    }

    /// Queues a frame for the peer if a connection is up or coming; for
    /// answers and replies, which are dropped with their connection.
    pub(crate) fn send_if_connected(&self, frame: &Frame<'_>) {
        let connected = matches!(
            self.lock().phase,
            Phase::Up { .. } | Phase::Connecting { .. }
        );
        if connected {
            match self.queued(self.outbox.push_reply(frame)) {
                Ok(crowded) => self.outbox.relieve(crowded),
                Err(error) => tracing::warn!(peer = %self.address, %error, "answer not sent"),
            }
        }
    }

    /// Sends a request to the node itself and waits for its answer.
    pub(crate) async fn request(
        &self,
        request: Request<'_>,
        timeout: Duration,
    ) -> Result<NodeAnswer, Error> {
        let (sender, receiver) = oneshot::channel();
        let crowded = {
            let mut state = self.lock();
            // The node id is not known before the first handshake; requests
            // carry no relations, so any id will do for the bookkeeping.
            let to = state.node_id.unwrap_or(NodeId::from_u64(0));
            self.ensure(&mut state, to)?;
            self.touch();
            let id = state.pending.next_id();
            let crowded = self.queue(&Frame::Request { id, request })?;
            state.pending.add_request(id, sender);
            crowded
        };
        self.outbox.relieve(crowded);
        match self.clock.timeout(timeout, receiver).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_closed)) => Err(self.down_error(
                &self
                    .last_reason()
                    .unwrap_or_else(|| "the connection closed".to_owned()),
            )),
            Err(_elapsed) => Err(self.down_error(&format!("no answer within {timeout:?}"))),
        }
    }

    fn last_reason(&self) -> Option<String> {
        match &self.lock().phase {
            Phase::Down { reason, .. } => Some(reason.clone()),
            _ => None,
        }
    }

    /// A response to a call of ours arrived.
    pub(crate) fn answered(
        &self,
        id: u64,
        response: Response<'_>,
        system: &actium_core::SystemHandle,
    ) {
        // Calls and requests share ids: a reply under a request's id is
        // the peer's mistake, and must not take the request's place
        // (dropping it would fail the request as if the connection had
        // closed). It stays for its real answer.
        let taken = self.lock().pending.take_call(id);
        match taken {
            Taken::Found(answer) => answer.resolve(system, response),
            Taken::WrongKind => {
                tracing::warn!(peer = %self.address, id, "ignored a call reply under a node request's id");
            }
            Taken::Missing => {} // its caller gave up, or it was never made
        }
    }

    /// An answer to a request of ours arrived.
    pub(crate) fn request_answered(&self, id: u64, answer: NodeAnswer) {
        // As in `answered`: an answer under a call's id would otherwise
        // drop the call, which its caller reads as the actor stopping.
        let taken = self.lock().pending.take_request(id);
        match taken {
            Taken::Found(sender) => {
                let _gave_up = sender.send(answer);
            }
            Taken::WrongKind => {
                tracing::warn!(peer = %self.address, id, "ignored a node answer under a call's id");
            }
            Taken::Missing => {}
        }
    }

    /// Forgets calls whose callers gave up; called on every heartbeat.
    pub(crate) fn sweep(&self) {
        self.lock().pending.sweep();
    }

    /// Decides about a connection the peer `node` opened to us, and if it
    /// is accepted makes it the peer's connection at once (as generation
    /// `generation`). `mine` is this node's id.
    ///
    /// The rules keep one connection per pair of nodes even when both
    /// connect at the same moment: while our own connection to the peer is
    /// still being set up, the one opened by the smaller node id wins (both
    /// sides decide alike, so both keep the same one); while one is up to
    /// the same node, it stays (the peer retries once it has seen it die);
    /// a connection from a new run of the node replaces the old one.
    /// Returns the node whose relations must fire because its connection
    /// was replaced.
    pub(crate) fn admit(&self, node: NodeId, mine: NodeId, generation: u64) -> Admission {
        // The replaced connection's reader stops at its next poll, and
        // acts on nothing once the old run's relations fire.
        let _inbound = self.inbound();
        let mut state = self.lock();
        let keep_ours = match state.phase {
            Phase::Up { .. } => state.node_id == Some(node),
            Phase::Connecting { .. } => mine < node,
            Phase::Idle | Phase::Down { .. } => false,
        };
        if keep_ours {
            return Admission::Duplicate;
        }
        let replaced = match state.phase {
            Phase::Up { .. } => state.node_id.filter(|old| *old != node),
            _ => None,
        };
        // Calls sent to the node's previous run will never be answered.
        let orphans = replaced.map(|_| state.pending.take_all());
        self.install(&mut state, generation, node);
        drop(state);
        if let Some(orphans) = orphans {
            orphans.fail(|| self.down_error("the node restarted"));
        }
        Admission::Accept(replaced)
    }

    /// Our connection finished its handshake: it becomes the peer's
    /// connection, unless the peer's own connection to us won meanwhile.
    pub(crate) fn established(&self, generation: u64, node: NodeId) -> bool {
        let _inbound = self.inbound();
        let mut state = self.lock();
        if !matches!(state.phase, Phase::Connecting { generation: g } if g == generation) {
            return false;
        }
        self.install(&mut state, generation, node);
        true
    }

    fn install(&self, state: &mut State, generation: u64, node: NodeId) {
        for task in std::mem::take(&mut state.tasks) {
            task.abort();
        }
        // Until the new connection attaches its socket, what is queued
        // waits for it: the old socket must not take it (a crowded send
        // would write it to the dead connection, and lose it).
        self.outbox.installed();
        state.phase = Phase::Up { generation };
        state.node_id = Some(node);
        state.backoff = FIRST_BACKOFF;
        state.addressed.clear();
    }

    /// Makes `socket` the one queued frames go to, if connection
    /// `generation` is still the peer's (neither replaced nor ended);
    /// returns whether it is. Under the peer's lock, as
    /// [`install`](Self::install) and [`close`](Self::close) run: a
    /// connection replaced or ended between its installation and its
    /// start (the accepting node sends `Ready` in between, and another
    /// thread may admit a newer one or close it for being idle) must not
    /// take the frames meant for the connection after it, whose socket
    /// may be attached already.
    pub(crate) fn attach(&self, generation: u64, socket: Arc<Socket>) -> bool {
        let state = self.lock();
        let current = matches!(state.phase, Phase::Up { generation: g } if g == generation);
        if current {
            self.outbox.attach(socket);
        }
        current
    }

    /// Hands over the tasks of connection `generation`; aborts them if it is
    /// no longer the current one.
    pub(crate) fn set_tasks(&self, generation: u64, tasks: Vec<TaskHandle>) {
        let mut state = self.lock();
        if matches!(state.phase, Phase::Up { generation: g } if g == generation) {
            state.tasks = tasks;
        } else {
            for task in tasks {
                task.abort();
            }
        }
    }

    /// A connection attempt or a connection ended. If it is the current
    /// one, the peer goes down: waiting calls fail, relations fire.
    pub(crate) fn ended(&self, generation: u64, reason: &str) {
        self.close(&self.inbound(), generation, reason, false);
    }

    /// [`ended`](Self::ended), by a task that holds the inbound turn.
    pub(crate) fn ended_in_turn(&self, turn: &MutexGuard<'_, ()>, generation: u64, reason: &str) {
        self.close(turn, generation, reason, false);
    }

    /// Whether connection `generation` is still the peer's: its reader
    /// acts on nothing more once it is not.
    pub(crate) fn is_current(&self, generation: u64) -> bool {
        // A reader runs only once its connection is installed (`Up`).
        matches!(self.lock().phase, Phase::Up { generation: g } if g == generation)
    }

    /// Connection `generation` was closed for being idle, by either node:
    /// as [`ended`](Self::ended), but the node is not down, so the next
    /// use connects again at once.
    pub(crate) fn went_idle(&self, generation: u64) {
        let turn = self.inbound();
        self.close(
            &turn,
            generation,
            "the connection was closed for being idle",
            true,
        );
    }

    /// Ends connection `generation` in the inbound turn `_turn`: a reader
    /// at work on a read has finished it, and acts on no other.
    fn close(&self, _turn: &MutexGuard<'_, ()>, generation: u64, reason: &str, idle: bool) {
        let (pending, nodes) = {
            let mut state = self.lock();
            let current = match state.phase {
                Phase::Connecting { generation: g } | Phase::Up { generation: g } => {
                    g == generation
                }
                Phase::Idle | Phase::Down { .. } => false,
            };
            if !current {
                return;
            }
            if idle {
                state.phase = Phase::Idle;
                state.backoff = FIRST_BACKOFF;
            } else {
                let retry_at = self.clock.now() + state.backoff;
                state.backoff = (state.backoff * 2).min(MAX_BACKOFF);
                state.phase = Phase::Down {
                    reason: reason.to_owned(),
                    retry_at,
                };
            }
            for task in std::mem::take(&mut state.tasks) {
                task.abort();
            }
            self.outbox.clear();
            let mut nodes: HashSet<NodeId> = std::mem::take(&mut state.addressed);
            nodes.extend(state.node_id);
            (state.pending.take_all(), nodes)
        };
        tracing::debug!(peer = %self.address, %reason, "connection ended");
        // A dropped request sender tells its waiter the node is down.
        pending.fail(|| self.down_error(reason));
        if let Some(node) = self.node.upgrade() {
            for lost in nodes {
                if lost != node.id() {
                    transport::connection_lost(node.system(), lost);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
