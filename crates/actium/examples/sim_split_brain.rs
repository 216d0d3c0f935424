//! A leader election that elects two leaders under a partition, found by
//! simulating three nodes on a network that the seed partitions.
//!
//! Each node sends a heartbeat to the others every 100 ms. The naive rule
//! makes a node leader when it has not heard from a node with a higher id
//! for 250 ms: cut the highest node off and both sides have a leader (split
//! brain). The fixed rule adds a majority and a lease: a node leads only
//! while it hears from a majority and from no higher node, steps down as
//! soon as either fails, and takes over only after no node has claimed to
//! lead for 700 ms — long enough for a leader cut off from the majority to
//! have stepped down. Heartbeats pass on the latest claim a node heard,
//! with its age, so a node back from a partition learns of the leader
//! from whichever node it hears first. A board that every node
//! reports to checks that at most one node leads at any virtual instant.
//!
//! ```text
//! cargo run --example sim_split_brain --features remote [-- --seeds 200]
//! ```
//!
//! It prints one summary line and exits non-zero unless the naive rule's
//! split brain was found and replayed, and the fixed rule held for every
//! seed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::sim::Simulation;

const NODES: u64 = 3;
const PERIOD: Duration = Duration::from_millis(100);

/// The first moment two nodes led at once (since the run began), and who.
type Split = (Duration, Vec<u64>);

/// Who leads, as the nodes say; and the first split.
#[derive(Default)]
struct Board {
    leaders: BTreeMap<u64, ()>,
    split: Option<Split>,
}

type Shared = Arc<Mutex<Board>>;

struct Elector {
    id: u64,
    fixed: bool,
    board: Shared,
    peers: Vec<ActorRef<Elector>>,
    heard: BTreeMap<u64, Instant>,
    /// When each other node last claimed to lead, as far as this one knows.
    claims: BTreeMap<u64, Instant>,
    leading: bool,
    start: Instant,
}

#[actor(remote)]
impl Elector {
    #[tell]
    fn join(&mut self, ctx: &mut Context<Self>, peers: Vec<ActorRef<Elector>>) {
        self.peers = peers;
        let now = ctx.system().clock().now();
        self.start = now;
        ctx.interval(PERIOD, |me| me.round());
    }

    /// `claim`: the latest leader the sender knows of, and how long ago
    /// that node claimed to lead.
    #[tell]
    fn heartbeat(&mut self, ctx: &mut Context<Self>, from: u64, claim: Option<(u64, Duration)>) {
        let now = ctx.system().clock().now();
        self.heard.insert(from, now);
        if let Some((leader, age)) = claim.filter(|(leader, _)| *leader != self.id) {
            let at = now.checked_sub(age).unwrap_or(now);
            let known = self.claims.entry(leader).or_insert(at);
            *known = (*known).max(at);
        }
    }

    #[tell]
    fn round(&mut self, ctx: &mut Context<Self>) {
        let now = ctx.system().clock().now();
        let claim = if self.leading {
            Some((self.id, Duration::ZERO))
        } else {
            self.claims
                .iter()
                .max_by_key(|(_, at)| **at)
                .map(|(leader, at)| (*leader, now.saturating_duration_since(*at)))
        };
        for peer in &self.peers {
            let _ = peer.heartbeat(self.id, claim);
        }
        let silent = |id: &u64| {
            let last = self.heard.get(id).copied().unwrap_or(self.start);
            now.saturating_duration_since(last)
        };
        let window = Duration::from_millis(250);
        let higher_silent = (self.id + 1..=NODES).map(|id| silent(&id)).min();
        let lead = if self.fixed {
            let reached = 1
                + (1..=NODES)
                    .filter(|id| *id != self.id && silent(id) < window)
                    .count() as u64;
            let claimed = self
                .claims
                .values()
                .any(|at| now.saturating_duration_since(*at) < Duration::from_millis(700));
            reached * 2 > NODES
                && higher_silent.is_none_or(|s| s >= window)
                && (self.leading || !claimed)
        } else {
            higher_silent.is_none_or(|s| s >= window)
        };
        if lead != self.leading {
            self.leading = lead;
            let at = now.saturating_duration_since(self.start);
            let mut board = self.board.lock().expect("board");
            if lead {
                board.leaders.insert(self.id, ());
            } else {
                board.leaders.remove(&self.id);
            }
            if board.leaders.len() > 1 && board.split.is_none() {
                board.split = Some((at, board.leaders.keys().copied().collect()));
            }
        }
    }
}

/// One run: three nodes, the highest cut off from the others for 1.5 s at
/// a time the seed picks. The split it saw, if any, and the run's digest.
fn run(seed: u64, fixed: bool) -> Result<(Option<Split>, u64), Error> {
    let sim = Simulation::builder(seed)
        .latency(Duration::from_millis(1), Duration::from_millis(20))
        .failure_detection(Duration::from_millis(300))
        .build();
    let board = Shared::default();
    let nodes: Vec<_> = (1..=NODES)
        .map(|id| sim.node(&format!("n{id}")))
        .collect::<Result<_, _>>()?;
    let cut_at = Duration::from_millis(500 + seed * 7919 % 1500);
    sim.run(async {
        let mut electors = Vec::new();
        for (node, id) in nodes.iter().zip(1..) {
            let start = sim.clock().now();
            let elector = node.spawn(Elector {
                id,
                fixed,
                board: board.clone(),
                peers: Vec::new(),
                heard: BTreeMap::new(),
                claims: BTreeMap::new(),
                leading: false,
                start,
            });
            node.register("elector", &elector)?;
            electors.push(elector);
        }
        for (node, elector) in nodes.iter().zip(&electors) {
            let mut peers = Vec::new();
            for other in nodes.iter().filter(|other| other.name() != node.name()) {
                let url = format!("{}/elector", other.address());
                peers.push(node.lookup::<Elector>(&url).await?);
            }
            elector.join(peers)?;
        }
        actium::sleep(cut_at).await;
        sim.partition("n3", "n1");
        sim.partition("n3", "n2");
        actium::sleep(Duration::from_millis(1500)).await;
        sim.heal("n3", "n1");
        sim.heal("n3", "n2");
        actium::sleep(Duration::from_secs(2)).await;
        Ok::<(), Error>(())
    })??;
    let split = board.lock().expect("board").split.clone();
    Ok((split, sim.digest()))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let seeds = args
        .iter()
        .position(|arg| arg == "--seeds")
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(100);
    let mut found = None;
    for seed in 0..seeds {
        if let (Some(split), digest) = run(seed, false)? {
            found = Some((seed, split, digest));
            break;
        }
    }
    let Some((seed, (at, leaders), digest)) = found else {
        eprintln!("the naive rule never elected two leaders in {seeds} seeds");
        std::process::exit(1);
    };
    let replays = run(seed, false)? == (Some((at, leaders.clone())), digest);
    let mut fixed_splits = 0;
    for seed in 0..seeds {
        if run(seed, true)?.0.is_some() {
            fixed_splits += 1;
        }
    }
    println!(
        "sim_split_brain found_at_seed={seed} at={at:?} leaders={leaders:?} digest={digest:016x} \
         replays={replays} fixed_splits={fixed_splits}/{seeds}"
    );
    if !replays || fixed_splits > 0 {
        std::process::exit(1);
    }
    Ok(())
}
