//! The sequence diagram of one node's join, recorded while it happens.
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
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actium::observe::{Event, EventKind, MessageId};
use actium::prelude::*;
use actium::trace::{Diagram, Filter, Format, JsonLines, Kind, Memory, Record, Recording, merge};
use actium_examples::chord::Ring;

/// What was written.
pub struct JoinTrace {
    /// The recorded messages, as JSON Lines.
    pub trace: PathBuf,
    /// The sequence diagram.
    pub svg: PathBuf,
    /// How many arrows it draws.
    pub messages: usize,
}

/// One more node joins `ring` while its messages are recorded; writes
/// `join.jsonl` and `join.svg` into `dir`. The newcomer, the member it
/// joins through, and its successor and predecessor on the true ring are
/// registered under those names, so the diagram's lifelines say who is
/// who.
pub async fn record_join(
    ring: &mut Ring,
    dir: &Path,
    limit: Duration,
) -> Result<JoinTrace, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let (trace, svg) = (dir.join("join.jsonl"), dir.join("join.svg"));
    let system = SystemHandle::current();
    let (newcomer, via) = ring.prepare_join().ok_or("the ring is empty")?;
    let successor = ring.successor_of(newcomer.id).clone();
    let predecessor = ring.predecessor_of(newcomer.id).clone();
    for (name, peer) in [
        ("newcomer", &newcomer),
        ("successor", &successor),
        ("predecessor", &predecessor),
        ("via", &via),
    ] {
        // A member may be both, say, `via` and `successor`: one name will do.
        if system
            .registered_actors()
            .iter()
            .all(|(_, label)| *label != peer.node.label())
        {
            system.register(name, &peer.node)?;
        }
    }

    let tree = Arc::new(Mutex::new(JoinMessages::new(newcomer.node.id())));
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(JsonLines::create(&trace)?)
        .sink(memory.clone())
        .only(move |event| {
            tree.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .keeps(event)
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
    let records =
        waited.map_err(|_| format!("the join's messages did not all end within {limit:?}"))?;
    if summary.dropped > 0 {
        return Err(format!("the recorder dropped {} events", summary.dropped).into());
    }
    let diagram = Diagram::build(&merge(vec![records]), &Filter::default());
    std::fs::write(&svg, Format::Svg.render(&diagram))?;
    Ok(JoinTrace {
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
