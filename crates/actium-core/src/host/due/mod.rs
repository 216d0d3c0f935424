//! The waits of a virtual clock, in the order they fall due: a timing wheel
//! for the next second or two, a radix heap (`radix`) beyond.
//!
//! Keys are `(nanoseconds since the clock's epoch, sequence number)` in one
//! `u128`, so that entries due at one instant come out first come, first
//! served. Both parts run over *slots* of about a millisecond (a key's top
//! bits). A clock only moves forward, so the queue is *monotone*: nothing
//! is pushed below the last key taken out.
//!
//! Nearly every wait of a simulation falls due within a second or two: a
//! delayed message (milliseconds of simulated latency), an ask's deadline.
//! Each goes straight to the wheel's vector for its slot. When that slot
//! is next, its vector is swapped out whole and sorted (the `run`), and
//! its entries are taken off its end: no entry moves after its push, and
//! finding the next slot is a scan of a bitmap. (What is pushed for a
//! slot already taken goes to `current`, a small binary heap; the two
//! are merged as they are taken.) In the radix heap alone, each entry
//! moved bucket some six to ten times on its way down, then through a
//! binary heap, and finding the next slot scanned the buckets and the
//! lowest bucket's keys: the queue was a tenth of a simulated Chord
//! message's instructions (`docs/BENCHMARKS.md`). Waits further ahead
//! (periodic timers, long deadlines) stay in the radix heap until the
//! wheel comes within reach of them, then move onto the wheel a second's
//! worth at a time.

mod radix;

use std::collections::BinaryHeap;

use radix::Radix;

/// A key's low bits that share one slot: 2^84 in the key is 2^20 ns of
/// the clock, about a millisecond — fine enough that one slot holds few
/// entries, coarse enough that the wheel reaches two seconds ahead.
const SLOT_SHIFT: u32 = 64 + 20;

/// How far ahead of the limit asked for (in slots, about 64 ms) the next
/// slot is taken off the wheel before it is due, so that a clock asking
/// after every small advance does not look for it again each time. Not
/// further: everything pushed until then would go to `current`, which
/// would stop being small.
const SPREAD_AHEAD: u64 = 64;

/// The wheel's slots: about 2.1 s ahead of the current slot at most.
const WHEEL: u64 = 2048;

/// How far the current slot moves on before the wheel takes the next
/// stretch of the radix heap: the wheel always reaches at least
/// `WHEEL - REFILL` slots (about 1.07 s) ahead.
const REFILL: u64 = 1024;

/// Words of the wheel's bitmap.
const WORDS: usize = (WHEEL / 64) as usize;

/// A monotone priority queue of `T` keyed by `u128`: see the module docs.
pub(super) struct DueQueue<T> {
    /// The last key taken out (or the floor): no key below it may be pushed.
    last: u128,
    /// The slot whose entries, and those of every slot before it, are in
    /// `run` or `current`.
    slot: u64,
    /// The entries of `slot` that were on the wheel when it turned to it,
    /// sorted so that the least key is last: taken off the wheel whole
    /// (the vectors are swapped) and sorted, rather than moved one by one
    /// into a heap.
    run: Vec<(u128, T)>,
    /// The entries of slots up to `slot` pushed since it turned (or
    /// brought from the far part by a jump), ordered exactly.
    current: BinaryHeap<Keyed<T>>,
    /// The entries of each slot after `slot` and before `horizon`, slot s
    /// at `s % WHEEL` (`horizon - slot ≤ WHEEL`, so one slot to a vector).
    /// Grown as far as a push needs, so that a short-lived clock (a test's,
    /// a probe's) makes no more vectors than the slots it used.
    wheel: Vec<Vec<(u128, T)>>,
    /// Which of `wheel`'s vectors hold entries, a bit each.
    occupied: [u64; WORDS],
    /// The first slot that is not on the wheel: every entry of a slot from
    /// it on is in `far`, every entry of a slot before it is not.
    horizon: u64,
    /// The entries of slots from `horizon` on.
    far: Radix<T>,
    /// Entries held, in all four parts.
    len: usize,
}

impl<T> DueQueue<T> {
    /// An empty queue whose keys start at 0.
    pub(super) fn new() -> Self {
        DueQueue {
            last: 0,
            slot: 0,
            run: Vec::new(),
            current: BinaryHeap::new(),
            wheel: Vec::new(),
            occupied: [0; WORDS],
            horizon: WHEEL,
            far: Radix::new(),
            len: 0,
        }
    }

    /// How many entries it holds.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Adds `value` under `key`. A key below the last one taken out would
    /// break the order; the clock never pushes one (what is due already
    /// fires at once), and one that did would come out next.
    pub(super) fn push(&mut self, key: u128, value: T) {
        let key = key.max(self.last);
        let slot = slot_of(key);
        if slot <= self.slot {
            self.current.push(Keyed { key, value });
        } else if slot < self.horizon {
            self.put_on_wheel(slot, key, value);
        } else {
            self.far.push(key, value);
        }
        self.len += 1;
    }

    /// Puts an entry of `slot`, which is after `self.slot` and before
    /// `horizon`, on the wheel.
    fn put_on_wheel(&mut self, slot: u64, key: u128, value: T) {
        let index = wheel_index(slot);
        if index >= self.wheel.len() {
            self.wheel.resize_with(index + 1, Vec::new);
        }
        self.wheel[index].push((key, value));
        self.occupied[index / 64] |= 1 << (index % 64);
    }

    /// The first slot after `self.slot` that the wheel holds entries of.
    fn next_on_wheel(&self) -> Option<u64> {
        let mut slot = self.slot + 1;
        while slot < self.horizon {
            let index = wheel_index(slot);
            // The word's bits from `index` up are consecutive slots from
            // `slot` on (`WHEEL` is a multiple of 64, so no word wraps).
            let bits = self.occupied[index / 64] >> (index % 64);
            if bits != 0 {
                return Some(slot + u64::from(bits.trailing_zeros()));
            }
            slot += 64 - (index % 64) as u64;
        }
        None
    }

    /// The least key, if any, without taking it out.
    pub(super) fn first(&self) -> Option<u128> {
        if let Some(first) = self.least_taken() {
            return Some(first.0);
        }
        match self.next_on_wheel() {
            Some(slot) => self.wheel[wheel_index(slot)]
                .iter()
                .map(|(key, _)| *key)
                .min(),
            None => self.far.first(),
        }
    }

    /// Takes out the entry with the least key if that key is at most
    /// `limit`. (A clock's keys are unique: they carry a sequence number.)
    pub(super) fn pop_until(&mut self, limit: u128) -> Option<(u128, T)> {
        if self.run.is_empty()
            && self.current.is_empty()
            && !self.turn(slot_of(limit).saturating_add(SPREAD_AHEAD))
        {
            return None;
        }
        let (key, in_run) = self.least_taken()?;
        if key > limit {
            return None;
        }
        let (key, value) = if in_run {
            self.run.pop()?
        } else {
            let Keyed { key, value } = self.current.pop()?;
            (key, value)
        };
        self.last = key;
        self.len -= 1;
        Some((key, value))
    }

    /// The least key of `run` and `current`, and whether it is `run`'s.
    fn least_taken(&self) -> Option<(u128, bool)> {
        match (self.run.last(), self.current.peek()) {
            (Some((run, _)), Some(current)) if current.key < *run => Some((current.key, false)),
            (Some((run, _)), _) => Some((*run, true)),
            (None, Some(current)) => Some((current.key, false)),
            (None, None) => None,
        }
    }

    /// With `run` and `current` empty: moves `slot` on to the next slot
    /// that holds entries, if that is at most `until`, and makes them the
    /// run; whether it did.
    fn turn(&mut self, until: u64) -> bool {
        let next = match self.next_on_wheel() {
            Some(next) => next,
            // Nothing on the wheel: the far part's first slot, if any,
            // which the refill below brings in.
            None => match self.far.first() {
                Some(first) => slot_of(first),
                None => return false,
            },
        };
        if next > until {
            return false;
        }
        self.slot = next;
        if next < self.horizon {
            let index = wheel_index(next);
            self.occupied[index / 64] &= !(1 << (index % 64));
            // The empty run's allocation serves the wheel's vector next.
            std::mem::swap(&mut self.run, &mut self.wheel[index]);
            self.run
                .sort_unstable_by(|(one, _), (other, _)| other.cmp(one));
        }
        if self.slot + WHEEL >= self.horizon + REFILL {
            self.refill();
        }
        true
    }

    /// Moves `horizon` to `WHEEL` slots after `slot`, taking the far
    /// part's entries before it onto the wheel (or into `current`, if of
    /// `slot` itself: after a jump to the far part's first slot, when the
    /// run is empty).
    fn refill(&mut self) {
        self.horizon = self.slot + WHEEL;
        // Every key of a slot before `horizon`; all of them if the horizon
        // is past the last slot a key can name (a wait at the clock's
        // ceiling, 584 years on, whose slot is 2^44 - 1).
        let below = if self.horizon >= 1 << (u128::BITS - SLOT_SHIFT) {
            u128::MAX
        } else {
            (u128::from(self.horizon) << SLOT_SHIFT) - 1
        };
        while let Some((key, value)) = self.far.pop_until(below) {
            let slot = slot_of(key);
            if slot <= self.slot {
                self.current.push(Keyed { key, value });
            } else {
                self.put_on_wheel(slot, key, value);
            }
        }
    }

    /// Keeps only the entries for which `keep` holds.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.run.retain(|(_, value)| keep(value));
        self.current.retain(|entry| keep(&entry.value));
        for (index, entries) in self.wheel.iter_mut().enumerate() {
            if entries.is_empty() {
                continue;
            }
            entries.retain(|(_, value)| keep(value));
            if entries.is_empty() {
                self.occupied[index / 64] &= !(1 << (index % 64));
            }
        }
        self.far.retain(&mut keep);
        let wheel: usize = self.wheel.iter().map(Vec::len).sum();
        self.len = self.run.len() + self.current.len() + wheel + self.far.len();
    }

    /// Every entry, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        let run = self.run.iter().map(|(_, value)| value);
        let current = self.current.iter().map(|entry| &entry.value);
        let wheel = self.wheel.iter().flatten().map(|(_, value)| value);
        run.chain(current).chain(wheel).chain(self.far.iter())
    }
}

/// Where on the wheel `slot`'s entries are.
fn wheel_index(slot: u64) -> usize {
    // Below `WHEEL`, which fits.
    (slot % WHEEL) as usize
}

/// An entry ordered by its key alone, smallest first out of a max-heap.
struct Keyed<T> {
    key: u128,
    value: T,
}

impl<T> PartialEq for Keyed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<T> Eq for Keyed<T> {}

impl<T> PartialOrd for Keyed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Keyed<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.key.cmp(&self.key)
    }
}

fn slot_of(key: u128) -> u64 {
    // A `u128` shifted right by 84 bits fits in 44.
    u64::try_from(key >> SLOT_SHIFT).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
