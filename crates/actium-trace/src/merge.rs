//! Merging the traces of several nodes into one causal order.
//!
//! Each node writes its own trace, in an order that respects causality on
//! that node. Across nodes, clocks disagree, so timestamps alone could show
//! an answer before its request. The correlation ids say what must come
//! first: a message is sent before the method run that handles it starts,
//! and before it is answered; a message sent from a method run comes after
//! that run started. [`merge`] orders all records by these constraints and
//! each file's own order, and by time where nothing constrains.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::record::{Id, Kind, Record};

/// Merges traces (each in its file's order) into one causally ordered
/// list. Records that appear in more than one trace are kept once.
pub fn merge(traces: Vec<Vec<Record>>) -> Vec<Record> {
    let mut records: Vec<(usize, Record)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (file, trace) in traces.into_iter().enumerate() {
        for record in trace {
            // The same file given twice must not draw every arrow twice.
            if seen.insert(record.to_json()) {
                records.push((file, record));
            }
        }
    }
    order(records)
}

/// Where a message's send and method-run start are, by index.
#[derive(Default, Clone, Copy)]
struct Landmarks {
    send: Option<usize>,
    start: Option<usize>,
}

fn order(records: Vec<(usize, Record)>) -> Vec<Record> {
    let n = records.len();
    let mut landmarks: HashMap<Id, Landmarks> = HashMap::new();
    for (i, (_, record)) in records.iter().enumerate() {
        let marks = landmarks.entry(record.id).or_default();
        match record.kind {
            Kind::Tell | Kind::Ask => {
                marks.send.get_or_insert(i);
            }
            Kind::Start => {
                marks.start.get_or_insert(i);
            }
            _ => {}
        }
    }
    // Edges: each record after the previous one of its file, and after what
    // its correlation id and parent say it follows.
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0_usize; n];
    let mut previous_in_file: HashMap<usize, usize> = HashMap::new();
    for (i, (file, record)) in records.iter().enumerate() {
        let mut causes = Vec::new();
        if let Some(&previous) = previous_in_file.get(file) {
            causes.push(previous);
        }
        previous_in_file.insert(*file, i);
        let marks = landmarks.get(&record.id).copied().unwrap_or_default();
        match record.kind {
            Kind::Start | Kind::Reply | Kind::Error | Kind::End => causes.extend(marks.send),
            _ => {}
        }
        if matches!(record.kind, Kind::Reply | Kind::End) {
            causes.extend(marks.start);
        }
        if let Some(parent) = record.parent {
            causes.extend(landmarks.get(&parent).and_then(|m| m.start));
        }
        for cause in causes {
            if cause != i {
                after[cause].push(i);
                waiting[i] += 1;
            }
        }
    }
    // Kahn's algorithm, earliest time first among the ready records.
    let key = |i: usize| Reverse((records[i].1.at_ns, records[i].0, i));
    let mut ready: BinaryHeap<Reverse<(u64, usize, usize)>> =
        (0..n).filter(|&i| waiting[i] == 0).map(key).collect();
    let mut done = vec![false; n];
    let mut sequence = Vec::with_capacity(n);
    while sequence.len() < n {
        let next = match ready.pop() {
            Some(Reverse((_, _, i))) => i,
            // Contradictory records (a cycle): release the earliest left.
            None => match (0..n).filter(|&i| !done[i]).min_by_key(|&i| key(i).0) {
                Some(i) => i,
                None => break,
            },
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        sequence.push(next);
        for &later in &after[next] {
            waiting[later] = waiting[later].saturating_sub(1);
            if waiting[later] == 0 && !done[later] {
                ready.push(key(later));
            }
        }
    }
    let mut slots: Vec<Option<Record>> = records.into_iter().map(|(_, r)| Some(r)).collect();
    sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    fn record(kind: Kind, id: u64, at_ns: u64, node: &str) -> Record {
        Record {
            node: node.into(),
            ..sample::record(kind, id, at_ns)
        }
    }

    fn kinds(records: &[Record]) -> Vec<(Kind, u64)> {
        records.iter().map(|r| (r.kind, r.id.0)).collect()
    }

    #[test]
    fn a_request_comes_before_its_handling_whatever_the_clocks_say() {
        // Node B's clock is 1 s behind node A's.
        let a = vec![
            record(Kind::Ask, 1, 5_000_000_000, "a"),
            record(Kind::Reply, 2, 5_000_000_500, "a"),
        ];
        let mut nested = record(Kind::Ask, 2, 4_000_000_200, "b");
        nested.parent = Some(Id(1));
        let b = vec![
            record(Kind::Start, 1, 4_000_000_100, "b"),
            nested,
            record(Kind::Reply, 1, 4_000_000_900, "b"),
            record(Kind::End, 1, 4_000_001_000, "b"),
        ];
        let merged = kinds(&merge(vec![a, b]));
        let at = |kind: Kind, id: u64| merged.iter().position(|&k| k == (kind, id));
        assert_eq!(merged.len(), 6);
        assert!(at(Kind::Ask, 1) < at(Kind::Start, 1));
        assert!(at(Kind::Start, 1) < at(Kind::Ask, 2));
        assert!(at(Kind::Ask, 2) < at(Kind::Reply, 2));
        assert!(at(Kind::Start, 1) < at(Kind::Reply, 1));
        assert!(at(Kind::Reply, 1) < at(Kind::End, 1));
    }

    #[test]
    fn unrelated_records_interleave_by_time_and_duplicates_go() {
        let a = vec![
            record(Kind::Tell, 1, 10, "a"),
            record(Kind::Tell, 3, 30, "a"),
        ];
        let b = vec![record(Kind::Tell, 2, 20, "b")];
        let merged = merge(vec![a.clone(), b, a]);
        assert_eq!(
            kinds(&merged),
            [(Kind::Tell, 1), (Kind::Tell, 2), (Kind::Tell, 3)]
        );
    }
}
