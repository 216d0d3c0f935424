//! What the page shows, as pure functions of what the CLI last heard from
//! the node: the state as JSON (the same figures as `actium top`, rates
//! from the last two snapshots), and the flight recorder's events as a
//! sequence diagram drawn by actium-trace's SVG renderer.

use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use actium_core::ActorId;
use actium_core::observe::{ActorSnapshot, RecentEvent, SystemSnapshot};
use actium_trace::{Diagram, Filter, Format, Record};
use serde_json::{Value, json};

use crate::top::View;

/// Everything the server knows, updated by the poller each interval.
#[derive(Debug, Default)]
pub struct Watch {
    /// The last two snapshots, and why the last request failed if it did.
    pub view: View,
    /// Snapshots received so far: the page shows it, and tests see it
    /// grow.
    pub updates: u64,
    /// The diagram of the last events, or why there is none.
    pub diagram: Option<Result<String, String>>,
    /// How many messages the diagram draws.
    pub events: usize,
}

/// The actors `wanted` names (registered names, labels such as
/// `Worker#4`, or types), by id.
///
/// # Errors
///
/// A sentence naming the first word that matches no live actor.
pub fn resolve(snapshot: &SystemSnapshot, wanted: &[String]) -> Result<Vec<ActorId>, String> {
    let mut ids = Vec::new();
    for word in wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        let before = ids.len();
        ids.extend(
            snapshot
                .actors
                .iter()
                .filter(|a| {
                    a.name.as_deref() == Some(word) || a.label() == word || a.type_name == word
                })
                .map(|a| a.id),
        );
        if ids.len() == before {
            return Err(format!(
                "no actor `{word}` is live on the node: give a registered name, a label \
                 (Worker#4) or a type"
            ));
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The flight recorder's events as trace records, actors named by the
/// snapshot's registered names.
pub fn records(events: &[RecentEvent], snapshot: &SystemSnapshot) -> Vec<Record> {
    let url = snapshot.network.as_ref().map(|n| n.address.as_str());
    let names: HashMap<ActorId, &str> = snapshot
        .names
        .iter()
        .map(|(name, id)| (*id, name.as_str()))
        .collect();
    events
        .iter()
        .map(|event| {
            let mut record = Record::from_recent(event, snapshot.node, url);
            for (participant, label) in [(&mut record.from, event.from), (&mut record.to, event.to)]
            {
                if let (Some(participant), Some(label)) = (participant, label) {
                    participant.name = names.get(&label.id()).map(|n| (*n).to_owned());
                }
            }
            record
        })
        .collect()
}

/// The records drawn as an SVG sequence diagram, and how many messages it
/// draws.
pub fn diagram(records: &[Record]) -> (String, usize) {
    let diagram = Diagram::build(records, &Filter::default());
    let drawn = diagram.steps.len();
    (Format::Svg.render(&diagram), drawn)
}

/// The state as the page's JSON.
pub fn json(watch: &Watch, node: &str, interval_ms: u64) -> Value {
    let current = watch.view.current.as_ref();
    let network = current.and_then(|c| c.network.clone()).unwrap_or_default();
    let listed = watch.view.listed();
    let label = |id: ActorId| {
        current
            .and_then(|c| c.actor(id))
            .map_or_else(|| id.to_string(), ActorSnapshot::label)
    };
    let labels = |ids: &[ActorId]| ids.iter().map(|id| label(*id)).collect::<Vec<_>>();
    let actors: Vec<Value> = listed
        .iter()
        .map(|row| {
            let a = row.actor;
            json!({
                "label": a.label(),
                "name": a.name,
                "depth": a.mailbox_depth,
                "rate": (row.rate * 10.0).round() / 10.0,
                "handled": a.handled,
                "errors": a.errors,
                "panics": a.panics,
                "restarts": a.restarts,
                "busy_us": u64::try_from(a.busy.as_micros()).unwrap_or(u64::MAX),
                "doing": a.doing,
                "parent": a.parent.map(label),
                "links": labels(&a.links),
                "monitors": labels(&a.monitors),
                "monitored_by": labels(&a.monitored_by),
                "last_exit": a.last_exit,
            })
        })
        .collect();
    let names: Vec<Value> = current
        .map(|c| {
            c.names
                .iter()
                .map(|(name, id)| json!({ "name": name, "actor": label(*id) }))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "node": node,
        "address": network.address,
        "connections": network.connections,
        "bytes_in": network.bytes_in,
        "bytes_out": network.bytes_out,
        "measuring": current.is_some_and(|c| c.measuring),
        "taken_at_ms": current
            .and_then(|c| c.taken_at.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        "updates": watch.updates,
        "interval_ms": interval_ms,
        "problem": watch.view.problem,
        "diagram_problem": watch.diagram.as_ref().and_then(|d| d.as_ref().err()),
        "events": watch.events,
        "actors": actors,
        "tree": current.map(tree).unwrap_or_default(),
        "names": names,
    })
}

/// The supervision tree, depth first, as rows of `{depth, label, name}`.
fn tree(snapshot: &SystemSnapshot) -> Vec<Value> {
    fn walk(snapshot: &SystemSnapshot, actor: &ActorSnapshot, depth: usize, rows: &mut Vec<Value>) {
        // Parents are set by spawning, so the tree has no cycle; the bound
        // only guards against a malformed snapshot from the network.
        if depth > 32 {
            return;
        }
        rows.push(json!({ "depth": depth, "label": actor.label(), "name": actor.name }));
        for child in snapshot.children(actor.id) {
            walk(snapshot, child, depth + 1, rows);
        }
    }
    let mut rows = Vec::new();
    let roots = snapshot
        .actors
        .iter()
        .filter(|a| a.parent.is_none_or(|p| snapshot.actor(p).is_none()));
    for root in roots {
        walk(snapshot, root, 0, &mut rows);
    }
    rows
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use actium_core::observe::{EventKind, MessageId};
    use actium_core::{ActorLabel, NodeId};

    use super::*;

    fn id(local: u64) -> ActorId {
        ActorId::new(NodeId::from_u64(9), local)
    }

    fn actor(local: u64, type_name: &str, name: Option<&str>) -> ActorSnapshot {
        ActorSnapshot {
            id: id(local),
            type_name: type_name.to_owned(),
            name: name.map(str::to_owned),
            parent: None,
            mailbox_depth: local,
            handled: 10 * local,
            errors: 0,
            panics: 0,
            restarts: 0,
            last_exit: None,
            busy: Duration::ZERO,
            doing: None,
            links: Vec::new(),
            monitors: Vec::new(),
            monitored_by: Vec::new(),
        }
    }

    fn snapshot() -> SystemSnapshot {
        let mut worker = actor(2, "Worker", None);
        worker.parent = Some(id(1));
        SystemSnapshot {
            node: NodeId::from_u64(9),
            taken_at: SystemTime::UNIX_EPOCH + Duration::from_secs(5),
            measuring: true,
            actors: vec![actor(1, "Supervisor", Some("workers")), worker],
            names: vec![("workers".to_owned(), id(1))],
            network: None,
        }
    }

    #[test]
    fn actors_are_chosen_by_name_label_or_type_and_strangers_are_named() {
        let snapshot = snapshot();
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(resolve(&snapshot, &words(&["workers"])), Ok(vec![id(1)]));
        assert_eq!(resolve(&snapshot, &words(&["Worker#2"])), Ok(vec![id(2)]));
        assert_eq!(
            resolve(&snapshot, &words(&["Worker", "workers", "Worker"])),
            Ok(vec![id(1), id(2)])
        );
        let error = resolve(&snapshot, &words(&["nobody"])).expect_err("no such actor");
        assert!(error.contains("`nobody`"), "{error}");
    }

    #[test]
    fn events_become_named_records_and_a_diagram() {
        let snapshot = snapshot();
        let ask = RecentEvent {
            kind: EventKind::Ask,
            id: MessageId::next(),
            parent: None,
            from: Some(ActorLabel::new(id(1), "Supervisor")),
            to: Some(ActorLabel::new(id(2), "Worker")),
            method: "job".to_owned(),
            detail: Some("7".to_owned()),
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(4),
        };
        let mut reply = ask.clone();
        reply.kind = EventKind::Reply;
        std::mem::swap(&mut reply.from, &mut reply.to);
        let records = records(&[ask, reply], &snapshot);
        assert_eq!(
            records[0].from.as_ref().and_then(|p| p.name.as_deref()),
            Some("workers")
        );
        let (svg, drawn) = diagram(&records);
        assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{svg}");
        assert!(svg.contains("job"), "{svg}");
        assert_eq!(drawn, 2);
    }

    #[test]
    fn the_json_holds_the_table_the_tree_and_the_names() {
        let mut watch = Watch::default();
        watch.view.update(snapshot());
        watch.updates = 1;
        let value = json(&watch, "tcp://127.0.0.1:1", 1000);
        assert_eq!(value["actors"][0]["label"], "Worker#2", "deepest first");
        assert_eq!(value["actors"][0]["parent"], "Supervisor#1");
        assert_eq!(value["tree"][1]["depth"], 1);
        assert_eq!(value["names"][0]["actor"], "Supervisor#1");
        assert_eq!(value["updates"], 1);
    }
}
