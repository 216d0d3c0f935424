//! Chord in deterministic simulation: one simulated node per Chord node,
//! latency on every message, and churn — joins, leaves and crashes drawn
//! from the seed. After the churn the ring settles to the paper's
//! pointers, every lookup names the true successor and no key is lost;
//! a seed replays exactly, digest and virtual time alike. And two small
//! rings linked by hand, for a newcomer whose successor skips newer nodes.

use std::time::Duration;

use actium::sim::Simulation;
use actium_examples::chord::simulate::{self, Report, Settings};
use actium_examples::chord::{ChordNode, Config, Id, NodeState, Peer};

/// A small ring with as many churn events as nodes.
fn settings(seed: u64) -> Settings {
    Settings {
        nodes: 24,
        lookups: 200,
        keys: 60,
        churn: 24,
        lookups_per_event: 5,
        ..Settings::new(seed)
    }
}

fn run(seed: u64) -> Report {
    simulate::run(&settings(seed)).expect("the ring settles")
}

#[test]
fn after_joins_leaves_and_crashes_every_lookup_and_key_is_right() {
    let mut churn = [0; 3];
    for seed in 0..3 {
        let report = run(seed);
        assert_eq!(report.churn.iter().sum::<usize>(), 24);
        assert_eq!(report.before.failed, 0, "seed {seed}");
        assert_eq!(report.after.failed, 0, "seed {seed}");
        assert_eq!(
            (report.failed_puts, report.lost_keys),
            (0, 0),
            "seed {seed}"
        );
        (0..3).for_each(|kind| churn[kind] += report.churn[kind]);
    }
    // Each kind of event happened.
    assert!(churn.iter().all(|&count| count > 0), "{churn:?}");
}

#[test]
fn a_seed_replays_and_other_seeds_differ() {
    let first = run(11);
    let again = run(11);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.elapsed, again.elapsed);
    assert_eq!(first.after.hops, again.after.hops);
    assert_ne!(run(12).digest, first.digest);
}

/// Chord nodes sharing one simulated node, each message delayed by the
/// Chord code's own latency: the ring still heals after churn (crashes
/// become leaves there) and a seed replays.
#[test]
fn shared_nodes_heal_after_churn_and_replay() {
    let shared = |seed| Settings {
        shared: true,
        ..settings(seed)
    };
    let report = simulate::run(&shared(5)).expect("the ring settles");
    assert_eq!((report.before.failed, report.after.failed), (0, 0));
    assert_eq!((report.failed_puts, report.lost_keys), (0, 0));
    let again = simulate::run(&shared(5)).expect("the ring settles");
    assert_eq!(report.digest, again.digest);
    assert_eq!(report.elapsed, again.elapsed);
}

/// The scale benchmark's shared mode, small: every lookup right, the
/// lookups take virtual time (each hop's messages are delayed, where
/// calls between actors of one system would take none), and a seed
/// replays.
#[test]
fn the_shared_scale_run_delays_every_hop_and_replays() {
    let settings = Settings {
        nodes: 64,
        lookups: 200,
        shared: true,
        ..Settings::new(2)
    };
    let duration = Duration::from_secs(120);
    let run = || simulate::scale(&settings, duration, true, true).expect("the run ends");
    let (first, again) = (run(), run());
    assert_eq!(first.lookups.failed, 0);
    assert!(first.lookups.mean_hops() > 1.0, "{:?}", first.lookups.hops);
    assert!(first.lookups.elapsed >= Duration::from_millis(2));
    assert!(first.messages.unwrap_or(0) > 0);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.messages, again.messages);
    assert_eq!(first.lookups.hops, again.lookups.hops);
}

/// Node identifiers of a small ring at 10, 20, …, 60 (scaled up so they
/// look like hashes), and a newcomer at 15.
fn small_ring_id(tens: u64) -> Id {
    Id(tens << 56)
}

/// A ring of six nodes linked by hand — each node's successor list and
/// predecessor those of the true ring, except that node 10's successor
/// list starts at `successor_of_10` — plus a newcomer at 15 that has not
/// joined yet. No periodic run happens within the test's virtual time
/// (periods of an hour), so only what the test triggers runs. Returns the
/// ring's nodes by identifier, then the newcomer.
async fn small_ring(sim: &Simulation, successor_of_10: u64) -> (Vec<Peer>, Peer) {
    let home = sim.node("home").expect("a simulated node");
    let config = Config {
        fastest: Duration::from_secs(3600),
        slowest: Duration::from_secs(3600),
        latency: Some((Duration::from_millis(1), Duration::from_millis(50))),
        ..Config::default()
    };
    let spawn = |tens| {
        let id = small_ring_id(tens);
        Peer {
            id,
            node: home.spawn(ChordNode::new(id, config.clone())),
        }
    };
    let ring: Vec<Peer> = [10, 20, 30, 40, 50, 60].into_iter().map(spawn).collect();
    let len = ring.len();
    for (at, node) in ring.iter().enumerate() {
        let mut after: Vec<Peer> = (1..len).map(|k| ring[(at + k) % len].clone()).collect();
        if at == 0 {
            after.retain(|peer| peer.id >= small_ring_id(successor_of_10));
        }
        let successor = after.remove(0);
        node.node
            .successors_changed(successor, after)
            .expect("a live node");
        node.node
            .notify(ring[(at + len - 1) % len].clone())
            .expect("a live node");
    }
    let newcomer = spawn(15);
    actium::sleep(Duration::from_secs(1)).await;
    (ring, newcomer)
}

/// The state of `peer`.
async fn state(peer: &Peer) -> NodeState {
    peer.node.state().await.expect("a live node")
}

/// The 10,000-node benchmark's failed lookup (seed 1), small: a newcomer
/// whose join was answered by a node whose successor skipped newer nodes
/// had a successor k nodes past its place, and `stabilize` (Fig. 7's one
/// step a run: successor = successor.predecessor) brought it one node
/// nearer each period — still 8 nodes off 400 virtual seconds later, its
/// predecessor not knowing it, lookups for its keys naming another node.
/// One `stabilize` now walks back all the way.
#[test]
fn one_stabilize_brings_a_newcomer_whose_successor_skips_nodes_to_its_place() {
    let sim = Simulation::new(1);
    let checked = sim.run(async {
        let (ring, newcomer) = small_ring(&sim, 20).await;
        // What a join answered by a node whose successor was 50 leaves:
        // successor 50 (which ignores the notify: 40 is nearer).
        let after_50: Vec<Peer> = ring[5..].iter().chain(&ring[..4]).cloned().collect();
        (newcomer.node)
            .successors_changed(ring[4].clone(), after_50)
            .expect("a live node");
        actium::sleep(Duration::from_secs(1)).await;
        assert_eq!(state(&newcomer).await.successors[0], ring[4].id);
        newcomer.node.stabilize().expect("a live node");
        actium::sleep(Duration::from_secs(5)).await;
        let newcomer_state = state(&newcomer).await;
        assert_eq!(
            newcomer_state.successors[0], ring[1].id,
            "newcomer's successor"
        );
        assert_eq!(
            newcomer_state.predecessor,
            Some(ring[0].id),
            "newcomer's predecessor"
        );
        assert_eq!(state(&ring[1]).await.predecessor, Some(newcomer.id));
        assert_eq!(state(&ring[0]).await.successors[0], newcomer.id);
        let found = ring[0].node.find_successor(small_ring_id(12)).await;
        assert_eq!(
            found.expect("a live node").map(|f| f.successor.id),
            Ok(newcomer.id)
        );
    });
    checked.expect("the simulation ran");
}

/// The same shape at the join: the node joined through (10) has a
/// successor (50) that skips newer nodes, so `find_successor` answers 50
/// for the newcomer at 15; `join` walks back to 20 before it notifies,
/// and the ring is right without waiting for a `stabilize`.
#[test]
fn a_join_answered_past_newer_nodes_walks_back_to_its_place() {
    let sim = Simulation::new(2);
    let checked = sim.run(async {
        let (ring, newcomer) = small_ring(&sim, 50).await;
        assert_eq!(state(&ring[0]).await.successors[0], ring[4].id);
        let joined = newcomer.node.join(ring[0].clone()).await;
        assert_eq!(joined.expect("a live node"), Ok(()));
        actium::sleep(Duration::from_secs(5)).await;
        let newcomer_state = state(&newcomer).await;
        assert_eq!(
            newcomer_state.successors[0], ring[1].id,
            "newcomer's successor"
        );
        assert_eq!(state(&ring[1]).await.predecessor, Some(newcomer.id));
    });
    checked.expect("the simulation ran");
}
