//! [`Recording`]: the recorder that hands a system's events to sinks.
//!
//! Events are produced on the threads where they happen — in the middle of
//! an actor's send. The recording must not slow those down much nor ever
//! block them, so it hands each event to one writer thread through a
//! bounded, lock-free queue (`std::sync::mpsc::sync_channel`, an array of
//! slots claimed with atomics). What does not fit is dropped and counted,
//! and the count is written to the trace as a `dropped` record: a trace may
//! be incomplete under overload, but never silently.
//!
//! The writer never sleeps *on* the queue: a receiver blocked in `recv`
//! would make every sender take the queue's waker lock to wake it. It
//! drains the queue, and naps a millisecond when it finds it empty.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actium_core::observe::{AlreadyRecording, Event, EventKind, Recorder};
use actium_core::{ActorId, NodeId, SystemHandle};

use crate::record::Record;
use crate::sink::Sink;

/// Events the queue holds unless [`RecordingBuilder::capacity`] says
/// otherwise.
pub const DEFAULT_CAPACITY: usize = 16_384;

/// How long the writer naps when it finds the queue empty.
const NAP: Duration = Duration::from_millis(1);

/// Write errors kept for the [`Summary`]; later ones are only counted.
const KEPT_ERRORS: usize = 8;

type Keep = Box<dyn Fn(&Event) -> bool + Send + Sync>;

/// Records one system's messages into sinks, from
/// [`start`](RecordingBuilder::start) until [`finish`](Recording::finish)
/// (or drop).
///
/// ```
/// use actium::prelude::*;
/// use actium_trace::{Memory, Recording};
///
/// #[derive(Default)]
/// struct Counter { n: u64 }
///
/// #[actor]
/// impl Counter {
///     #[tell]
///     fn incr(&mut self, by: u64) { self.n += by; }
///     #[ask]
///     fn get(&self) -> u64 { self.n }
/// }
///
/// let system = System::builder().start()?;
/// let memory = Memory::new();
/// let recording = Recording::builder().sink(memory.clone()).start(system.handle())?;
/// let counter = Counter::default().spawner().system(system.handle()).spawn();
/// counter.incr(5)?;
/// assert_eq!(counter.get().wait()?, 5);
/// // The method run ends just after its answer leaves: wait for it.
/// let records = memory
///     .wait_for(std::time::Duration::from_secs(5), |r| r.len() == 7)
///     .expect("tell, start, end, ask, start, reply, end");
/// assert_eq!(records[0].detail.as_deref(), Some("5"));
/// assert_eq!(recording.finish().dropped, 0);
/// # drop(records);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recording {
    tap: Arc<Tap>,
    writer: Option<JoinHandle<Summary>>,
}

/// Configures a [`Recording`]; from [`Recording::builder`].
#[must_use = "a builder records nothing until started"]
pub struct RecordingBuilder {
    sinks: Vec<Box<dyn Sink>>,
    capacity: usize,
    keep: Vec<Keep>,
    node_url: Option<String>,
}

/// What a finished recording did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Records handed to the sinks.
    pub written: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Sink errors (the first few; the rest are counted in
    /// `failed_writes`).
    pub errors: Vec<String>,
    /// Writes or flushes that failed.
    pub failed_writes: u64,
}

/// What the system's hook holds: the queue's sending end and the filters.
struct Tap {
    queue: SyncSender<Item>,
    open: AtomicBool,
    dropped: AtomicU64,
    keep: Vec<Keep>,
}

enum Item {
    Event(Event),
    Flush(mpsc::Sender<()>),
    Finish,
}

impl Recorder for Tap {
    fn wants(&self, event: &Event) -> bool {
        self.open.load(Ordering::Relaxed) && self.keep.iter().all(|keep| keep(event))
    }

    fn record(&self, event: Event) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(Item::Event(event))
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Recording {
    /// Starts configuring a recording.
    pub fn builder() -> RecordingBuilder {
        RecordingBuilder {
            sinks: Vec::new(),
            capacity: DEFAULT_CAPACITY,
            keep: Vec::new(),
            node_url: None,
        }
    }

    /// Blocks until every event recorded before the call is written and
    /// the sinks are flushed.
    pub fn flush(&self) {
        let (done, flushed) = mpsc::channel();
        if self.tap.queue.send(Item::Flush(done)).is_ok() {
            // An error means the writer has ended: nothing left to flush.
            let _ = flushed.recv();
        }
    }

    /// Events dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.tap.dropped.load(Ordering::Relaxed)
    }

    /// Stops recording, writes what was recorded, flushes the sinks and
    /// says what was done. Events after this are ignored (the system keeps
    /// the recording's hook, closed, until it is dropped).
    pub fn finish(mut self) -> Summary {
        self.stop()
    }

    fn stop(&mut self) -> Summary {
        self.tap.open.store(false, Ordering::Relaxed);
        let Some(writer) = self.writer.take() else {
            return Summary::default();
        };
        // `send` waits for room: the end must not be dropped.
        let _ = self.tap.queue.send(Item::Finish);
        let mut summary = writer.join().unwrap_or_else(|_| Summary {
            errors: vec!["the trace writer panicked".to_owned()],
            ..Summary::default()
        });
        summary.dropped = self.dropped();
        summary
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording")
            .field("open", &self.tap.open.load(Ordering::Relaxed))
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl RecordingBuilder {
    /// Adds a sink; every record goes to every sink.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// How many events may wait for the writer ([`DEFAULT_CAPACITY`]
    /// unless set); past that, events are dropped and counted. The queue
    /// takes this many slots of memory up front.
    pub fn capacity(mut self, events: usize) -> Self {
        self.capacity = events.max(1);
        self
    }

    /// Records only events for which `keep` is true. It runs on the thread
    /// of the event, before the event's arguments are formatted: keep it
    /// cheap. Several filters must all agree.
    pub fn only(mut self, keep: impl Fn(&Event) -> bool + Send + Sync + 'static) -> Self {
        self.keep.push(Box::new(keep));
        self
    }

    /// Records only messages to or from these actors (and their method
    /// runs).
    pub fn actors(self, actors: impl IntoIterator<Item = ActorId>) -> Self {
        let actors: Vec<ActorId> = actors.into_iter().collect();
        self.only(move |event| {
            [event.from, event.to]
                .into_iter()
                .flatten()
                .any(|label| actors.contains(&label.id()))
        })
    }

    /// Records only calls of these methods (and their answers and runs).
    pub fn methods(self, methods: impl IntoIterator<Item = &'static str>) -> Self {
        let methods: Vec<&'static str> = methods.into_iter().collect();
        self.only(move |event| event.kind == EventKind::Named || methods.contains(&event.method))
    }

    /// The node's address, written into every record (`node_url`).
    pub fn node_url(mut self, url: impl Into<String>) -> Self {
        self.node_url = Some(url.into());
        self
    }

    /// Installs the recording on `system` and starts its writer thread.
    ///
    /// # Errors
    ///
    /// [`AlreadyRecording`] if the system has a recorder.
    ///
    /// # Panics
    ///
    /// Panics if the writer thread cannot be started.
    pub fn start(self, system: &SystemHandle) -> Result<Recording, AlreadyRecording> {
        if system.is_recording() {
            return Err(AlreadyRecording);
        }
        let (queue, events) = mpsc::sync_channel(self.capacity);
        let tap = Arc::new(Tap {
            queue,
            open: AtomicBool::new(true),
            dropped: AtomicU64::new(0),
            keep: self.keep,
        });
        let writer = Writer {
            events,
            sinks: self.sinks,
            node: system.node(),
            node_url: self.node_url,
            names: HashMap::new(),
            tap: tap.clone(),
            reported_drops: 0,
            summary: Summary::default(),
        };
        let writer = std::thread::Builder::new()
            .name("actium-trace-writer".to_owned())
            .spawn(move || writer.run())
            .unwrap_or_else(|error| panic!("cannot start the trace writer thread: {error}"));
        let recording = Recording {
            tap: tap.clone(),
            writer: Some(writer),
        };
        system.record(tap)?;
        Ok(recording)
    }
}

/// The writer thread's state.
struct Writer {
    events: Receiver<Item>,
    sinks: Vec<Box<dyn Sink>>,
    node: NodeId,
    node_url: Option<String>,
    /// Registered names by actor, to name participants.
    names: HashMap<ActorId, String>,
    tap: Arc<Tap>,
    reported_drops: u64,
    summary: Summary,
}

impl Writer {
    fn run(mut self) -> Summary {
        let mut dirty = false;
        loop {
            match self.events.try_recv() {
                Ok(Item::Event(event)) => {
                    self.write_event(&event);
                    dirty = true;
                }
                Ok(Item::Flush(done)) => {
                    self.report_drops();
                    self.flush();
                    dirty = false;
                    let _ = done.send(());
                }
                Ok(Item::Finish) | Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    if dirty {
                        self.report_drops();
                        self.flush();
                        dirty = false;
                    }
                    std::thread::sleep(NAP);
                }
            }
        }
        self.report_drops();
        self.flush();
        self.summary
    }

    fn write_event(&mut self, event: &Event) {
        if event.kind == EventKind::Named {
            if let (Some(actor), Some(name)) = (event.to, &event.detail) {
                self.names.entry(actor.id()).or_insert_with(|| name.clone());
            }
        }
        let mut record = Record::from_event(event, self.node, self.node_url.as_deref());
        for (participant, label) in [(&mut record.from, event.from), (&mut record.to, event.to)] {
            if let (Some(participant), Some(label)) = (participant, label) {
                participant.name = self.names.get(&label.id()).cloned();
            }
        }
        self.write(&record);
    }

    /// Writes a `dropped` record for drops not reported yet.
    fn report_drops(&mut self) {
        let dropped = self.tap.dropped.load(Ordering::Relaxed);
        if dropped > self.reported_drops {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
            let record = Record::dropped(
                dropped - self.reported_drops,
                now,
                self.node,
                self.node_url.as_deref(),
            );
            self.reported_drops = dropped;
            self.write(&record);
        }
    }

    fn write(&mut self, record: &Record) {
        self.summary.written += 1;
        for sink in &mut self.sinks {
            if let Err(error) = sink.write(record) {
                note_error(&mut self.summary, &error);
            }
        }
    }

    fn flush(&mut self) {
        for sink in &mut self.sinks {
            if let Err(error) = sink.flush() {
                note_error(&mut self.summary, &error);
            }
        }
    }
}

fn note_error(summary: &mut Summary, error: &std::io::Error) {
    summary.failed_writes += 1;
    if summary.errors.len() < KEPT_ERRORS {
        summary.errors.push(error.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Participant;
    use actium_core::observe::MessageId;
    use actium_core::{ActorLabel, System};

    /// A tap on `queue`, open, that keeps what every one of `keep` wants.
    fn tap(queue: mpsc::SyncSender<Item>, keep: Vec<Keep>) -> Tap {
        Tap {
            queue,
            open: AtomicBool::new(true),
            dropped: AtomicU64::new(0),
            keep,
        }
    }

    fn event(kind: EventKind, to: u64) -> Event {
        let mut event = Event::new(kind, MessageId::next(), "m");
        event.to = Some(ActorLabel::new(ActorId::new(NodeId::from_u64(1), to), "T"));
        event
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_the_trace_says_so() {
        let (queue, events) = mpsc::sync_channel(2);
        let tap = tap(queue, Vec::new());
        for _ in 0..5 {
            tap.record(event(EventKind::Tell, 1));
        }
        assert_eq!(tap.dropped.load(Ordering::Relaxed), 3);
        assert_eq!(events.try_iter().count(), 2);
    }

    #[test]
    fn filters_must_all_agree_and_a_closed_tap_wants_nothing() {
        let (queue, _events) = mpsc::sync_channel(2);
        let tap = tap(
            queue,
            vec![
                Box::new(|e: &Event| e.kind == EventKind::Tell),
                Box::new(|e: &Event| e.to.is_some_and(|a| a.id().local() == 1)),
            ],
        );
        assert!(tap.wants(&event(EventKind::Tell, 1)));
        assert!(!tap.wants(&event(EventKind::Ask, 1)));
        assert!(!tap.wants(&event(EventKind::Tell, 2)));
        tap.open.store(false, Ordering::Relaxed);
        assert!(!tap.wants(&event(EventKind::Tell, 1)));
    }

    #[test]
    fn names_registered_earlier_name_later_records() {
        let system = System::builder().start().expect("system");
        let memory = crate::Memory::new();
        let recording = Recording::builder()
            .sink(memory.clone())
            .start(system.handle())
            .expect("records");
        let tap: &dyn Recorder = &*recording.tap;
        let mut named = event(EventKind::Named, 4);
        named.detail = Some("store".into());
        tap.record(named);
        tap.record(event(EventKind::Tell, 4));
        recording.flush();
        let records = memory.records();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1].to.as_ref().and_then(|p| p.name.clone()),
            Some("store".into())
        );
        assert_eq!(
            records[1].to.as_ref().map(Participant::label).as_deref(),
            Some("T#4")
        );
        assert!(matches!(
            Recording::builder().start(system.handle()),
            Err(AlreadyRecording)
        ));
        assert_eq!(recording.finish().written, 2);
    }
}
