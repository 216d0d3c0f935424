//! Recording what actors say to each other: the seam between the runtime
//! and a recorder.
//!
//! A system records once a [`Recorder`] is installed on it
//! ([`SystemHandle::record`](crate::SystemHandle::record)). From then on every message sent to its
//! actors, every method run, every answer and every exit or down signal
//! becomes an [`Event`] handed to the recorder. The `actium-trace` crate
//! provides recorders (to stdout, a JSON Lines file, memory) and draws the
//! events as sequence diagrams; this module only produces them.
//!
//! # What it costs
//!
//! While no system in the process records, each hook is one relaxed atomic
//! load and a branch: no allocation, no formatting, no lock, and envelopes
//! keep their size. While recording, a message sent carries a boxed stamp
//! (its id, sender and method), the arguments are formatted (truncated to
//! [`DETAIL_LIMIT`] bytes), and the recorder's [`record`](Recorder::record)
//! runs on the sender's thread — recorders must not block there.
//!
//! # How events link up
//!
//! Every message gets a [`MessageId`]. The answer to an ask, and the start
//! and end of the method that handles a message, carry the id of that
//! message (the *correlation id*). A message sent while a method runs names
//! the message that method handles as its *parent*, so a trace is a causal
//! tree. The running method's message is kept in the task-local frame
//! (`current`) beside the deadlock chains.

//!
//! Layout: this module is the model in the user's words (events, ids, the
//! recorder and how to install one) and the safe call of a recorder
//! (`emit`). The hooks where the runtime records live with what they
//! touch: stamping sends in `actor/stamp.rs`, method runs in
//! `call/activation.rs`, signals and names in `cell/record.rs`, a turn of
//! the loop in `runtime/runner`.
//!
//! The flight recorder (`flight.rs`) is a recorder kept by the system: a
//! ring of its last events, which a node hands out over the node protocol.
//!
//! Metrics are this module's other half: the counters every actor keeps
//! (`metrics.rs`), what a snapshot of a system holds (`snapshot.rs`), and
//! with the `metrics` feature their export through the `metrics` crate's
//! facade (`export.rs`). See `docs/OBSERVING.md`.
//!
//! *May use:* `base`.

#[cfg(feature = "metrics")]
mod export;
mod flight;
mod metrics;
mod snapshot;

pub use flight::{
    FlightRecorder, MAX_FLIGHT_EVENTS, MAX_RECENT, MAX_RECENT_ACTORS, NodeKind, RecentError,
    RecentEvent,
};
pub use metrics::is_measuring;
pub(crate) use metrics::{ActorStats, Measuring, RareCounts, StatsRead};
pub use snapshot::{ActorSnapshot, NetworkSnapshot, SystemSnapshot};

use std::fmt::{self, Write as _};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::base::{ActorLabel, NodeId};

/// How many systems in this process have a recorder: the one thing the hot
/// paths read while nobody records.
pub(crate) static RECORDING: AtomicUsize = AtomicUsize::new(0);

/// Descriptions of arguments and answers are cut after this many bytes, so
/// a huge argument costs a bounded amount of formatting.
pub const DETAIL_LIMIT: usize = 160;

/// Whether any system in this process records: one relaxed atomic load.
///
/// The runtime checks this before doing any recording work; a `true` only
/// means *some* system records.
#[inline]
pub fn is_recording() -> bool {
    RECORDING.load(Ordering::Relaxed) != 0
}

/// Identifies one message for the whole of a trace, across nodes: an ask
/// and its answer, and a message and the method run that handles it, share
/// it.
///
/// Unique in practice across processes: the high 24 bits are drawn at
/// random once per process, the low 40 count messages.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
pub struct MessageId(NonZeroU64);

const COUNTER_BITS: u32 = 40;
/// Ids are handed to threads in blocks, so threads do not contend on one
/// counter.
const BLOCK: u64 = 1024;

impl MessageId {
    /// A fresh id, unique in this process. In a simulation, the next of
    /// the simulation's own ids, so that a run's ids are its seed's.
    pub fn next() -> Self {
        if let Some(simulation) = crate::host::Simulation::driving() {
            let (salt, counter) = simulation.next_message();
            // The seed's high bits, and one set above the counter's.
            let high = ((salt >> COUNTER_BITS) << COUNTER_BITS) | (1 << COUNTER_BITS);
            let raw = high | (counter & ((1 << COUNTER_BITS) - 1));
            return MessageId(NonZeroU64::new(raw).unwrap_or(NonZeroU64::MIN));
        }
        thread_local! {
            static IDS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
        }
        static BLOCKS: AtomicU64 = AtomicU64::new(0);
        static SALT: OnceLock<u64> = OnceLock::new();
        let counter = IDS.with(|ids| {
            let (mut next, mut end) = ids.get();
            if next == end {
                next = BLOCKS.fetch_add(1, Ordering::Relaxed) * BLOCK;
                end = next + BLOCK;
            }
            ids.set((next + 1, end));
            next
        });
        let salt = *SALT.get_or_init(|| (NodeId::random().as_u64() >> COUNTER_BITS) | 1);
        let raw = (salt << COUNTER_BITS) | (counter & ((1 << COUNTER_BITS) - 1));
        // The salt has its lowest bit set, so `raw` has a bit set above the
        // counter's.
        MessageId(NonZeroU64::new(raw).unwrap_or(NonZeroU64::MIN))
    }

    /// Builds an id from its numeric form (as read back from a trace).
    pub const fn from_u64(raw: NonZeroU64) -> Self {
        MessageId(raw)
    }

    /// The numeric form of this id.
    pub const fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What an [`Event`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "remote", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EventKind {
    /// A one-way message was sent (`from` → `to`).
    Tell,
    /// A request was sent (`from` → `to`); its answer will carry its id.
    Ask,
    /// A request was answered (`from` is the actor that answered, `to` the
    /// caller).
    Reply,
    /// A request was answered with an error — the method returned `Err` or
    /// panicked — or a one-way method panicked (then `to` is the actor
    /// itself).
    Error,
    /// A linked actor's exit reached `to` (`from` is the actor that
    /// exited; the detail is the reason).
    Exit,
    /// A monitored actor's exit reached `to` as a down notification.
    Down,
    /// `to` started running the method that handles message `id`.
    Start,
    /// `to` finished the method that handles message `id`.
    End,
    /// `to` was registered under a name (the detail).
    Named,
    /// The caller (`from`) stopped waiting for request `id` to `to`: its
    /// deadline passed (the detail says how long it waited). An answer
    /// that comes after this is late: the caller never sees it.
    Timeout,
    /// Message `id` from `from` was refused at once and never reached `to`
    /// (the detail says why: the actor had stopped, or its bounded
    /// mailbox was full). The send was recorded before the refusal.
    Refused,
    /// `to` exited for good (the detail is its exit reason): its lifeline
    /// ends here.
    Stopped,
}

impl EventKind {
    /// The kind's name as traces write it: `tell`, `ask`, `reply`, `error`,
    /// `exit`, `down`, `start`, `end`, `named`, `timeout`, `refused`,
    /// `stopped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Tell => "tell",
            EventKind::Ask => "ask",
            EventKind::Reply => "reply",
            EventKind::Error => "error",
            EventKind::Exit => "exit",
            EventKind::Down => "down",
            EventKind::Start => "start",
            EventKind::End => "end",
            EventKind::Named => "named",
            EventKind::Timeout => "timeout",
            EventKind::Refused => "refused",
            EventKind::Stopped => "stopped",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded happening: a message sent or answered, a method started or
/// finished, a signal delivered, a name registered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The message this event is about (see [`EventKind`]); the correlation
    /// id that ties an answer to its request.
    pub id: MessageId,
    /// The message whose handling caused this one, if it was sent from a
    /// method.
    pub parent: Option<MessageId>,
    /// Who sent it; `None` for code outside any actor (a program's `main`).
    pub from: Option<ActorLabel>,
    /// Who it is for; `None` for code outside any actor.
    pub to: Option<ActorLabel>,
    /// The method called (for signals: `exit` or `down`; for names:
    /// `register`).
    pub method: &'static str,
    /// The arguments, the answer, the error or the exit reason, formatted
    /// with `Debug` or `Display` and cut at [`DETAIL_LIMIT`] bytes; `None`
    /// where there is nothing to say or the recorder did not want it.
    pub detail: Option<String>,
    /// When it happened, by the wall clock of the node that recorded it.
    pub at: SystemTime,
}

impl Event {
    /// An event about message `id`, happening now (on the clock of the
    /// system running this code: virtual time in a simulation), with no
    /// sender, receiver, parent or detail yet.
    pub fn new(kind: EventKind, id: MessageId, method: &'static str) -> Self {
        Event {
            kind,
            id,
            parent: None,
            from: None,
            to: None,
            method,
            detail: None,
            at: crate::host::thread_clock().wall(),
        }
    }
}

/// Receives a system's events. Installed with [`SystemHandle::record`](crate::SystemHandle::record).
///
/// Both methods are called on the thread where the event happens — often
/// an actor's, in the middle of a send. They must be quick and must not
/// block: hand the event to another thread through a bounded queue, and
/// drop (and count) what does not fit.
pub trait Recorder: Send + Sync + 'static {
    /// Whether this event is wanted. Called before the event's detail is
    /// formatted, so a recorder that filters by actor or method saves the
    /// formatting of what it drops. All events are wanted by default.
    fn wants(&self, event: &Event) -> bool {
        let _ = event;
        true
    }

    /// Takes one wanted event.
    fn record(&self, event: Event);
}

/// A system already has a recorder; it keeps it for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this system already has a recorder; a system keeps one recorder for its whole life")]
pub struct AlreadyRecording;

/// `?` on a recording's start in a function returning
/// [`actium::Result`](crate::Result) gives [`Error::AlreadyRecording`](crate::Error::AlreadyRecording).
impl From<AlreadyRecording> for crate::base::Error {
    fn from(AlreadyRecording: AlreadyRecording) -> Self {
        crate::base::Error::AlreadyRecording
    }
}

/// A system's recorder, set at most once, and the flight recorder when
/// that recorder is one (a node's `Recent` request reads it); part of the
/// system's shared state.
#[derive(Default)]
pub(crate) struct Installed(
    pub(crate) OnceLock<Arc<dyn Recorder>>,
    pub(crate) OnceLock<Arc<FlightRecorder>>,
);

impl Installed {
    pub(crate) fn get(&self) -> Option<&Arc<dyn Recorder>> {
        self.0.get()
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if self.0.get().is_some() {
            RECORDING.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// What a recorded message carries to its receiver.
#[derive(Clone, Copy)]
pub(crate) struct Stamp {
    pub(crate) id: MessageId,
    pub(crate) from: Option<ActorLabel>,
    pub(crate) method: &'static str,
    pub(crate) kind: EventKind,
}

/// What the frame of an actor handling a recorded message knows: the
/// message, and where its own events go.
pub(crate) struct Handling {
    pub(crate) stamp: Option<Stamp>,
    pub(crate) recorder: Option<Arc<dyn Recorder>>,
}

/// Writes into a string, and stops the formatting once `DETAIL_LIMIT`
/// bytes are written.
struct Capped<'a>(&'a mut String);

impl fmt::Write for Capped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = DETAIL_LIMIT.saturating_sub(self.0.len());
        if s.len() <= room {
            self.0.push_str(s);
            return Ok(());
        }
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.0.push_str(&s[..cut]);
        self.0.push('…');
        // Aborts the rest of the formatting: the description is long enough.
        Err(fmt::Error)
    }
}

/// Formats `value` with `Debug`, cut at [`DETAIL_LIMIT`] bytes.
pub(crate) fn debug_capped(out: &mut String, value: &dyn fmt::Debug) {
    let _cut = write!(Capped(out), "{value:?}");
}

pub(crate) fn display_capped(value: &dyn fmt::Display) -> String {
    let mut out = String::new();
    let _cut = write!(Capped(&mut out), "{value}");
    out
}

pub(crate) fn emit(
    recorder: &dyn Recorder,
    mut event: Event,
    detail: impl FnOnce() -> Option<String>,
) {
    // The recorder is user code, and it is called from places a panic must
    // not leave (an activation's `Drop`, the actor loop between messages):
    // a panicking recorder loses the event, with a log line, and nothing
    // else.
    let recorded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if recorder.wants(&event) {
            event.detail = detail();
            recorder.record(event);
        }
    }));
    if let Err(payload) = recorded {
        tracing::error!(
            message = %crate::base::panic_message(&*payload),
            "the recorder panicked; the event is lost"
        );
    }
}

pub(crate) fn emit_named(recorder: &Arc<dyn Recorder>, label: ActorLabel, name: String) {
    let mut event = Event::new(EventKind::Named, MessageId::next(), "register");
    event.to = Some(label);
    emit(&**recorder, event, || Some(name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique_and_print_as_sixteen_hex_digits() {
        let ids: std::collections::HashSet<MessageId> =
            (0..3 * BLOCK).map(|_| MessageId::next()).collect();
        assert_eq!(ids.len() as u64, 3 * BLOCK);
        let id = MessageId::next();
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(MessageId::from_u64(id.0), id);
    }

    #[test]
    fn message_ids_from_other_threads_differ() {
        let here = MessageId::next();
        let there = std::thread::spawn(MessageId::next).join().expect("thread");
        assert_ne!(here, there);
    }

    #[test]
    fn long_details_are_cut_at_a_character_boundary() {
        let mut out = String::new();
        debug_capped(&mut out, &"é".repeat(DETAIL_LIMIT));
        assert!(out.len() <= DETAIL_LIMIT + '…'.len_utf8());
        assert!(out.ends_with('…'));
        let mut short = String::new();
        debug_capped(&mut short, &(1, "two"));
        assert_eq!(short, r#"(1, "two")"#);
    }
}
