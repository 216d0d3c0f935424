//! A node's finger table (the paper's Fig. 3): `finger[i]` =
//! successor(n + 2^i), kept beside the distinct fingers in order, which
//! is what routing scans.

use super::Peer;
use crate::chord::id::{BITS, Id};

/// The finger table of one node.
pub(super) struct Fingers {
    /// `entries[i]` = successor(n + 2^i), once fixed; the paper counts
    /// from 1.
    entries: Vec<Option<Peer>>,
    /// The indices of the fixed entries from the highest down, each run of
    /// one node kept once. In a ring of N nodes all but about log2 N of
    /// the m = 64 fingers repeat the one below, so the scan for the
    /// closest preceding finger — once per hop of every lookup — reads
    /// about log2 N entries rather than 64, and touches less memory.
    /// Indices rather than copies: rebuilding it, at every finger that
    /// changes, then clones no reference.
    distinct: Vec<u8>,
}

impl Fingers {
    /// A table with no finger fixed yet.
    pub(super) fn new() -> Self {
        Fingers {
            entries: vec![None; BITS],
            distinct: Vec::new(),
        }
    }

    /// Sets `finger[i]`; returns whether it named another node before.
    pub(super) fn set(&mut self, i: usize, finger: Peer) -> bool {
        let old = self.entries[i].replace(finger);
        let changed = old.as_ref() != self.entries[i].as_ref();
        if changed {
            self.collect_distinct();
        }
        changed
    }

    fn collect_distinct(&mut self) {
        self.distinct.clear();
        let mut last = None;
        for (i, finger) in self.entries.iter().enumerate().rev() {
            let Some(finger) = finger else { continue };
            if last != Some(finger.id) {
                last = Some(finger.id);
                // BITS = 64 entries: an index fits in a byte.
                self.distinct.push(i as u8);
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
        for i in 0..BITS {
            let start = distance(n.finger_start(i));
            let first = known.iter().find(|peer| distance(peer.id) >= start);
            if let (None, Some(first)) = (&self.entries[i], first) {
                self.entries[i] = Some(first.clone());
            }
        }
        self.collect_distinct();
    }

    /// The fixed fingers from `finger[m]` down to `finger[1]`, a node that
    /// several consecutive fingers name once: the order in which "for i =
    /// m downto 1" meets them.
    pub(super) fn descending(&self) -> impl Iterator<Item = &Peer> {
        (self.distinct.iter()).filter_map(|&i| self.entries[usize::from(i)].as_ref())
    }

    /// Every finger's identifier, `None` where not yet fixed.
    pub(super) fn ids(&self) -> Vec<Option<Id>> {
        self.entries
            .iter()
            .map(|finger| finger.as_ref().map(|finger| finger.id))
            .collect()
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
        let all: Vec<u64> = (fingers.entries.iter().rev().flatten())
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
}
