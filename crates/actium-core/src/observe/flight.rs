//! The flight recorder: the last messages a system's actors exchanged,
//! kept in a bounded ring so that a running node can say what just
//! happened (`actium observe` draws it as a live sequence diagram).
//!
//! It is a [`Recorder`] like any other, so it costs nothing while no
//! system in the process records (the hooks' one relaxed load), and,
//! while on, what recording costs plus one short lock per event. A node
//! starts one when asked (`NodeBuilder::flight_recorder` in
//! actium-remote) and answers the node protocol's `Recent` request from
//! it; the ring is the system's, so every network layer on the system
//! answers from the same one.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use super::{Event, EventKind, MessageId, Recorder};
use crate::base::{ActorId, ActorLabel};

/// The most events a flight recorder keeps, whatever it was asked for:
/// with details of at most [`DETAIL_LIMIT`](super::DETAIL_LIMIT) bytes,
/// some 20 MiB at worst.
pub const MAX_FLIGHT_EVENTS: usize = 65_536;

/// The most events one `Recent` answer carries, whatever was asked for:
/// it must fit a frame, and a diagram of more is unreadable anyway.
pub const MAX_RECENT: usize = 10_000;

/// The most actors one `Recent` request may name: a diagram of more
/// lifelines is unreadable, and a node answers a longer list with
/// [`RecentError::TooManyActors`] rather than check each.
pub const MAX_RECENT_ACTORS: usize = 1_000;

/// Keeps the last events of a system in a ring: messages, answers,
/// signals, refusals, timeouts, stops and names (method starts and ends
/// are not kept, so the ring holds more messages).
///
/// ```
/// use std::sync::Arc;
/// use actium::prelude::*;
/// use actium::observe::FlightRecorder;
///
/// #[derive(Default)]
/// struct Counter { n: u64 }
///
/// #[actor]
/// impl Counter {
///     #[ask]
///     fn incr(&mut self) -> u64 { self.n += 1; self.n }
/// }
///
/// let system = System::builder().start()?;
/// let flight = Arc::new(FlightRecorder::new(2));
/// system.handle().record(flight.clone())?;
/// let counter = Counter::default().spawner().system(system.handle()).spawn();
/// counter.incr().wait()?;
/// counter.incr().wait()?;
/// // The ring holds two events: the second ask and its answer.
/// let recent = flight.recent(&[], 10);
/// assert_eq!(recent.len(), 2);
/// assert_eq!(recent[1].detail.as_deref(), Some("2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FlightRecorder {
    capacity: usize,
    ring: Mutex<VecDeque<Event>>,
}

/// One event of a flight recorder, as the node protocol carries it: an
/// [`Event`] with its method as owned text.
///
/// actium-trace turns it into a trace record
/// (`actium_trace::Record::from_recent`) to draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct RecentEvent {
    /// What happened.
    pub kind: EventKind,
    /// The message it is about (see [`Event::id`]).
    pub id: MessageId,
    /// The message whose handling caused it.
    pub parent: Option<MessageId>,
    /// The sender; `None` for code outside any actor.
    pub from: Option<ActorLabel>,
    /// The receiver; `None` for code outside any actor.
    pub to: Option<ActorLabel>,
    /// The method called.
    pub method: String,
    /// Arguments, answer, error or reason, cut at
    /// [`DETAIL_LIMIT`](super::DETAIL_LIMIT) bytes.
    pub detail: Option<String>,
    /// When, by the recording node's wall clock.
    pub at: SystemTime,
}

/// Why a node gave no recent events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RecentError {
    /// The node keeps no flight recorder: it was not asked to (its
    /// builder's `flight_recorder`), or its system already had another
    /// recorder. `node` says which builder, for the message.
    #[error(
        "the node keeps no flight recorder (start it with `{}`)",
        node.flight_recorder_call()
    )]
    Off {
        /// The kind of node that answered, as the client that asked knows
        /// it.
        node: NodeKind,
    },
    /// An actor asked about is neither live on the node nor in its flight
    /// recorder.
    #[error("no actor {0} on the node, live or in its flight recorder")]
    UnknownActor(ActorId),
    /// The request named more actors than a node looks for at once.
    #[error("asked about {asked} actors; a node looks for at most {limit} at once")]
    TooManyActors {
        /// How many the request named.
        asked: usize,
        /// [`MAX_RECENT_ACTORS`].
        limit: usize,
    },
}

/// The network layer a node runs on, so that an error can say how to
/// configure that node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum NodeKind {
    /// A TCP node (actium-remote's `Node`): what the core assumes when it
    /// answers, and what a network layer corrects on its client's side.
    #[default]
    Tcp,
    /// A node of a NATS cluster (actium-nats' `NatsNode`).
    Nats,
}

impl NodeKind {
    /// The builder call that starts a flight recorder on this kind of
    /// node.
    pub fn flight_recorder_call(self) -> &'static str {
        match self {
            NodeKind::Tcp => "Node::builder().flight_recorder(n)",
            NodeKind::Nats => "NatsNode::builder().flight_recorder(n)",
        }
    }
}

impl RecentError {
    /// This error as a node of kind `node` gave it: an
    /// [`Off`](RecentError::Off) names that node's builder. Network layers
    /// call it on the answers they receive, since the answering code
    /// (shared by every layer) does not know which layer asked.
    #[must_use]
    pub fn from_node(self, node: NodeKind) -> Self {
        match self {
            RecentError::Off { .. } => RecentError::Off { node },
            other => other,
        }
    }
}

impl FlightRecorder {
    /// A flight recorder keeping the last `capacity` events (at least one,
    /// at most [`MAX_FLIGHT_EVENTS`]). Install it with
    /// [`SystemHandle::record`](crate::SystemHandle::record).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_FLIGHT_EVENTS);
        FlightRecorder {
            capacity,
            ring: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    /// How many events it keeps at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, VecDeque<Event>> {
        // The ring is valid after any panic: pushes and pops are whole.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The last `last` events (at most [`MAX_RECENT`]) that involve one
    /// of `actors` as sender or receiver — of every actor if `actors` is
    /// empty — oldest first.
    ///
    /// Takes the ring's lock while it looks through the ring (one set
    /// lookup an event, whatever the number of actors) and copies what it
    /// returns; the system's actors recording meanwhile wait for it.
    pub fn recent(&self, actors: &[ActorId], last: usize) -> Vec<RecentEvent> {
        let last = last.min(MAX_RECENT);
        let wanted: HashSet<ActorId> = actors.iter().copied().collect();
        let ring = self.ring();
        let mut chosen: Vec<RecentEvent> = ring
            .iter()
            .rev()
            .filter(|event| wanted.is_empty() || involves(event, &wanted))
            .take(last)
            .map(|event| RecentEvent {
                kind: event.kind,
                id: event.id,
                parent: event.parent,
                from: event.from,
                to: event.to,
                method: event.method.to_owned(),
                detail: event.detail.clone(),
                at: event.at,
            })
            .collect();
        drop(ring);
        chosen.reverse();
        chosen
    }

    /// Whether an event in the ring involves `actor`.
    pub fn mentions(&self, actor: ActorId) -> bool {
        self.unmentioned(HashSet::from([actor])).is_empty()
    }

    /// Those of `actors` that no event in the ring involves, found in one
    /// pass over the ring.
    pub(crate) fn unmentioned(&self, mut actors: HashSet<ActorId>) -> HashSet<ActorId> {
        if actors.is_empty() {
            return actors;
        }
        let ring = self.ring();
        for event in ring.iter() {
            for label in [event.from, event.to].into_iter().flatten() {
                actors.remove(&label.id());
            }
            if actors.is_empty() {
                break;
            }
        }
        actors
    }
}

fn involves(event: &Event, actors: &HashSet<ActorId>) -> bool {
    [event.from, event.to]
        .into_iter()
        .flatten()
        .any(|label| actors.contains(&label.id()))
}

impl Recorder for FlightRecorder {
    fn wants(&self, event: &Event) -> bool {
        // Method runs would take two slots per message; the diagram is
        // about who said what.
        !matches!(event.kind, EventKind::Start | EventKind::End)
    }

    fn record(&self, event: Event) {
        let mut ring = self.ring();
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(event);
    }
}

impl std::fmt::Debug for FlightRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlightRecorder")
            .field("capacity", &self.capacity)
            .field("events", &self.ring().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::NodeId;

    fn label(local: u64) -> ActorLabel {
        ActorLabel::new(ActorId::new(NodeId::from_u64(1), local), "T")
    }

    fn tell(from: u64, to: u64) -> Event {
        let mut event = Event::new(EventKind::Tell, MessageId::next(), "m");
        event.from = Some(label(from));
        event.to = Some(label(to));
        event
    }

    #[test]
    fn the_ring_keeps_the_last_events_and_filters_by_actor() {
        let flight = FlightRecorder::new(3);
        for to in [2, 3, 4, 2] {
            flight.record(tell(1, to));
        }
        let all = flight.recent(&[], 100);
        let receivers: Vec<u64> = all
            .iter()
            .filter_map(|e| e.to.map(|l| l.id().local()))
            .collect();
        assert_eq!(receivers, [3, 4, 2], "the oldest went first");
        let to_two = flight.recent(&[label(2).id()], 100);
        assert_eq!(to_two.len(), 1);
        assert_eq!(flight.recent(&[], 1).len(), 1);
        assert!(flight.mentions(label(4).id()));
        assert!(!flight.mentions(label(9).id()));
    }

    #[test]
    fn capacities_are_clamped_and_method_runs_are_not_kept() {
        assert_eq!(FlightRecorder::new(0).capacity(), 1);
        assert_eq!(
            FlightRecorder::new(usize::MAX).capacity(),
            MAX_FLIGHT_EVENTS
        );
        let flight = FlightRecorder::new(4);
        assert!(!flight.wants(&Event::new(EventKind::Start, MessageId::next(), "m")));
        assert!(flight.wants(&tell(1, 2)));
    }
}
