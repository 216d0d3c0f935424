//! The calls and node requests waiting for another node's answers, by id:
//! one table for both transports (a TCP peer here, a NATS peer in
//! `actium-nats`), kept inside each peer's own locked state.
//!
//! Calls and requests share one id space, so an answer of the wrong kind
//! under an id (the other node's mistake) is told apart and ignored rather
//! than taking the waiting entry's place.

use actium_core::Error;
use actium_core::transport::Answer;
use tokio::sync::oneshot;

use crate::wire::NodeAnswer;

enum Pending {
    Call(Answer),
    Request(oneshot::Sender<NodeAnswer>),
}

/// What waits under an id, when an answer of one kind arrives for it.
#[derive(Debug)]
pub enum Taken<T> {
    /// The entry the answer is for, removed.
    Found(T),
    /// An entry of the other kind waits under this id: it stays.
    WrongKind,
    /// Nothing waits under this id (its caller gave up, or it was never
    /// made).
    Missing,
}

/// The calls and requests waiting for one node's answers; not locked
/// itself (it lives in its peer's locked state).
///
/// Keyed with foldhash rather than SipHash: an ask hashes its id three
/// times (added, looked at, taken), and SipHash made that about 360
/// instructions of a remote ask (`docs/BENCHMARKS.md`). The ids are this
/// node's own sequence, never a peer's choice, so no peer can pick keys
/// that collide; foldhash's seed is random anyway.
#[derive(Default)]
pub struct PendingCalls {
    next_id: u64,
    waiting: foldhash::HashMap<u64, Pending>,
}

/// What waited when a peer's connection ended, taken out of the table so
/// that it can be failed after the peer's lock is released.
#[must_use = "the calls must be failed, or their callers wait for their deadlines"]
pub struct Orphans(foldhash::HashMap<u64, Pending>);

impl PendingCalls {
    /// An empty table; ids start at 1.
    pub fn new() -> Self {
        PendingCalls::default()
    }

    /// A fresh id for a call or request.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Records a call waiting under `id`, which came from
    /// [`next_id`](Self::next_id) (the table's hasher counts on it: see
    /// [`PendingCalls`]).
    pub fn add_call(&mut self, id: u64, answer: Answer) {
        self.waiting.insert(id, Pending::Call(answer));
    }

    /// Records a node request waiting under `id`, which came from
    /// [`next_id`](Self::next_id).
    pub fn add_request(&mut self, id: u64, sender: oneshot::Sender<NodeAnswer>) {
        self.waiting.insert(id, Pending::Request(sender));
    }

    /// Forgets what waits under `id` (it could not be sent).
    pub fn forget(&mut self, id: u64) {
        self.waiting.remove(&id);
    }

    /// Takes the call waiting under `id`, for its reply.
    pub fn take_call(&mut self, id: u64) -> Taken<Answer> {
        match self.waiting.get(&id) {
            Some(Pending::Call(_)) => match self.waiting.remove(&id) {
                Some(Pending::Call(answer)) => Taken::Found(answer),
                _ => Taken::Missing,
            },
            Some(Pending::Request(_)) => Taken::WrongKind,
            None => Taken::Missing,
        }
    }

    /// Takes the request waiting under `id`, for its answer.
    pub fn take_request(&mut self, id: u64) -> Taken<oneshot::Sender<NodeAnswer>> {
        match self.waiting.get(&id) {
            Some(Pending::Request(_)) => match self.waiting.remove(&id) {
                Some(Pending::Request(sender)) => Taken::Found(sender),
                _ => Taken::Missing,
            },
            Some(Pending::Call(_)) => Taken::WrongKind,
            None => Taken::Missing,
        }
    }

    /// Forgets what its caller gave up on.
    pub fn sweep(&mut self) {
        self.waiting.retain(|_, pending| match pending {
            Pending::Call(answer) => !answer.is_abandoned(),
            Pending::Request(sender) => !sender.is_closed(),
        });
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Takes everything that waits, to fail it once the lock is released.
    pub fn take_all(&mut self) -> Orphans {
        Orphans(std::mem::take(&mut self.waiting))
    }
}

impl Orphans {
    /// Fails every call with `error()`; requests are dropped, which tells
    /// their waiters the node is gone.
    pub fn fail(self, error: impl Fn() -> Error) {
        for (_, pending) in self.0 {
            if let Pending::Call(answer) = pending {
                answer.fail(error());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_the_wrong_kind_leave_the_entry_waiting() {
        let mut table = PendingCalls::new();
        let (first, second) = (table.next_id(), table.next_id());
        assert_eq!((first, second), (1, 2));
        let (sender, mut receiver) = oneshot::channel();
        table.add_request(first, sender);
        assert!(matches!(table.take_call(first), Taken::WrongKind));
        assert!(matches!(table.take_call(second), Taken::Missing));
        assert!(!table.is_empty());
        table.sweep();
        assert!(!table.is_empty(), "its waiter is still there");
        let Taken::Found(sender) = table.take_request(first) else {
            panic!("the request waits under its id");
        };
        sender.send(NodeAnswer::NotRegistered).unwrap();
        assert!(matches!(receiver.try_recv(), Ok(NodeAnswer::NotRegistered)));
        assert!(table.is_empty());
    }

    #[test]
    fn orphaned_requests_are_dropped_and_abandoned_ones_swept() {
        let mut table = PendingCalls::new();
        let (sender, mut receiver) = oneshot::channel();
        let id = table.next_id();
        table.add_request(id, sender);
        table.take_all().fail(|| Error::NoSystem);
        assert!(receiver.try_recv().is_err());
        assert!(table.is_empty());
        let (sender, receiver) = oneshot::channel();
        let id = table.next_id();
        table.add_request(id, sender);
        drop(receiver);
        table.sweep();
        assert!(table.is_empty());
    }
}
