//! A node's finger table (the paper's Fig. 3): `finger[i]` =
//! successor(n + 2^i), counting from 0 (the paper's `finger[i + 1]`),
//! kept as runs of entries that name one node, which is what routing
//! scans.

use super::Peer;
use crate::chord::id::{BITS, Id};

/// The finger table of one node.
///
/// In a ring of N nodes all but about log2 N of the m = 64 fingers repeat
/// the one below, so the table is kept as its runs: each run of entries
/// that name one node (or none yet) once. The scan for the closest
/// preceding finger — once per hop of every lookup — then reads about
/// log2 N runs side by side rather than 64 entries, and a node holds
/// about 20 references rather than 64: at 100,000 simulated nodes the
/// table was the largest thing a node kept (1,536 bytes).
pub(super) struct Fingers {
    /// The runs, from `finger[0]` up: run k covers the entries from its
    /// start to the next run's (the last, to m). Neighbouring runs name
    /// different nodes, or the same Chord identifier through different
    /// actors.
    runs: Vec<Run>,
}

/// Consecutive entries that name one node, or none yet.
struct Run {
    /// Its first entry, counting from 0.
    start: u8,
    /// The node its entries name, `None` while not yet fixed.
    finger: Option<Peer>,
}

/// Whether two entries are the same: the same node through the same actor.
fn same(a: Option<&Peer>, b: Option<&Peer>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.id == b.id && a.node.id() == b.node.id(),
        (None, None) => true,
        _ => false,
    }
}

impl Fingers {
    /// A table with no finger fixed yet.
    pub(super) fn new() -> Self {
        Fingers {
            runs: vec![Run {
                start: 0,
                finger: None,
            }],
        }
    }

    /// The run that holds `finger[i]`, counting from 0.
    fn run_of(&self, i: usize) -> usize {
        // The first run starts at 0, so at least one starts at or below i.
        self.runs.partition_point(|run| usize::from(run.start) <= i) - 1
    }

    /// Where run k ends: the next run's start, or m for the last.
    fn end_of(&self, k: usize) -> usize {
        self.runs
            .get(k + 1)
            .map_or(BITS, |next| usize::from(next.start))
    }

    /// Sets `finger[i]`; returns whether it named another node before.
    pub(super) fn set(&mut self, i: usize, finger: Peer) -> bool {
        debug_assert!(i < BITS, "finger {i} of {BITS}");
        let k = self.run_of(i);
        let old = self.runs[k].finger.as_ref();
        let changed = old != Some(&finger);
        if same(old, Some(&finger)) {
            return changed;
        }
        // Split the run around entry i, in place: at most two new runs,
        // then merge with a neighbour that names the same node.
        let start = usize::from(self.runs[k].start);
        let end = self.end_of(k);
        // BITS = 64 entries: an index fits in a byte.
        if i + 1 < end {
            let rest = Run {
                start: (i + 1) as u8,
                finger: self.runs[k].finger.clone(),
            };
            self.runs.insert(k + 1, rest);
        }
        if i > start {
            let entry = Run {
                start: i as u8,
                finger: Some(finger),
            };
            self.runs.insert(k + 1, entry);
        } else {
            self.runs[k].finger = Some(finger);
        }
        self.runs
            .dedup_by(|later, earlier| same(earlier.finger.as_ref(), later.finger.as_ref()));
        changed
    }

    /// Every entry, from `finger[0]` up.
    fn entries(&self) -> Vec<Option<Peer>> {
        let mut entries = Vec::with_capacity(BITS);
        for (k, run) in self.runs.iter().enumerate() {
            entries.resize(self.end_of(k), run.finger.clone());
        }
        entries
    }

    /// Keeps `entries` (m of them) as runs.
    fn keep(&mut self, entries: Vec<Option<Peer>>) {
        self.runs.clear();
        for (i, finger) in entries.into_iter().enumerate() {
            let last = self.runs.last().map(|run| run.finger.as_ref());
            if last.is_none_or(|last| !same(last, finger.as_ref())) {
                // BITS = 64 entries: an index fits in a byte.
                let start = i as u8;
                self.runs.push(Run { start, finger });
            }
        }
    }

    /// Sets every finger not fixed yet to the first of the `known` nodes
    /// at or after its start, if any: hints, near right, until
    /// `fix_fingers` looks each one up. `n` is this node.
    pub(super) fn hint(&mut self, n: Id, known: impl IntoIterator<Item = Peer>) {
        let distance = |id: Id| id.0.wrapping_sub(n.0);
        let mut known: Vec<Peer> = known.into_iter().filter(|peer| peer.id != n).collect();
        known.sort_by_key(|peer| distance(peer.id));
        known.dedup();
        let mut entries = self.entries();
        for (i, entry) in entries.iter_mut().enumerate() {
            let start = distance(n.finger_start(i));
            let first = known.iter().find(|peer| distance(peer.id) >= start);
            if let (None, Some(first)) = (&entry, first) {
                *entry = Some(first.clone());
            }
        }
        self.keep(entries);
    }

    /// The fixed fingers from the highest (the paper's `finger[m]`) down
    /// to the lowest (its `finger[1]`), a node that several consecutive
    /// fingers name once: the order in which "for i = m downto 1" meets
    /// them.
    pub(super) fn descending(&self) -> impl Iterator<Item = &Peer> {
        let mut last = None;
        self.runs.iter().rev().filter_map(move |run| {
            let finger = run.finger.as_ref()?;
            (last != Some(finger.id)).then(|| {
                last = Some(finger.id);
                finger
            })
        })
    }

    /// Every finger's identifier, `None` where not yet fixed.
    pub(super) fn ids(&self) -> Vec<Option<Id>> {
        let mut ids = Vec::with_capacity(BITS);
        for (k, run) in self.runs.iter().enumerate() {
            ids.resize(self.end_of(k), run.finger.as_ref().map(|finger| finger.id));
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::node::{ChordNode, Config};

    #[test]
    fn descending_meets_the_same_nodes_in_the_same_order_as_all_entries() {
        // Any node will do: `Peer`s compare by identifier.
        let sim = actium::sim::Simulation::new(1);
        let home = sim.node("home").expect("a simulated node");
        let chord = ChordNode::new(Id(1), Config::default());
        let node = sim.run(async { home.spawn(chord) }).expect("ran");
        let peer = |id| Peer {
            id: Id(id),
            node: node.clone(),
        };
        let mut fingers = Fingers::new();
        assert!(fingers.descending().next().is_none());
        for (i, id) in [(0, 5), (1, 5), (2, 9), (5, 9), (6, 40), (63, 5)] {
            assert!(fingers.set(i, peer(id)));
        }
        assert!(!fingers.set(1, peer(5)), "the same node again");
        let all: Vec<u64> = (fingers.entries().iter().rev().flatten())
            .map(|finger| finger.id.0)
            .collect();
        let mut runs = all;
        runs.dedup();
        let distinct: Vec<u64> = fingers.descending().map(|finger| finger.id.0).collect();
        assert_eq!(distinct, runs);
        assert_eq!(distinct, [5, 40, 9, 5]);
        assert_eq!(fingers.ids()[2], Some(Id(9)));
        assert_eq!(fingers.ids()[3], None);
    }

    /// The runs hold exactly what 64 separate entries would, over many
    /// sets at random places (splitting runs, merging them, the same node
    /// again, the same identifier through another actor).
    #[test]
    fn the_runs_hold_what_separate_entries_would() {
        let sim = actium::sim::Simulation::new(1);
        let home = sim.node("home").expect("a simulated node");
        let actors = sim
            .run(async {
                let spawn = || home.spawn(ChordNode::new(Id(1), Config::default()));
                [spawn(), spawn()]
            })
            .expect("ran");
        let mut entries: Vec<Option<Peer>> = vec![None; BITS];
        let mut fingers = Fingers::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..5_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % 64) as usize;
            let id = Id((state >> 8) % 4);
            let node = actors[((state >> 16) % 2) as usize].clone();
            let peer = Peer { id, node };
            let before = entries[i].clone();
            entries[i] = Some(peer.clone());
            assert_eq!(fingers.set(i, peer), before.as_ref() != entries[i].as_ref());
            for (k, (held, entry)) in fingers.entries().iter().zip(&entries).enumerate() {
                assert!(same(held.as_ref(), entry.as_ref()), "entry {k}");
                let found = fingers.runs[fingers.run_of(k)].finger.as_ref();
                assert!(same(found, entry.as_ref()), "run of entry {k}");
            }
            // The highest entry of each run of one identifier, as a scan of
            // the entries from the top meets them.
            let mut expected: Vec<&Peer> = entries.iter().rev().flatten().collect();
            expected.dedup_by_key(|finger| finger.id);
            let met: Vec<&Peer> = fingers.descending().collect();
            assert_eq!(met.len(), expected.len());
            for (met, expected) in met.iter().zip(&expected) {
                assert!(same(Some(met), Some(expected)));
            }
            let ids: Vec<Option<Id>> = entries.iter().map(|e| e.as_ref().map(|f| f.id)).collect();
            assert_eq!(fingers.ids(), ids);
            assert!(fingers.runs.windows(2).all(|pair| {
                pair[0].start < pair[1].start
                    && !same(pair[0].finger.as_ref(), pair[1].finger.as_ref())
            }));
        }
    }
}
