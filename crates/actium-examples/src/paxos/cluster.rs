//! A whole single-decree Paxos system in one process, for the example and
//! the tests.

use actium::prelude::*;

use super::{Acceptor, Learner, Network, Proposer};

/// A whole single-decree Paxos system in this process.
pub struct Cluster {
    /// The acceptors, in order.
    pub acceptors: Group<Acceptor>,
    /// The proposers, numbered from 0.
    pub proposers: Vec<ActorRef<Proposer>>,
    /// The learners.
    pub learners: Vec<ActorRef<Learner>>,
}

impl Cluster {
    /// Spawns one acceptor per entry of `networks`, `proposers` proposers
    /// and `learners` learners, seeded with 0.
    pub fn start(networks: &[Network], proposers: u32, learners: usize) -> Cluster {
        Cluster::seeded(networks, proposers, learners, 0)
    }

    /// As [`start`](Cluster::start), with `seed` deciding which messages
    /// are lost and how proposers back off.
    pub fn seeded(networks: &[Network], proposers: u32, learners: usize, seed: u64) -> Cluster {
        let learners: Vec<ActorRef<Learner>> = (0..learners)
            .map(|_| Learner::new(networks.len()).spawn())
            .collect();
        let acceptors: Group<Acceptor> = (networks.iter().zip(0..))
            .map(|(&network, number)| {
                let seed = seed.wrapping_mul(1000).wrapping_add(u64::from(number));
                Acceptor::new(number, Group::new(learners.clone()), network, seed).spawn()
            })
            .collect();
        let proposers = (0..proposers)
            .map(|number| {
                let seed = seed
                    .wrapping_mul(1000)
                    .wrapping_add(500 + u64::from(number));
                Proposer::new(number, acceptors.clone(), seed).spawn()
            })
            .collect();
        Cluster {
            acceptors,
            proposers,
            learners,
        }
    }
}
