//! A whole store in one process: replicas, their disks and the network
//! between them; crashing and restarting replicas.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actium::prelude::*;

use super::{Ballot, Entry, Network, Replica};

/// Whether replicas run the protocol as designed or with a planted bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Every command, reads too, goes through the log.
    Correct,
    /// Broken on purpose: a leader answers `get` from its own state,
    /// without the log. A leader cut off by a partition keeps answering
    /// while a new one takes writes — stale reads the linearizability
    /// checker must catch.
    LocalReads,
    /// Broken on purpose: a leader decides a slot as soon as its own
    /// acceptor accepted, without waiting for a majority. A leader cut off
    /// by a partition decides writes no one else knows; a new leader fills
    /// those slots with other entries — lost writes, and logs that differ.
    NoMajority,
}

/// The protocol's timing, the network's faults, and the flavor.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How often a leader heartbeats and sends lost accepts again, and a
    /// follower counts silence.
    pub tick: Duration,
    /// How many silent ticks start an election: drawn in this range, anew
    /// for each election, so that candidates rarely collide.
    pub patience: (u32, u32),
    /// The probability that a message is lost, between replicas or
    /// between a client and a replica.
    pub loss: f64,
    /// The range each message's latency between replicas is drawn from.
    pub latency: (Duration, Duration),
    /// Correct, or with a planted bug.
    pub flavor: Flavor,
}

impl Default for Settings {
    /// A 20 ms tick, elections after 5 to 10 silent ticks, a reliable
    /// network with up to 1 ms of latency, the correct protocol.
    fn default() -> Self {
        Settings {
            tick: Duration::from_millis(20),
            patience: (5, 10),
            loss: 0.0,
            latency: (Duration::ZERO, Duration::from_millis(1)),
            flavor: Flavor::Correct,
        }
    }
}

/// An acceptor's durable state — the ballot it promised and the values it
/// accepted — which survives its replica's crash. Each change is made
/// before the message that reports it is sent, as if written and synced
/// first. Cloning gives another handle to the same disk.
#[derive(Clone, Default)]
pub struct Disk {
    state: Arc<Mutex<Acceptor>>,
}

#[derive(Default)]
struct Acceptor {
    promised: Ballot,
    accepted: BTreeMap<u64, (Ballot, Entry)>,
}

impl Disk {
    fn state(&self) -> MutexGuard<'_, Acceptor> {
        // Each update below is complete before the lock is released, so a
        // poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ballot promised.
    pub fn promised(&self) -> Ballot {
        self.state().promised
    }

    /// Phase 1b: promises `ballot` unless a higher one was promised, and
    /// returns what was accepted in slots from `from_slot` on; `None` if
    /// it refused.
    pub fn prepare(&self, ballot: Ballot, from_slot: u64) -> Option<Vec<(u64, Ballot, Entry)>> {
        let mut state = self.state();
        if ballot < state.promised {
            return None;
        }
        state.promised = ballot;
        let accepted = state.accepted.range(from_slot..);
        Some(
            accepted
                .map(|(&slot, (b, entry))| (slot, *b, entry.clone()))
                .collect(),
        )
    }

    /// Phase 2b: accepts `entry` in `slot` unless a higher ballot than
    /// `ballot` was promised; whether it accepted.
    pub fn accept(&self, ballot: Ballot, slot: u64, entry: Entry) -> bool {
        let mut state = self.state();
        if ballot < state.promised {
            return false;
        }
        state.promised = ballot;
        state.accepted.insert(slot, (ballot, entry));
        true
    }
}

/// A store of replicas in this process, behind one [`Network`].
pub struct Cluster {
    network: Network,
    disks: Vec<Disk>,
    settings: Settings,
}

impl Cluster {
    /// Starts `replicas` replicas; `seed` draws the network's losses and
    /// latencies.
    pub fn start(replicas: usize, settings: Settings, seed: u64) -> Cluster {
        let network = Network::new(replicas, settings.loss, settings.latency, seed);
        let cluster = Cluster {
            network,
            // One disk each: `vec![Disk::default(); n]` would share one.
            disks: (0..replicas).map(|_| Disk::default()).collect(),
            settings,
        };
        for replica in 0..replicas {
            cluster.restart(replica);
        }
        cluster
    }

    /// The network, for clients.
    pub fn network(&self) -> Network {
        self.network.clone()
    }

    /// How many replicas there are.
    pub fn size(&self) -> usize {
        self.disks.len()
    }

    /// Crashes replica `replica` at once: messages to it are lost from now
    /// on, its own in flight too; its disk survives.
    pub fn crash(&self, replica: usize) {
        if let Some(actor) = self.network.replica(replica) {
            actor.kill();
            self.network.attach(replica, None);
        }
    }

    /// Starts replica `replica` again from its disk, if it is not running.
    pub fn restart(&self, replica: usize) {
        let Some(disk) = self.disks.get(replica) else {
            return;
        };
        if self.network.replica(replica).is_none() {
            let actor =
                Replica::new(replica, self.network.clone(), disk.clone(), self.settings).spawn();
            self.network.attach(replica, Some(actor));
        }
    }

    /// Checks that the running replicas' applied logs agree: each is a
    /// prefix of the longest. Returns the longest log's length.
    ///
    /// # Errors
    ///
    /// A sentence naming the first slot where two replicas differ.
    pub async fn logs_agree(&self) -> Result<usize, String> {
        let mut longest: Vec<Entry> = Vec::new();
        for replica in 0..self.size() {
            let Some(actor) = self.network.replica(replica) else {
                continue;
            };
            let Ok(log) = actor.log().await else {
                continue;
            };
            if let Some(slot) = (0..log.len().min(longest.len())).find(|&s| log[s] != longest[s]) {
                return Err(format!(
                    "replica {replica} decided {:?} in slot {slot}, another {:?}",
                    log[slot], longest[slot]
                ));
            }
            if log.len() > longest.len() {
                longest = log;
            }
        }
        Ok(longest.len())
    }
}
