//! The far part of a virtual clock's queue: a radix heap, for what is due
//! beyond the wheel (`super`), a second or more ahead.
//!
//! A clock that only moves forward never takes a wait due before the last
//! one it fired, so its queue can be *monotone*: Ahuja, Mehlhorn, Orlin and
//! Tarjan's radix heap (1990) keeps every entry in the bucket named by the
//! highest bit in which its key differs from the last key taken out. A push
//! is an append to one of 65 vectors, O(1); taking the earliest scans one
//! bucket and spreads it over the lower ones, and an entry moves down at
//! most once per bit, so the cost is amortised O(log of the span of keys)
//! — and every step reads memory in order. A binary heap of the same
//! entries costs O(log n) per push and per pop, at a cache miss per level
//! once the heap outgrows the cache.
//!
//! It runs over the wheel's *slots* of about a millisecond (a key's top
//! bits), not whole keys: with nanosecond keys an entry moved bucket some
//! 25–35 times before it came out. The slot that is due next is a small
//! binary heap, exact to the nanosecond and the sequence number.

use std::collections::BinaryHeap;

use super::{Keyed, SPREAD_AHEAD, slot_of};

/// A monotone priority queue of `T` keyed by `u128`: see the module docs.
pub(super) struct Radix<T> {
    /// The last key taken out (or the floor): no key below it may be pushed.
    last: u128,
    /// The slot (a key's top bits, about a millisecond of the clock) that
    /// `current` holds.
    slot: u64,
    /// The entries of `slot`, ordered exactly: a small heap that stays in
    /// the cache.
    current: BinaryHeap<Keyed<T>>,
    /// `buckets[b]`, for b ≥ 1, holds the entries of later slots whose
    /// highest bit differing from `slot` is bit b − 1 (`buckets[0]` is
    /// unused: `current` is that bucket).
    buckets: Vec<Vec<(u128, T)>>,
    len: usize,
}

/// How many buckets: unused 0, then one per bit of a slot number.
const BUCKETS: usize = 65;

impl<T> Radix<T> {
    /// An empty queue whose keys start at 0.
    pub(super) fn new() -> Self {
        Radix {
            last: 0,
            slot: 0,
            current: BinaryHeap::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            len: 0,
        }
    }

    /// How many entries it holds.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn bucket(&self, slot: u64) -> usize {
        (u64::BITS - (slot ^ self.slot).leading_zeros()) as usize
    }

    /// Adds `value` under `key`. A key below the last one taken out would
    /// break the order; the clock never pushes one (what is due already
    /// fires at once), and one that did would come out next.
    #[inline]
    pub(super) fn push(&mut self, key: u128, value: T) {
        let key = key.max(self.last);
        let slot = slot_of(key);
        if slot <= self.slot {
            self.current.push(Keyed { key, value });
        } else {
            let bucket = self.bucket(slot);
            self.buckets[bucket].push((key, value));
        }
        self.len += 1;
    }

    /// The least key, if any, without taking it out.
    pub(super) fn first(&self) -> Option<u128> {
        if let Some(first) = self.current.peek() {
            return Some(first.key);
        }
        let bucket = self.buckets.iter().find(|bucket| !bucket.is_empty())?;
        bucket.iter().map(|(key, _)| *key).min()
    }

    /// Takes out the entry with the least key if that key is at most
    /// `limit`. (A clock's keys are unique: they carry a sequence number.)
    pub(super) fn pop_until(&mut self, limit: u128) -> Option<(u128, T)> {
        if self.current.is_empty() {
            let index = self.buckets.iter().position(|bucket| !bucket.is_empty())?;
            let least = self.buckets[index].iter().map(|(key, _)| *key).min()?;
            // Not due yet: spread all the same if it is due soon, so that
            // the next call finds it in `current` rather than scanning the
            // bucket again (a clock asks after every advance). Keys pushed
            // meanwhile below `least`'s slot go to `current`, which orders
            // them exactly; not further ahead, or everything pushed until
            // then would go there, and `current` would stop being small.
            if least > limit && slot_of(least) > slot_of(limit).saturating_add(SPREAD_AHEAD) {
                return None;
            }
            // Every slot of the bucket is at least `least`'s and differs
            // from it below bit `index - 1`: each entry lands in `current`
            // or a lower bucket.
            self.slot = slot_of(least);
            let mut spread = std::mem::take(&mut self.buckets[index]);
            for (key, value) in spread.drain(..) {
                let slot = slot_of(key);
                if slot == self.slot {
                    self.current.push(Keyed { key, value });
                } else {
                    let bucket = self.bucket(slot);
                    self.buckets[bucket].push((key, value));
                }
            }
            // Put the emptied vector back: its allocation serves again.
            self.buckets[index] = spread;
        }
        if self.current.peek()?.key > limit {
            return None;
        }
        let Keyed { key, value } = self.current.pop()?;
        self.last = key;
        self.len -= 1;
        Some((key, value))
    }

    /// Keeps only the entries for which `keep` holds.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.current.retain(|entry| keep(&entry.value));
        for bucket in &mut self.buckets {
            bucket.retain(|(_, value)| keep(value));
        }
        let buckets: usize = self.buckets.iter().map(Vec::len).sum();
        self.len = self.current.len() + buckets;
    }

    /// Every entry, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        let current = self.current.iter().map(|entry| &entry.value);
        current.chain(self.buckets.iter().flatten().map(|(_, value)| value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_out_in_key_order_while_others_are_pushed_above_the_last() {
        let mut queue = Radix::new();
        let mut reference = std::collections::BTreeMap::new();
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        let mut seq = 0u128;
        let mut now = 0u128;
        for round in 0..20_000 {
            // Push a few entries due after now, with ties at one instant.
            for _ in 0..(rng.u64(..) % 3) {
                let at = now + 1 + u128::from(rng.u64(..) % 1_000_000);
                let at = if round % 7 == 0 { now + 5 } else { at };
                let key = (at << 64) | seq;
                seq += 1;
                queue.push(key, key);
                reference.insert(key, key);
            }
            // Move time on to a limit and take out all that is due by then.
            now += u128::from(rng.u64(..) % 400_000);
            let limit = (now << 64) | u128::from(u64::MAX);
            while let Some((key, value)) = queue.pop_until(limit) {
                assert_eq!(key, value);
                let expected = reference.pop_first().map(|(key, _)| key);
                assert_eq!(Some(key), expected);
            }
            assert_eq!(queue.first(), reference.keys().next().copied());
            assert_eq!(queue.len(), reference.len());
        }
    }

    #[test]
    fn retained_entries_keep_their_order_and_dropped_ones_never_come_out() {
        let mut queue = Radix::new();
        for key in (1..=1000u128).rev() {
            queue.push(key << 64, key);
        }
        assert_eq!(queue.pop_until(1 << 64), Some((1 << 64, 1)));
        queue.retain(|value| value % 2 == 0);
        assert_eq!(queue.len(), 500);
        assert_eq!(queue.iter().count(), 500);
        let mut out = Vec::new();
        while let Some((_, value)) = queue.pop_until(u128::MAX) {
            out.push(value);
        }
        let evens: Vec<u128> = (1..=500).map(|k| 2 * k).collect();
        assert_eq!(out, evens);
        assert_eq!(queue.pop_until(u128::MAX), None);
        assert_eq!(queue.first(), None);
    }

    #[test]
    fn a_key_pushed_below_a_slot_spread_early_still_comes_out_first() {
        let ms = |n: u128| (n * 1_000_000) << 64;
        let mut queue = Radix::new();
        queue.push(ms(100), "later");
        // Not due, but soon: spreads the later slot all the same.
        assert_eq!(queue.pop_until(ms(90)), None);
        assert_eq!(queue.slot, slot_of(ms(100)), "spread");
        queue.push(ms(95), "sooner");
        queue.push(ms(100) + 1, "last");
        assert_eq!(queue.first(), Some(ms(95)));
        assert_eq!(queue.pop_until(ms(94)), None);
        let out: Vec<_> = std::iter::from_fn(|| queue.pop_until(u128::MAX)).collect();
        assert_eq!(
            out,
            [
                (ms(95), "sooner"),
                (ms(100), "later"),
                (ms(100) + 1, "last")
            ]
        );
    }

    #[test]
    fn a_slot_far_ahead_is_not_spread_before_it_is_due() {
        let s = |n: u128| (n * 1_000_000_000) << 64;
        let mut queue = Radix::new();
        queue.push(s(30), "far");
        assert_eq!(queue.pop_until(s(1)), None);
        // What is pushed before it stays in the buckets, not `current`.
        assert_eq!(queue.slot, 0, "not spread");
        queue.push(s(2), "near");
        assert!(queue.current.is_empty());
        let out: Vec<_> = std::iter::from_fn(|| queue.pop_until(u128::MAX)).collect();
        assert_eq!(out, [(s(2), "near"), (s(30), "far")]);
    }

    #[test]
    fn nothing_comes_out_before_its_key() {
        let mut queue = Radix::new();
        queue.push(10 << 64, "later");
        assert_eq!(queue.pop_until(9 << 64), None);
        assert_eq!(queue.first(), Some(10 << 64));
        assert_eq!(queue.pop_until(10 << 64), Some((10 << 64, "later")));
    }
}
