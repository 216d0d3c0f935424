//! Deciding whether a recorded history of a key-value store is
//! linearizable.
//!
//! A history is *linearizable* (Herlihy and Wing, 1990) if each operation
//! can be given one instant between its invocation and its answer such
//! that, taken in the order of those instants, the operations are a
//! sequential run of the store that gives every answer recorded. An
//! operation with no answer (its client gave up) may take effect at any
//! instant after its invocation, or never.
//!
//! # The algorithm
//!
//! 1. **One key at a time.** Linearizability is *local*: a history is
//!    linearizable if and only if each object's sub-history is. Each key
//!    of the store is a register, so the history is split by key and each
//!    part checked alone — which keeps each search small.
//! 2. **Wing and Gong's search** (1993), in the form of Lowe (2017) that
//!    Porcupine uses. The invocations and answers of one key are sorted by
//!    time into a list (an unanswered operation's answer goes at the end,
//!    at "infinity"). The search walks the list from the front: at an
//!    invocation it tries to linearize that operation now — if the
//!    register's model accepts the operation with its recorded output, it
//!    lifts the invocation and its answer out of the list, pushes the
//!    choice on a stack and starts again from the front; otherwise it
//!    tries the next invocation. Reaching an answer means its operation
//!    should have been linearized already and was not: the search
//!    backtracks, undoing the last choice and trying the invocation after
//!    it. An empty list is a linearization; backtracking past the first
//!    choice proves there is none.
//! 3. **Memoisation.** Two paths that linearized the same set of
//!    operations and left the register in the same state have the same
//!    future, so the search remembers every (set, state) pair it reached —
//!    the set as a 128-bit fingerprint — and never enters one twice. This turns the
//!    factorial search into one bounded by the reachable (set, state)
//!    pairs, which for histories of a few concurrent clients is small.
//!
//! The model is a register holding an optional string: `get` must return
//! its value, `put` sets it, `cas` sets it if it equals the expected value
//! and must answer whether it did. Values are interned to numbers first,
//! so a state is a number. An unanswered `get` is left out (it can always
//! be linearized and shows nothing); an unanswered `put` or `cas` may be
//! linearized anywhere after its invocation, and must be — but at the end
//! of the history it affects no one, so "never" is one of its choices.
//! Each unanswered write doubles the sets the search may meet: a history
//! with dozens of them, all concurrent, is the hard case.
//!
//! The search is still exponential in the worst case; [`check_within`]
//! bounds its steps and answers [`Verdict::Undecided`] past the bound,
//! rather than run for ever.

use std::collections::{BTreeMap, HashSet};

use super::{Key, Op, Operation, Output};

/// The steps [`check`] allows one key's search.
pub const BUDGET: u64 = 20_000_000;

/// What the checker found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole history is linearizable.
    Linearizable,
    /// The operations on `key` cannot be linearized.
    Violation {
        /// The key.
        key: Key,
        /// Its operations, in the order invoked.
        operations: Vec<Operation>,
    },
    /// The search for `key` ran out of steps before deciding.
    Undecided {
        /// The key.
        key: Key,
    },
}

impl Verdict {
    /// Whether the history was found linearizable.
    pub fn is_linearizable(&self) -> bool {
        *self == Verdict::Linearizable
    }
}

/// A history the checker cannot read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// An operation was answered before it was invoked.
    #[error("operation {index} was answered at {answered}, before it was invoked at {invoked}")]
    AnsweredBeforeInvoked {
        /// Its index in the history.
        index: usize,
        /// When it was invoked.
        invoked: u64,
        /// When it was answered.
        answered: u64,
    },
    /// An operation's output is not of its kind (a `get` answered `Done`).
    #[error("operation {index} ({op:?}) was answered with {output:?}, which it cannot return")]
    WrongOutput {
        /// Its index in the history.
        index: usize,
        /// The operation.
        op: Op,
        /// The output recorded.
        output: Output,
    },
}

/// Decides whether `operations` is linearizable, with [`BUDGET`] steps per
/// key.
///
/// # Errors
///
/// [`HistoryError`] if an operation was answered before it was invoked, or
/// with an output its kind cannot return.
pub fn check(operations: &[Operation]) -> Result<Verdict, HistoryError> {
    check_within(operations, BUDGET)
}

/// Decides whether `operations` is linearizable, searching at most
/// `budget` steps per key. A violation on one key is reported even if
/// another key was undecided.
///
/// # Errors
///
/// As [`check`].
pub fn check_within(operations: &[Operation], budget: u64) -> Result<Verdict, HistoryError> {
    let mut keys: BTreeMap<&str, Vec<(usize, &Operation)>> = BTreeMap::new();
    for (index, operation) in operations.iter().enumerate() {
        keys.entry(operation.op.key())
            .or_default()
            .push((index, operation));
    }
    let mut undecided = None;
    for (key, operations) in keys {
        let register = Register::new(&operations)?;
        match register.search(budget) {
            Some(true) => {}
            Some(false) => {
                let operations = operations.into_iter().map(|(_, op)| op.clone()).collect();
                let key = key.to_owned();
                return Ok(Verdict::Violation { key, operations });
            }
            None => undecided = undecided.or(Some(key.to_owned())),
        }
    }
    Ok(undecided.map_or(Verdict::Linearizable, |key| Verdict::Undecided { key }))
}

/// One operation on a register whose values are numbers (0: no value),
/// with its recorded output if there is one.
#[derive(Clone, Copy, Debug)]
enum Step {
    Get(u32),
    Put(u32),
    Cas {
        expected: u32,
        new: u32,
        swapped: Option<bool>,
    },
}

impl Step {
    /// The register's state after this step from `state`, if the step's
    /// recorded output is what the register would answer.
    fn apply(self, state: u32) -> Option<u32> {
        match self {
            Step::Get(value) => (value == state).then_some(state),
            Step::Put(value) => Some(value),
            Step::Cas {
                expected,
                new,
                swapped,
            } => {
                let hit = state == expected;
                if swapped.is_some_and(|swapped| swapped != hit) {
                    return None;
                }
                Some(if hit { new } else { state })
            }
        }
    }
}

/// One key's operations, ready to search.
struct Register {
    steps: Vec<Step>,
    /// When each was invoked and answered (`u64::MAX`: never).
    times: Vec<(u64, u64)>,
}

/// A set of operations, as a 128-bit Zobrist fingerprint: the exclusive
/// or of a random number per member. Adding and removing a member is one
/// xor, and the memo stores 16 bytes per set instead of a bitmask as long
/// as the history; two different sets share a fingerprint with
/// probability 2^-128 (the search could then wrongly skip a path), far
/// below anything a run meets.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
struct Set(u128);

impl Set {
    /// Adds `member` if absent, removes it if present.
    fn flip(&mut self, member: usize) {
        self.0 ^= fingerprint(member);
    }
}

/// A fixed pseudo-random number per operation: SplitMix64, twice.
fn fingerprint(member: usize) -> u128 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let seed = (member as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (u128::from(mix(seed)) << 64) | u128::from(mix(seed ^ 0x5851_f42d_4c95_7f2d))
}

impl Register {
    fn new<'a>(operations: &[(usize, &'a Operation)]) -> Result<Self, HistoryError> {
        let mut values: BTreeMap<&'a str, u32> = BTreeMap::new();
        let mut intern = |value: Option<&'a String>| -> u32 {
            let Some(value) = value else { return 0 };
            let next = u32::try_from(values.len() + 1).unwrap_or(u32::MAX);
            *values.entry(value.as_str()).or_insert(next)
        };
        let mut steps = Vec::with_capacity(operations.len());
        let mut times = Vec::with_capacity(operations.len());
        for &(index, operation) in operations {
            let output = operation.answered.as_ref().map(|(_, output)| output);
            let wrong = || HistoryError::WrongOutput {
                index,
                op: operation.op.clone(),
                output: output.cloned().unwrap_or(Output::Done),
            };
            let step = match (&operation.op, output) {
                // An unanswered read changes nothing and shows nothing:
                // it can always be linearized, and is left out.
                (Op::Get { .. }, None) => continue,
                (Op::Get { .. }, Some(Output::Value(value))) => Step::Get(intern(value.as_ref())),
                (Op::Put { value, .. }, None | Some(Output::Done)) => {
                    Step::Put(intern(Some(value)))
                }
                (Op::Cas { expected, new, .. }, None) => Step::Cas {
                    expected: intern(expected.as_ref()),
                    new: intern(Some(new)),
                    swapped: None,
                },
                (Op::Cas { expected, new, .. }, Some(Output::Swapped(swapped))) => Step::Cas {
                    expected: intern(expected.as_ref()),
                    new: intern(Some(new)),
                    swapped: Some(*swapped),
                },
                _ => return Err(wrong()),
            };
            let invoked = operation.invoked;
            let answered = operation.answered.as_ref().map_or(u64::MAX, |(at, _)| *at);
            if answered < invoked {
                return Err(HistoryError::AnsweredBeforeInvoked {
                    index,
                    invoked,
                    answered,
                });
            }
            steps.push(step);
            times.push((invoked, answered));
        }
        Ok(Register { steps, times })
    }

    /// `Some(linearizable)`, or `None` past `budget` steps.
    fn search(&self, budget: u64) -> Option<bool> {
        let mut list = List::new(&self.times);
        let mut linearized = Set::default();
        let mut seen: HashSet<(Set, u32)> = HashSet::new();
        let mut stack: Vec<(usize, u32)> = Vec::new();
        let mut state = 0;
        let mut entry = list.first();
        let mut steps = 0_u64;
        while !list.is_empty() {
            steps += 1;
            if steps > budget {
                return None;
            }
            let op = list.op(entry);
            if list.is_invocation(entry) {
                if let Some(next) = self.steps[op].apply(state) {
                    let mut with = linearized;
                    with.flip(op);
                    if seen.insert((with, next)) {
                        stack.push((entry, state));
                        (state, linearized) = (next, with);
                        list.lift(entry);
                        entry = list.first();
                        continue;
                    }
                }
                entry = list.next(entry);
            } else {
                // An answer whose operation is not linearized: undo the
                // last choice and try the invocation after it.
                let Some((undone, before)) = stack.pop() else {
                    return Some(false);
                };
                state = before;
                linearized.flip(list.op(undone));
                list.unlift(undone);
                entry = list.next(undone);
            }
        }
        Some(true)
    }
}

/// The invocations and answers of one key's operations, in time order, as
/// a doubly linked list over indices (node 0 the head), from which an
/// operation's two entries can be lifted and put back in O(1).
struct List {
    next: Vec<usize>,
    prev: Vec<usize>,
    /// For each node: its operation, and whether it is the invocation.
    entries: Vec<(usize, bool)>,
    /// For each operation: the node of its answer.
    answers: Vec<usize>,
}

impl List {
    fn new(times: &[(u64, u64)]) -> Self {
        let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * times.len());
        for (op, &(invoked, answered)) in times.iter().enumerate() {
            // At equal times invocations come first: the operations then
            // overlap, which allows more orders, never fewer.
            events.push((invoked, false, op));
            events.push((answered, true, op));
        }
        events.sort_unstable();
        let nodes = events.len() + 2;
        let end = nodes - 1;
        let mut list = List {
            next: (1..=nodes).map(|n| n.min(end)).collect(),
            prev: (0..nodes).map(|n| n.saturating_sub(1)).collect(),
            entries: vec![(0, false); nodes],
            answers: vec![0; times.len()],
        };
        for (node, &(_, answer, op)) in (1..).zip(&events) {
            list.entries[node] = (op, !answer);
            if answer {
                list.answers[op] = node;
            }
        }
        list
    }

    fn first(&self) -> usize {
        self.next[0]
    }

    fn is_empty(&self) -> bool {
        self.first() == self.next.len() - 1
    }

    fn next(&self, node: usize) -> usize {
        self.next[node]
    }

    fn op(&self, node: usize) -> usize {
        self.entries[node].0
    }

    fn is_invocation(&self, node: usize) -> bool {
        self.entries[node].1
    }

    fn unlink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = next;
        self.prev[next] = prev;
    }

    fn relink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = node;
        self.prev[next] = node;
    }

    /// Takes out invocation `node` and its answer.
    fn lift(&mut self, node: usize) {
        let answer = self.answers[self.op(node)];
        self.unlink(node);
        self.unlink(answer);
    }

    /// Puts back what [`lift`](List::lift) took out, in reverse order.
    fn unlift(&mut self, node: usize) {
        let answer = self.answers[self.op(node)];
        self.relink(answer);
        self.relink(node);
    }
}

#[cfg(test)]
mod tests;
