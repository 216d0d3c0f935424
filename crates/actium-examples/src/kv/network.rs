//! The network between replicas, and between clients and replicas: which
//! replica incarnation a number reaches, which messages are lost, how long
//! each takes, and which replicas a partition keeps apart.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actium::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::{Ballot, Message, Replica};

/// The network a cluster's replicas and clients talk over. Cloning gives
/// another handle to the same network.
///
/// Replicas are numbered from 0. A partition puts each replica on a side;
/// messages between sides are lost, as are messages to a crashed replica.
/// Clients reach every live replica (a client is beside any replica it can
/// reach), but lose requests and answers as replicas do.
#[derive(Clone)]
pub struct Network {
    links: Arc<Mutex<Links>>,
}

struct Links {
    replicas: Vec<Option<ActorRef<Replica>>>,
    side: Vec<u8>,
    loss: f64,
    latency: (Duration, Duration),
    rng: StdRng,
    /// The last ballot that won an election, and how often a different
    /// replica took over.
    leader: Option<Ballot>,
    leader_changes: u64,
}

impl Network {
    /// A network of `replicas` replicas (none started yet) that loses each
    /// message with probability `loss` and delays it by a latency drawn in
    /// `latency`, with choices drawn from `seed`.
    pub fn new(replicas: usize, loss: f64, latency: (Duration, Duration), seed: u64) -> Self {
        let links = Links {
            replicas: vec![None; replicas],
            side: vec![0; replicas],
            loss,
            latency,
            rng: StdRng::seed_from_u64(seed),
            leader: None,
            leader_changes: 0,
        };
        Network {
            links: Arc::new(Mutex::new(links)),
        }
    }

    fn links(&self) -> MutexGuard<'_, Links> {
        // A panic elsewhere while holding the lock leaves plain data that
        // is still consistent: every update is a single assignment.
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many replicas the network connects.
    pub fn size(&self) -> usize {
        self.links().replicas.len()
    }

    /// The live incarnation of replica `replica`, if it runs.
    pub fn replica(&self, replica: usize) -> Option<ActorRef<Replica>> {
        self.links().replicas.get(replica).cloned().flatten()
    }

    /// Makes `actor` the incarnation of replica `replica` that messages
    /// reach (`None`: it crashed).
    pub fn attach(&self, replica: usize, actor: Option<ActorRef<Replica>>) {
        if let Some(slot) = self.links().replicas.get_mut(replica) {
            *slot = actor;
        }
    }

    /// Cuts `minority` off from the other replicas (a replica numbered
    /// past the cluster is ignored); replaces any earlier partition.
    pub fn partition(&self, minority: &[usize]) {
        let mut links = self.links();
        links.side.iter_mut().for_each(|side| *side = 0);
        for &replica in minority {
            if let Some(side) = links.side.get_mut(replica) {
                *side = 1;
            }
        }
    }

    /// Ends any partition.
    pub fn heal(&self) {
        self.partition(&[]);
    }

    /// The latency of a message from `from` to `to`, or `None` if the
    /// network loses it. A replica's messages to itself always arrive.
    pub fn route(&self, from: usize, to: usize) -> Option<Duration> {
        let mut links = self.links();
        if from == to {
            return Some(Duration::ZERO);
        }
        if links.side.get(from) != links.side.get(to) || links.loses() {
            return None;
        }
        Some(links.latency())
    }

    /// Whether a message between a client and a replica is lost.
    pub fn client_loses(&self) -> bool {
        self.links().loses()
    }

    /// Sends `message` from replica `from` to replica `to` over this
    /// network: after its latency, to whichever incarnation of `to` runs
    /// then, unless it is lost.
    pub fn send(&self, ctx: &mut Context<Replica>, from: usize, to: usize, message: Message) {
        let Some(latency) = self.route(from, to) else {
            return;
        };
        let network = self.clone();
        ctx.later(latency, move |_| {
            if let Some(replica) = network.replica(to) {
                // A replica that crashed meanwhile loses it, as a real
                // network would.
                let _ = replica.deliver(from, message);
            }
        });
    }

    /// Notes that `ballot` won an election.
    pub fn elected(&self, ballot: Ballot) {
        let mut links = self.links();
        if links
            .leader
            .is_some_and(|leader| leader.proposer != ballot.proposer)
        {
            links.leader_changes += 1;
        }
        if links.leader.is_none_or(|leader| leader < ballot) {
            links.leader = Some(ballot);
        }
    }

    /// The replica that won the latest election, if any did.
    pub fn leader(&self) -> Option<usize> {
        let leader = self.links().leader?;
        usize::try_from(leader.proposer).ok()
    }

    /// How often leadership moved to another replica.
    pub fn leader_changes(&self) -> u64 {
        self.links().leader_changes
    }
}

impl Links {
    fn loses(&mut self) -> bool {
        self.loss > 0.0 && self.rng.random_bool(self.loss.min(1.0))
    }

    fn latency(&mut self) -> Duration {
        let (low, high) = self.latency;
        if high <= low {
            return low;
        }
        self.rng.random_range(low..=high)
    }
}
