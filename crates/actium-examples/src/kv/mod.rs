//! A replicated key-value store on Multi-Paxos, and a checker that its
//! clients' histories are linearizable.
//!
//! Every [`Replica`] is an actor playing the three roles of "Paxos Made
//! Simple" §3 at once — acceptor, learner, and proposer when it leads —
//! over a log of slots, one Paxos instance per slot:
//!
//! - **Leader election by ballots.** The leader sends a heartbeat every
//!   tick. A replica that hears none for a randomised number of ticks
//!   runs phase 1 with a higher ballot, once for all slots from the first
//!   it has not applied; the promises carry what each acceptor accepted
//!   there, and the new leader proposes, in phase 2, the highest-ballot
//!   value of each such slot (a no-op in a gap).
//! - **Phase 2 per slot.** The leader gives each client command the next
//!   free slot and sends it to every acceptor; a majority of acceptances
//!   decides it, and the leader tells everyone. Lost messages are sent
//!   again each tick; a replica that missed decisions fetches them from
//!   the leader.
//! - **A state machine.** Decided commands are applied in slot order to a
//!   [`Store`]: `get`, `put` and `cas` on string keys. Reads go through the
//!   log too, so every answer is linearizable without leases.
//! - **Exactly once.** Each command carries its client's id and request
//!   number; a command decided twice (a client retried at another
//!   replica) is applied once, and the retry gets the first answer.
//!
//! Acceptor state — the promised ballot and the accepted values — is on
//! a [`Disk`] that survives a crash, as Paxos requires; the rest is
//! rebuilt from the log after a restart.
//!
//! [`Client`] sends each operation to the replica it believes leads, with
//! a deadline, and retries elsewhere with the same request number; a
//! [`Recorder`] notes when each operation was invoked and answered, and
//! [`linearizability::check`] decides whether that history could have come
//! from one register per key. [`Cluster`] starts a system of replicas
//! behind a [`Network`] that loses, delays and partitions messages;
//! [`simulate`] runs seeded scenarios with crashes, restarts, partitions
//! and lossy links in deterministic simulation.
//!
//! ```
//! use actium::prelude::*;
//! use actium_examples::kv::{Client, Cluster, Op, Output, Recorder, Settings, linearizability};
//!
//! actium::launch(Mode::Tasks, async {
//!     let cluster = Cluster::start(3, Settings::default(), 1);
//!     let recorder = Recorder::new();
//!     let mut client = Client::new(1, cluster.network(), recorder.clone());
//!     let put = Op::Put { key: "x".into(), value: "1".into() };
//!     assert_eq!(client.execute(put).await, Some(Output::Done));
//!     let get = Op::Get { key: "x".into() };
//!     assert_eq!(client.execute(get).await, Some(Output::Value(Some("1".into()))));
//!     assert!(linearizability::check(&recorder.operations())?.is_linearizable());
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod cluster;
pub mod linearizability;
mod network;
mod replica;
pub mod simulate;
mod store;

pub use crate::paxos::Ballot;
pub use client::{Client, Operation, Recorder};
pub use cluster::{Cluster, Disk, Flavor, Settings};
pub use network::Network;
pub use replica::{Message, Replica};
pub use store::Store;

/// A key of the store.
pub type Key = String;

/// A value of the store.
pub type Value = String;

/// What a client asks of the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The value of `key`, if it has one.
    Get {
        /// The key read.
        key: Key,
    },
    /// Sets `key` to `value`.
    Put {
        /// The key written.
        key: Key,
        /// Its new value.
        value: Value,
    },
    /// Sets `key` to `new` if its value is `expected` (`None`: if it has
    /// none); answers whether it did.
    Cas {
        /// The key compared and written.
        key: Key,
        /// The value it must have.
        expected: Option<Value>,
        /// The value it gets if it had `expected`.
        new: Value,
    },
}

impl Op {
    /// The key the operation reads or writes.
    pub fn key(&self) -> &str {
        match self {
            Op::Get { key } | Op::Put { key, .. } | Op::Cas { key, .. } => key,
        }
    }
}

/// What the store answered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// A `get`'s value.
    Value(Option<Value>),
    /// A `put` is done.
    Done,
    /// Whether a `cas` swapped.
    Swapped(bool),
}

/// An operation as the log carries it: who asked, which of their requests
/// it is, and what they asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The client.
    pub client: u64,
    /// The client's request number: the same on every retry.
    pub request: u64,
    /// What it asked.
    pub op: Op,
}

/// What a slot of the log holds once decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Nothing: a new leader fills gaps with it.
    Noop,
    /// A client's command.
    Command(Command),
}

/// A replica's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The command was decided and applied; this is its output.
    Done(Output),
    /// This replica does not lead; the one it believes does, if any.
    NotLeader(Option<usize>),
}
