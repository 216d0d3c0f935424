use std::collections::BTreeMap;

use super::*;

const MS: u128 = 1_000_000;

/// The key of an entry due `nanos` after the epoch, `seq`-th of them.
fn key(nanos: u128, seq: u128) -> u128 {
    (nanos << 64) | seq
}

/// The key of everything due by `nanos` after the epoch.
fn by(nanos: u128) -> u128 {
    (nanos << 64) | u128::from(u64::MAX)
}

/// Pushes and pops as a simulation's clock does, over delays on the wheel
/// (up to 50 ms), about a second, anywhere up to three seconds (across
/// the edge of the wheel's reach, 1.07–2.1 s), beyond it (30 s, an hour)
/// and at the current instant, with quiet stretches in which the queue
/// empties, against a `BTreeMap`: the same
/// entries come out in the same order, `first` and `len` agree
/// throughout, and a sweep (`retain`) now and then drops what it should.
#[test]
fn entries_come_out_in_key_order_on_the_wheel_and_beyond_it() {
    let mut queue = DueQueue::new();
    let mut reference = BTreeMap::new();
    let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
    let mut seq = 0u128;
    let mut now = 0u128;
    for round in 0..30_000 {
        // Now and then a quiet stretch, in which the wheel empties and the
        // next entry is a lone one, anywhere ahead.
        let quiet = round % 2_000 >= 1_700;
        let pushes = if quiet { 0 } else { rng.u64(..) % 4 };
        for _ in 0..pushes {
            let delay = match rng.u64(..) % 10 {
                0 => 0,
                1 => 1_000 * MS - 1 + u128::from(rng.u64(..) % 3) * MS,
                2 => 2_100 * MS + u128::from(rng.u64(..) % (200 * MS as u64)),
                3 if round % 50 == 0 => 30_000 * MS,
                4 if round % 500 == 0 => 3_600_000 * MS,
                5 => u128::from(rng.u64(..) % (3_000 * MS as u64)),
                _ => 1 + u128::from(rng.u64(..) % (50 * MS as u64)),
            };
            let key = key(now + delay, seq);
            seq += 1;
            queue.push(key, key);
            reference.insert(key, key);
        }
        // Small steps mostly, a jump to the next entry now and then.
        now = if round % 97 == 0 || (quiet && round % 5 == 0) {
            reference.keys().next().map_or(now, |key| key >> 64)
        } else {
            now + u128::from(rng.u64(..) % (3 * MS as u64))
        };
        while let Some((key, value)) = queue.pop_until(by(now)) {
            assert_eq!(key, value);
            assert_eq!(Some(key), reference.pop_first().map(|(key, _)| key));
        }
        // Nothing due by now was left behind.
        assert!(reference.keys().next().is_none_or(|&key| key > by(now)));
        if round % 1_000 == 999 {
            queue.retain(|key| key % 3 != 0);
            reference.retain(|key, _| key % 3 != 0);
        }
        assert_eq!(queue.first(), reference.keys().next().copied());
        assert_eq!(queue.len(), reference.len());
        assert_eq!(queue.iter().count(), reference.len());
    }
    while let Some((key, _)) = queue.pop_until(u128::MAX) {
        assert_eq!(Some(key), reference.pop_first().map(|(key, _)| key));
    }
    assert!(reference.is_empty());
    assert_eq!(queue.len(), 0);
}

/// With nothing on the wheel, the queue jumps to the far part's first
/// slot, takes what is due there, and puts what follows on the wheel.
#[test]
fn a_lone_far_entry_is_reached_by_a_jump_and_what_follows_it_keeps_its_order() {
    let s = |n: u128| n * 1_000 * MS;
    let mut queue = DueQueue::new();
    queue.push(key(s(3_600), 0), "an hour");
    queue.push(key(s(3_600) + 5 * MS, 1), "an hour and 5 ms");
    queue.push(key(s(30), 2), "half a minute");
    assert_eq!(queue.pop_until(by(s(29))), None);
    assert_eq!(queue.slot, 0, "nothing taken far ahead of the limit");
    assert_eq!(
        queue.pop_until(by(s(30))),
        Some((key(s(30), 2), "half a minute"))
    );
    assert_eq!(queue.pop_until(by(s(3_599))), None);
    // Pushed once the limit moved on, before the hour: far ahead of the
    // wheel's last turn, so in the far part too.
    queue.push(key(s(3_599) + 500 * MS, 3), "soon");
    let out: Vec<_> = std::iter::from_fn(|| queue.pop_until(u128::MAX)).collect();
    assert_eq!(
        out,
        [
            (key(s(3_599) + 500 * MS, 3), "soon"),
            (key(s(3_600), 0), "an hour"),
            (key(s(3_600) + 5 * MS, 1), "an hour and 5 ms"),
        ]
    );
}

/// A slot taken into `current` early (due soon, not yet) still lets an
/// entry pushed afterwards for an earlier instant come out first.
#[test]
fn a_key_pushed_below_a_slot_taken_early_still_comes_out_first() {
    let mut queue = DueQueue::new();
    queue.push(key(100 * MS, 0), "later");
    assert_eq!(queue.pop_until(by(90 * MS)), None);
    assert_eq!(queue.slot, slot_of(key(100 * MS, 0)), "taken early");
    queue.push(key(95 * MS, 1), "sooner");
    queue.push(key(100 * MS, 2), "last");
    assert_eq!(queue.first(), Some(key(95 * MS, 1)));
    assert_eq!(queue.pop_until(by(94 * MS)), None);
    let out: Vec<_> = std::iter::from_fn(|| queue.pop_until(u128::MAX)).collect();
    assert_eq!(
        out,
        [
            (key(95 * MS, 1), "sooner"),
            (key(100 * MS, 0), "later"),
            (key(100 * MS, 2), "last")
        ]
    );
}

#[test]
fn nothing_comes_out_before_its_key() {
    let mut queue = DueQueue::new();
    queue.push(10 << 64, "later");
    assert_eq!(queue.pop_until(9 << 64), None);
    assert_eq!(queue.first(), Some(10 << 64));
    assert_eq!(queue.pop_until(10 << 64), Some((10 << 64, "later")));
    assert_eq!(queue.pop_until(u128::MAX), None);
    assert_eq!(queue.first(), None);
}

/// Waits at the clock's ceiling (a deadline 584 years on is kept at
/// `u64::MAX` nanoseconds, in the last slot a key can name) come out in
/// order after the rest, and the queue goes on after them: reached by a
/// jump to the ceiling's slot, or to a slot whose horizon is exactly
/// past the last one.
#[test]
fn waits_at_the_clocks_ceiling_come_out_last_and_in_order() {
    let ceiling = |seq| key(u128::from(u64::MAX), seq);
    let near_ceiling = (((1_u128 << 44) - u128::from(WHEEL)) << SLOT_SHIFT) | 2;
    for near in [false, true] {
        let mut queue = DueQueue::new();
        queue.push(ceiling(0), "ceiling");
        queue.push(key(5, 1), "soon");
        if near {
            queue.push(near_ceiling, "near the ceiling");
        }
        queue.push(ceiling(3), "ceiling, later");
        let out: Vec<_> = std::iter::from_fn(|| queue.pop_until(u128::MAX)).collect();
        let mut expected = vec![(key(5, 1), "soon")];
        if near {
            expected.push((near_ceiling, "near the ceiling"));
        }
        expected.extend([(ceiling(0), "ceiling"), (ceiling(3), "ceiling, later")]);
        assert_eq!(out, expected);
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.first(), None);
        // Pushed after the ceiling came out: at the last key, and out next.
        queue.push(key(7, 4), "late");
        assert_eq!(
            queue.pop_until(u128::MAX).map(|(_, value)| value),
            Some("late")
        );
    }
}
