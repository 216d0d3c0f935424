//! Single-decree Paxos (Lamport, "Paxos Made Simple", 2001): proposers,
//! acceptors and learners as actors, one method per message of the paper's
//! two phases. A proposer's phase is one call to a majority of acceptors —
//! `acceptors.quorum().prepare(ballot)` — that returns as soon as a
//! majority answered, so a crashed, partitioned or lossy minority only
//! costs a deadline.
//!
//! [`Cluster`] starts a whole system in one process.
//!
//! ```
//! use actium::prelude::*;
//! use actium_examples::paxos::{Cluster, Network};
//!
//! actium::launch(Mode::Tasks, async {
//!     let cluster = Cluster::start(&[Network::Reliable; 3], 2, 1);
//!     let chosen = cluster.proposers[0].propose("x".to_owned()).await?;
//!     assert_eq!(chosen, Ok("x".to_owned()));
//!     assert_eq!(cluster.learners[0].wait().await?, "x");
//!     Ok::<(), actium::Error>(())
//! })?;
//! # Ok::<(), actium::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actium::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::oneshot;

mod cluster;
pub mod simulate;

pub use cluster::Cluster;

/// The value agreed on.
pub type Value = String;

/// A proposal number: rounds ordered first, the proposer's number breaking
/// ties, so no two proposers ever use the same one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    /// The round.
    pub round: u64,
    /// The proposer that uses it.
    pub proposer: u32,
}

/// An acceptor's answer to `prepare` (phase 1b).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Promise {
    /// It will accept no proposal numbered below the ballot, and this is
    /// the highest-numbered proposal it has accepted, if any.
    Promised(Option<(Ballot, Value)>),
    /// It already promised a higher ballot.
    Rejected(Ballot),
}

/// An acceptor's answer to `accept` (phase 2b).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// It accepted the proposal.
    Accepted,
    /// It had promised a higher ballot.
    Rejected(Ballot),
}

/// How the network treats an acceptor's messages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Network {
    /// Every message arrives.
    Reliable,
    /// Each request, and each reply, is lost with this probability.
    Lossy(f64),
    /// Nothing arrives: the acceptor is cut off.
    Partitioned,
}

/// Why a proposal gave up.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no value chosen after {attempts} ballots: a majority of acceptors did not answer")]
pub struct GaveUp {
    /// How many ballots were tried.
    pub attempts: u32,
}

/// Remembers promises and accepted proposals; tells the learners what it
/// accepts.
pub struct Acceptor {
    number: u32,
    promised: Option<Ballot>,
    accepted: Option<(Ballot, Value)>,
    learners: Group<Learner>,
    network: Network,
    rng: StdRng,
}

impl Acceptor {
    /// Acceptor `number`, reporting to `learners`, behind `network`.
    pub fn new(number: u32, learners: Group<Learner>, network: Network, seed: u64) -> Self {
        Acceptor {
            number,
            promised: None,
            accepted: None,
            learners,
            network,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Whether the network loses the next message.
    fn loses(&mut self) -> bool {
        match self.network {
            Network::Reliable => false,
            Network::Lossy(p) => self.rng.random_bool(p),
            Network::Partitioned => true,
        }
    }
}

/// Handles one request as `handle` says, over the acceptor's network: the
/// request, or the reply, may be lost. A lost message is never answered, so
/// the caller's deadline fires as on a real network, while the acceptor
/// keeps serving others (its methods are parallel).
async fn over_network<T>(
    this: &mut Reentrant<Acceptor>,
    handle: impl FnOnce(&mut Acceptor) -> T,
) -> T {
    let lost = || std::future::pending();
    if this.with(Acceptor::loses) {
        return lost().await;
    }
    let reply = this.with(handle);
    if this.with(Acceptor::loses) {
        return lost().await;
    }
    reply
}

#[actor]
impl Acceptor {
    /// Phase 1b: "If an acceptor receives a prepare request with number n
    /// greater than that of any prepare request to which it has already
    /// responded, then it responds with a promise not to accept any more
    /// proposals numbered less than n and with the highest-numbered
    /// proposal (if any) that it has accepted."
    #[ask(parallel)]
    pub async fn prepare(mut this: Reentrant<Self>, ballot: Ballot) -> Promise {
        over_network(&mut this, |a| {
            if let Some(promised) = a.promised.filter(|&promised| promised > ballot) {
                return Promise::Rejected(promised);
            }
            a.promised = Some(ballot);
            Promise::Promised(a.accepted.clone())
        })
        .await
    }

    /// Phase 2b: "If an acceptor receives an accept request for a proposal
    /// numbered n, it accepts the proposal unless it has already responded
    /// to a prepare request having a number greater than n." It tells the
    /// learners of each proposal it accepts.
    #[ask(parallel)]
    pub async fn accept(mut this: Reentrant<Self>, ballot: Ballot, value: Value) -> Acceptance {
        over_network(&mut this, |a| {
            if let Some(promised) = a.promised.filter(|&promised| promised > ballot) {
                return Acceptance::Rejected(promised);
            }
            a.promised = Some(ballot);
            a.accepted = Some((ballot, value.clone()));
            a.learners
                .tell_all()
                .accepted(a.number, ballot, value)
                .send();
            Acceptance::Accepted
        })
        .await
    }

    /// From now on, the network treats this acceptor's messages as
    /// `network` says: how a driver cuts an acceptor off and heals it.
    #[tell]
    pub fn set_network(&mut self, network: Network) {
        self.network = network;
    }
}

/// Learns a value once a majority of acceptors accepted the same proposal.
pub struct Learner {
    majority: usize,
    /// Who accepted each proposal.
    votes: BTreeMap<Ballot, (Value, BTreeSet<u32>)>,
    /// Every value this learner saw chosen, in order: Paxos's safety is
    /// that there is never more than one.
    chosen: Vec<Value>,
    waiting: Vec<oneshot::Sender<Value>>,
}

impl Learner {
    /// A learner for a system of `acceptors` acceptors.
    pub fn new(acceptors: usize) -> Self {
        Learner {
            majority: acceptors / 2 + 1,
            votes: BTreeMap::new(),
            chosen: Vec::new(),
            waiting: Vec::new(),
        }
    }
}

#[actor]
impl Learner {
    /// Acceptor `acceptor` accepted `value` in `ballot`: "the learner must
    /// find out that a proposal has been accepted by a majority of
    /// acceptors".
    #[tell]
    pub fn accepted(&mut self, acceptor: u32, ballot: Ballot, value: Value) {
        let (value, voters) = self.votes.entry(ballot).or_insert((value, BTreeSet::new()));
        if voters.insert(acceptor) && voters.len() == self.majority && !self.chosen.contains(value)
        {
            self.chosen.push(value.clone());
            for waiter in self.waiting.drain(..) {
                let _ = waiter.send(value.clone());
            }
        }
    }

    /// Every value this learner has seen chosen; safe Paxos never gives
    /// more than one.
    #[ask]
    pub fn chosen(&self) -> Vec<Value> {
        self.chosen.clone()
    }

    /// Waits until this learner learns the chosen value.
    #[ask(parallel, timeout = "30s")]
    pub async fn wait(mut this: Reentrant<Self>) -> Value {
        let (done, learned) = oneshot::channel();
        let chosen = this.with(|l| {
            let first = l.chosen.first().cloned();
            if first.is_none() {
                l.waiting.push(done);
            }
            first
        });
        match chosen {
            Some(value) => value,
            // The sender lives in the state, which outlives this method.
            None => learned.await.unwrap_or_default(),
        }
    }
}

/// Proposes values until one is chosen.
pub struct Proposer {
    number: u32,
    acceptors: Group<Acceptor>,
    round: u64,
    /// How long a phase waits for a majority.
    patience: Duration,
    /// How many ballots to try before giving up.
    attempts: u32,
    /// How many ballots it has tried in all.
    tried: u32,
    rng: StdRng,
}

impl Proposer {
    /// Proposer `number` (distinct per proposer) talking to `acceptors`.
    pub fn new(number: u32, acceptors: Group<Acceptor>, seed: u64) -> Self {
        Proposer {
            number,
            acceptors,
            round: 0,
            patience: Duration::from_millis(100),
            attempts: 50,
            tried: 0,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// How many ballots to try before giving up (50 by default).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

#[actor]
impl Proposer {
    /// Proposes `value`; returns the value chosen, which is another
    /// proposer's if that one was chosen first. Competing proposers back off
    /// for a random while after a failed ballot, so one of them gets
    /// through.
    #[ask(timeout = "60s")]
    pub async fn propose(&mut self, value: Value) -> Result<Value, GaveUp> {
        for attempt in 0..self.attempts {
            if let Some(chosen) = self.ballot(&value).await {
                return Ok(chosen);
            }
            let backoff = self.rng.random_range(0..=(2_u64 << attempt.min(6)));
            actium::sleep(Duration::from_millis(backoff)).await;
        }
        Err(GaveUp {
            attempts: self.attempts,
        })
    }

    /// How many ballots this proposer has tried: more than one per proposal
    /// means it met competition or lost messages.
    #[ask]
    pub fn ballots(&self) -> u32 {
        self.tried
    }

    /// One ballot through both phases; the chosen value if it got through.
    async fn ballot(&mut self, value: &Value) -> Option<Value> {
        self.tried += 1;
        self.round += 1;
        let ballot = Ballot {
            round: self.round,
            proposer: self.number,
        };
        // Phase 1a: "A proposer selects a proposal number n and sends a
        // prepare request with number n to a majority of acceptors."
        let prepare = self.acceptors.quorum().prepare(ballot);
        let promises = prepare
            .timeout(self.patience)
            .await
            .ok()?
            .into_values()
            .ok()?;
        let mut highest: Option<(Ballot, Value)> = None;
        for promise in promises {
            match promise {
                Promise::Promised(accepted) => highest = highest.max(accepted),
                Promise::Rejected(promised) => {
                    self.round = self.round.max(promised.round);
                    return None;
                }
            }
        }
        // Phase 2a: "...it sends an accept request to each of those
        // acceptors for a proposal numbered n with a value v, where v is the
        // value of the highest-numbered proposal among the responses, or is
        // any value if the responses reported no proposals."
        let value = highest.map_or_else(|| value.clone(), |(_, value)| value);
        let accept = self.acceptors.quorum().accept(ballot, value.clone());
        let acceptances = accept
            .timeout(self.patience)
            .await
            .ok()?
            .into_values()
            .ok()?;
        let all = acceptances.iter().all(|a| *a == Acceptance::Accepted);
        all.then_some(value)
    }
}
