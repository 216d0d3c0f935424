//! One node's join, recorded while it happens, and drawn as a sequence
//! diagram.
//!
//! A ring of a thousand nodes exchanges thousands of messages a second, so
//! the recording keeps only the messages of one join: the `join` call and
//! everything it causes (the lookup of the newcomer's successor, hop by
//! hop, and the hand-over of its keys), then the newcomer's first
//! `stabilize` and everything that causes (`notify`, the pushed successor
//! lists, the replicas). "Causes" follows the trace's parent links: a
//! message sent while a method runs is caused by the message that method
//! handles. The recorder's filter builds that causal tree as events arrive,
//! before their arguments are formatted, so the rest of the ring costs a
//! look-up in a set per event.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actium::observe::{AlreadyRecording, Event, EventKind, MessageId};
use actium::prelude::*;
use actium::trace::{
    Diagram, Filter, Format, JsonLines, Kind, Memory, Record, Recording, Sink, merge,
};

use super::ring::{Ring, RingError};

/// Why a join could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The ring has no member to join through.
    #[error("the ring is empty: there is no node to join through")]
    EmptyRing,
    /// The join failed.
    #[error(transparent)]
    Ring(#[from] RingError),
    /// Naming the participants failed.
    #[error(transparent)]
    Actium(#[from] actium::Error),
    /// The system records already; a system keeps one recorder.
    #[error(transparent)]
    AlreadyRecording(#[from] AlreadyRecording),
    /// Some messages of the join were still being handled at the limit.
    #[error("the join's messages were not all handled within {0:?}")]
    Unfinished(Duration),
    /// The recorder's queue overflowed, so the trace misses messages.
    #[error("the recorder dropped {0} events")]
    Dropped(u64),
    /// Writing the files failed.
    #[error("cannot write the trace: {0}")]
    Io(#[from] io::Error),
}

/// One more node joins `ring` while the messages of that join are
/// recorded; returns them in causal order. The newcomer, the member it
/// joins through, and its successor and predecessor on the true ring are
/// registered under those names (`newcomer`, `via`, `successor`,
/// `predecessor`), so a diagram's lifelines say who is who. Waits up to
/// `limit` for the join, and again for its messages to be handled.
///
/// The ring's system keeps the recorder afterwards (closed): every later
/// send carries a stamp, so record last.
///
/// # Errors
///
/// [`TraceError`]: an empty ring, a failed join, a system that already
/// records, messages unhandled or dropped.
pub async fn record_join(ring: &mut Ring, limit: Duration) -> Result<Vec<Record>, TraceError> {
    let system = SystemHandle::current();
    let (newcomer, via) = ring.prepare_join().ok_or(TraceError::EmptyRing)?;
    let successor = ring.successor_of(newcomer.id).clone();
    let predecessor = ring.predecessor_of(newcomer.id).clone();
    for (name, peer) in [
        ("newcomer", &newcomer),
        ("successor", &successor),
        ("predecessor", &predecessor),
        ("via", &via),
    ] {
        // A member may be both, say, `via` and `successor`: one name will do.
        let named = system.registered_actors();
        if named.iter().all(|(_, label)| *label != peer.node.label()) {
            system.register(name, &peer.node)?;
        }
    }

    let tree = Arc::new(Mutex::new(JoinMessages::new(newcomer.node.id())));
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(memory.clone())
        .only(move |event| {
            // Only set operations run under this lock.
            let mut tree = tree.lock().unwrap_or_else(PoisonError::into_inner);
            tree.keeps(event)
        })
        .start(&system)?;
    ring.join_through(newcomer, via, limit).await?;
    // The tree is complete once the newcomer's first stabilize after the
    // join was sent and every message in it has been handled: messages are
    // only sent by running methods.
    let complete = |records: &[Record]| {
        let sent: HashSet<_> = (records.iter())
            .filter(|r| r.kind.is_send())
            .map(|r| r.id)
            .collect();
        let ended: HashSet<_> = (records.iter())
            .filter(|r| r.kind == Kind::End)
            .map(|r| r.id)
            .collect();
        let stabilized = records.iter().any(|r| r.method == "stabilize");
        stabilized && sent.is_subset(&ended)
    };
    let waited = actium::blocking(move || memory.wait_for(limit, complete)).await?;
    let summary = recording.finish();
    let records = waited.map_err(|_| TraceError::Unfinished(limit))?;
    if summary.dropped > 0 {
        return Err(TraceError::Dropped(summary.dropped));
    }
    Ok(merge(vec![records]))
}

/// Where [`write_join`] put a recorded join.
#[derive(Clone, Debug)]
pub struct JoinFiles {
    /// The recorded messages, as JSON Lines (`actium trace` reads them).
    pub trace: PathBuf,
    /// The sequence diagram.
    pub svg: PathBuf,
    /// How many arrows the diagram draws.
    pub messages: usize,
}

/// Writes a recorded join into `dir` (created if need be): `join.jsonl`
/// and its sequence diagram, `join.svg`.
///
/// # Errors
///
/// If the directory or a file cannot be written.
pub fn write_join(records: &[Record], dir: &Path) -> Result<JoinFiles, TraceError> {
    std::fs::create_dir_all(dir)?;
    let (trace, svg) = (dir.join("join.jsonl"), dir.join("join.svg"));
    let mut lines = JsonLines::create(&trace)?;
    for record in records {
        lines.write(record)?;
    }
    lines.flush()?;
    let diagram = Diagram::build(records, &Filter::default());
    std::fs::write(&svg, Format::Svg.render(&diagram))?;
    Ok(JoinFiles {
        trace,
        svg,
        messages: diagram.message_count(),
    })
}

/// The recorder's filter: the causal tree of the newcomer's `join` and of
/// its first `stabilize` after it, built as events arrive.
struct JoinMessages {
    newcomer: ActorId,
    /// Every message in the tree.
    tree: HashSet<MessageId>,
    join: Option<MessageId>,
    joined: bool,
    stabilize: Option<MessageId>,
}

impl JoinMessages {
    fn new(newcomer: ActorId) -> Self {
        JoinMessages {
            newcomer,
            tree: HashSet::new(),
            join: None,
            joined: false,
            stabilize: None,
        }
    }

    fn keeps(&mut self, event: &Event) -> bool {
        if self.tree.contains(&event.id) {
            // An answer, or a method run, of a message in the tree.
            if Some(event.id) == self.join
                && matches!(event.kind, EventKind::Reply | EventKind::Error)
            {
                self.joined = true;
            }
            return true;
        }
        let to_newcomer = event.to.is_some_and(|to| to.id() == self.newcomer);
        let root = match (event.kind, event.method) {
            (EventKind::Ask, "join") if to_newcomer && self.join.is_none() => {
                self.join = Some(event.id);
                true
            }
            // Sent by its timer once the join has been answered.
            (EventKind::Tell, "stabilize")
                if to_newcomer && self.joined && self.stabilize.is_none() =>
            {
                self.stabilize = Some(event.id);
                true
            }
            _ => false,
        };
        let caused = matches!(event.kind, EventKind::Tell | EventKind::Ask)
            && event
                .parent
                .is_some_and(|parent| self.tree.contains(&parent));
        if root || caused {
            self.tree.insert(event.id);
            return true;
        }
        // Names, so lifelines are named.
        event.kind == EventKind::Named
    }
}
