//! One connection of the simulated network: frames each way in order,
//! each handed over at its time on the receiving node.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::network::{Network, lock};
use super::peer::{OwnedResponse, SimPeer, SimResponder};
use crate::base::{ActorId, NodeId};
use crate::runtime::SystemHandle;
use crate::transport::{self, Answer, RemoteSignal, TraceContext};

/// What travels on a connection.
pub(super) enum Frame {
    Call {
        to: ActorId,
        method: &'static str,
        payload: Vec<u8>,
        /// A request-reply's id on this connection.
        ask: Option<u64>,
        trace: Option<TraceContext>,
    },
    Reply {
        id: u64,
        response: OwnedResponse,
    },
    Signal(RemoteSignal),
}

/// One end of a connection.
pub(super) struct End {
    pub(super) name: Arc<str>,
    pub(super) system: SystemHandle,
    pub(super) node: NodeId,
}

/// The connection between two nodes: frames each way in order, each
/// after its latency. Once dropped it carries nothing more; the next call
/// between the two makes a new one.
pub(super) struct Connection {
    pub(super) ends: [End; 2],
    pub(super) state: Mutex<Link>,
}

pub(super) struct Link {
    pub(super) up: bool,
    /// Frames from end `i` to the other.
    pub(super) lanes: [Lane; 2],
    /// The answers end `i` waits for, in the order of their ids (which
    /// only grow).
    pub(super) pending: [Vec<(u64, Answer)>; 2],
    pub(super) next_id: u64,
}

impl Link {
    /// A connection's state while it is new: up, nothing sent.
    pub(super) fn new() -> Self {
        Link {
            up: true,
            lanes: [Lane::default(), Lane::default()],
            pending: [Vec::new(), Vec::new()],
            next_id: 1,
        }
    }

    /// Notes that end `end` waits for the answer to request `id`, the
    /// highest id so far (`next_id` only grows).
    pub(super) fn await_answer(&mut self, end: usize, id: u64, answer: Answer) {
        let pending = &mut self.pending[end];
        debug_assert!(pending.last().is_none_or(|(last, _)| *last < id));
        pending.push((id, answer));
    }

    /// The answer end `end` waited for under `id`, taken out.
    fn answered(&mut self, end: usize, id: u64) -> Option<Answer> {
        take_by_id(&mut self.pending[end], id)
    }
}

/// Takes the entry of `id` out of `entries`, sorted by id. An emptied
/// vector keeps no buffer, as a drained lane: most connections wait for
/// one answer at a time.
fn take_by_id<T>(entries: &mut Vec<(u64, T)>, id: u64) -> Option<T> {
    let index = entries.binary_search_by_key(&id, |(id, _)| *id).ok()?;
    let (_, entry) = entries.remove(index);
    if entries.is_empty() {
        *entries = Vec::new();
    }
    Some(entry)
}

/// The frames one way on a connection, in the order sent, with the pump
/// that hands them over. Tokio's unbounded channel did this, but it
/// allocates a block of 32 frames (about 4 KiB) up front for each
/// direction of each connection: with a node per Chord node, most of a
/// simulated node's memory. This holds what is in flight and no more.
#[derive(Default)]
pub(super) struct Lane {
    frames: VecDeque<(Instant, Frame)>,
    /// The pump's, while it waits for a frame.
    waker: Option<Waker>,
    /// The connection was dropped: once `frames` is empty the lane says
    /// so (its pump, seeing the connection down at the next frame's
    /// time, has usually ended before).
    closed: bool,
    /// The pump is gone (its node crashed): frames sent are dropped.
    deaf: bool,
}

impl Lane {
    /// Queues `frame`, due at `at`, and returns the pump's waker if it
    /// waits, to be woken once the connection's lock is released.
    pub(super) fn send(&mut self, at: Instant, frame: Frame) -> Option<Waker> {
        if self.deaf {
            return None;
        }
        self.frames.push_back((at, frame));
        self.waker.take()
    }

    /// Ends the lane once its frames are taken, and returns the pump's
    /// waker if it waits.
    pub(super) fn close(&mut self) -> Option<Waker> {
        self.closed = true;
        self.waker.take()
    }

    /// When the next frame is due, for the pump, which takes it out
    /// then; `None` once the lane is closed and empty; pending (with the
    /// pump's waker kept) while it waits for one.
    fn poll_next(&mut self, cx: &Context<'_>) -> Poll<Option<Instant>> {
        if let Some((at, _)) = self.frames.front() {
            return Poll::Ready(Some(*at));
        }
        if self.closed {
            return Poll::Ready(None);
        }
        match &mut self.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => self.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Takes out the next frame, which [`poll_next`](Self::poll_next)
    /// said is due.
    fn take(&mut self) -> Option<Frame> {
        let (_, frame) = self.frames.pop_front()?;
        if self.frames.is_empty() {
            // Most connections carry one frame at a time, and a node has
            // one to every node it called or that called it: a drained
            // lane keeps no buffer.
            self.frames = VecDeque::new();
        }
        Some(frame)
    }

    /// The pump is gone: what is queued is taken out (to be dropped
    /// outside the connection's lock) and what is sent later is dropped.
    fn deafen(&mut self) -> VecDeque<(Instant, Frame)> {
        self.deaf = true;
        self.waker = None;
        std::mem::take(&mut self.frames)
    }
}

impl Connection {
    pub(super) fn end_of(&self, name: &str) -> usize {
        usize::from(&*self.ends[0].name != name)
    }
}

/// Makes a lane deaf when its pump is dropped, whether it ended, its node
/// crashed or the simulation ended, polled or not: what was queued on it
/// is dropped, as a channel's items are with its receiver.
struct Deafen {
    connection: Arc<Connection>,
    lane: usize,
}

impl Drop for Deafen {
    fn drop(&mut self) {
        let frames = lock(&self.connection.state).lanes[self.lane].deafen();
        // Freed outside the lock, which is held for the queue's own work
        // only.
        drop(frames);
    }
}

/// When the next frame from end `from` is due; `None` once the lane is
/// closed and empty.
async fn next_due(connection: &Connection, from: usize) -> Option<Instant> {
    poll_fn(|cx| lock(&connection.state).lanes[from].poll_next(cx)).await
}

/// Hands the frames from end `from` to the other end, each at its time.
/// A frame stays in its lane until it is handed over, and the wait is a
/// boxed one, so that the future, one per direction of every connection,
/// holds neither while it waits: 144 bytes, where a frame and a
/// [`Sleep`](crate::Sleep) in it made 448. The guard that deafens the
/// lane is made here, not in the future's body, so that a pump dropped
/// before its first poll deafens its lane too.
pub(super) fn pump(
    network: Weak<Network>,
    connection: Arc<Connection>,
    from: usize,
) -> impl Future<Output = ()> + Send + 'static {
    let deafen = Deafen {
        connection,
        lane: from,
    };
    async move {
        // Dropped when the pump ends, as a local, not when its future is.
        let deafen = deafen;
        let connection = &deafen.connection;
        let to = 1 - from;
        let clock = connection.ends[to].system.clock();
        while let Some(at) = next_due(connection, from).await {
            clock.sleep_until_boxed(at).await;
            let frame = {
                let mut link = lock(&connection.state);
                if !link.up {
                    return;
                }
                // Only this pump takes frames out of its lane, and its lane
                // is deafened only once it is gone: the frame due is there.
                link.lanes[from].take()
            };
            let Some(frame) = frame else { return };
            let Some(network) = network.upgrade() else {
                return;
            };
            let receiver = &connection.ends[to];
            match frame {
                Frame::Call {
                    to: actor,
                    method,
                    payload,
                    ask,
                    trace,
                } => {
                    let responder = ask.map(|id| {
                        Box::new(SimResponder::new(
                            network.me.clone(),
                            connection.clone(),
                            to,
                            id,
                        )) as crate::transport::Responder
                    });
                    if let Err(error) = transport::deliver(
                        &receiver.system,
                        actor,
                        method,
                        &payload,
                        responder,
                        trace.as_ref(),
                    ) {
                        tracing::debug!(%error, method, "a simulated call was not delivered");
                    }
                }
                Frame::Reply { id, response } => {
                    let answer = lock(&connection.state).answered(to, id);
                    if let Some(answer) = answer {
                        answer.resolve(&receiver.system, response.as_response());
                    }
                }
                Frame::Signal(signal) => {
                    if signal.receiver().node() == receiver.node {
                        let sender = &connection.ends[from].name;
                        let peer =
                            SimPeer::new(network.me.clone(), receiver.name.clone(), sender.clone());
                        transport::apply(&receiver.system, Arc::new(peer), signal);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;
    use std::time::Duration;

    use super::super::peer::OwnedResponse;
    use super::*;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn reply(id: u64) -> Frame {
        Frame::Reply {
            id,
            response: OwnedResponse::Stopped,
        }
    }

    /// The frame the lane says is due next, taken out: its id.
    fn next_id(lane: &mut Lane, waker: &Waker) -> u64 {
        let due = ready(poll(lane, waker)).expect("a frame");
        assert_eq!(lane.frames.front().map(|(at, _)| *at), Some(due));
        match lane.take() {
            Some(Frame::Reply { id, .. }) => id,
            _ => panic!("not a reply"),
        }
    }

    fn poll(lane: &mut Lane, waker: &Waker) -> Poll<Option<Instant>> {
        lane.poll_next(&Context::from_waker(waker))
    }

    #[test]
    fn frames_come_out_in_order_and_a_waiting_pump_is_handed_back_once() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut lane = Lane::default();
        let now = Instant::now();
        let ms = Duration::from_millis;
        assert!(poll(&mut lane, &waker).is_pending());
        // The first frame hands the waiting pump's waker back; the second
        // finds none (the pump has not waited again). A later frame may
        // be due sooner: it still comes second, as on TCP.
        lane.send(now + ms(5), reply(1))
            .expect("the pump waits")
            .wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(lane.send(now + ms(2), reply(2)).is_none());
        assert_eq!(next_id(&mut lane, &waker), 1);
        assert_eq!(next_id(&mut lane, &waker), 2);
        // Drained: no buffer kept.
        assert_eq!(lane.frames.capacity(), 0);
        assert!(poll(&mut lane, &waker).is_pending());
        // Closed: what was sent before still comes out, then the end.
        assert!(lane.send(now + ms(9), reply(3)).is_some());
        assert!(lane.close().is_none());
        assert_eq!(next_id(&mut lane, &waker), 3);
        assert!(matches!(poll(&mut lane, &waker), Poll::Ready(None)));
        assert!(lane.take().is_none());
    }

    #[test]
    fn closing_a_lane_wakes_its_waiting_pump_to_end() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut lane = Lane::default();
        assert!(poll(&mut lane, &waker).is_pending());
        lane.close().expect("the pump waits").wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(matches!(poll(&mut lane, &waker), Poll::Ready(None)));
    }

    #[test]
    fn a_lane_whose_pump_is_gone_drops_what_is_queued_and_sent() {
        let waker = Waker::from(Arc::new(Count::default()));
        let mut lane = Lane::default();
        let now = Instant::now();
        assert!(poll(&mut lane, &waker).is_pending());
        assert!(lane.send(now, reply(1)).is_some());
        assert_eq!(lane.deafen().len(), 1);
        assert!(lane.send(now, reply(2)).is_none());
        assert!(lane.frames.is_empty());
        assert!(lane.close().is_none(), "no pump to wake");
        // A pump that waited and is gone is not woken either.
        let mut lane = Lane::default();
        assert!(poll(&mut lane, &waker).is_pending());
        assert!(lane.deafen().is_empty());
        assert!(lane.close().is_none(), "the waker went with the pump");
    }

    /// Two systems of one simulation and a connection between them.
    fn connection() -> (Arc<Connection>, [crate::runtime::System; 2]) {
        let host =
            crate::host::Simulation::new(1, crate::host::Exploration::Random, Duration::ZERO);
        let systems = [0, 1].map(|_| crate::runtime::System::builder().start_in(&host, 0));
        let ends = [0, 1].map(|i| {
            let system = systems[i].handle().clone();
            End {
                name: format!("n{i}").into(),
                node: system.node(),
                system,
            }
        });
        let connection = Arc::new(Connection {
            ends,
            state: Mutex::new(Link::new()),
        });
        (connection, systems)
    }

    #[test]
    fn a_pump_holds_no_frame_and_no_sleep_while_it_waits() {
        let (connection, _systems) = connection();
        let pump = pump(Weak::new(), connection, 0);
        let size = std::mem::size_of_val(&pump);
        assert!(size <= 160, "a pump is {size} bytes");
    }

    #[test]
    fn a_pump_dropped_before_it_ran_drops_its_lane_s_frames() {
        let (connection, _systems) = connection();
        let now = Instant::now();
        let pump = pump(Weak::new(), connection.clone(), 0);
        assert!(
            lock(&connection.state).lanes[0]
                .send(now, reply(1))
                .is_none()
        );
        drop(pump);
        let mut link = lock(&connection.state);
        assert!(link.lanes[0].frames.is_empty());
        assert!(link.lanes[0].send(now, reply(2)).is_none());
        assert!(link.lanes[0].frames.is_empty(), "deaf");
        assert!(link.lanes[1].send(now, reply(3)).is_none());
        assert_eq!(link.lanes[1].frames.len(), 1, "the other way still hears");
    }

    #[test]
    fn an_answer_is_found_by_its_id_whatever_order_they_come_in() {
        let mut pending: Vec<(u64, &str)> = vec![(3, "c"), (5, "e"), (8, "h")];
        assert_eq!(take_by_id(&mut pending, 5), Some("e"));
        assert_eq!(take_by_id(&mut pending, 5), None);
        assert_eq!(take_by_id(&mut pending, 4), None);
        assert_eq!(take_by_id(&mut pending, 8), Some("h"));
        assert_eq!(take_by_id(&mut pending, 3), Some("c"));
        assert!(pending.is_empty());
        assert_eq!(pending.capacity(), 0, "no buffer kept");
    }

    fn ready<T>(poll: Poll<T>) -> T {
        match poll {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("pending"),
        }
    }
}
