//! Scribe over Chord: trees built from lookup paths deliver every publish
//! to every subscriber exactly once and in order per publisher, are no
//! deeper than a lookup path, and repair themselves when nodes — the roots
//! included — are killed; across node processes too.

use std::time::{Duration, Instant};

use actium_examples::chord::{self, Id, NodeCommand, ProcessRing};
use actium_examples::scribe::{self, Network, Round, ScribeError, ScribeNode, Scribes};

/// Fast maintenance, so that small rings settle and repair in well under a
/// second even in a debug build on a loaded machine.
fn chord_config() -> chord::Config {
    chord::Config {
        successors: 4,
        fastest: Duration::from_millis(5),
        slowest: Duration::from_millis(100),
        call_timeout: Duration::from_millis(500),
        latency: None,
    }
}

fn scribe_config() -> scribe::Config {
    scribe::Config {
        maintenance: Duration::from_millis(20),
        join_timeout: Duration::from_millis(300),
        call_timeout: Duration::from_millis(500),
    }
}

/// How long each step may take.
const LIMIT: Duration = Duration::from_secs(20);

fn assert_complete(round: &Round, what: &str) {
    assert!(round.published > 0, "{what}: nothing published");
    assert_eq!(
        round.failed_publishes, 0,
        "{what}: publishes failed: {round:?}"
    );
    assert_eq!(
        round.delivered, round.expected,
        "{what}: deliveries missing"
    );
    assert_eq!(
        round.misordered, 0,
        "{what}: a delivery repeated or out of order"
    );
}

#[actium::test(tasks)]
async fn every_subscriber_receives_every_publish_once_and_in_order() -> Result<(), ScribeError> {
    let mut network = Network::build(32, chord_config(), scribe_config(), 1, LIMIT).await?;
    network.scribes.subscribe(5, (0.1, 0.5), LIMIT).await?;
    let forest = network.scribes.forest(network.root_of()).await;
    assert!(forest.wrong.is_empty(), "{:?}", forest.wrong);
    for _ in 0..2 {
        let round = network.scribes.publish(6, LIMIT).await;
        assert_complete(&round, "no failures");
    }
    Ok(())
}

#[actium::test(tasks)]
async fn trees_are_no_deeper_than_lookup_paths() -> Result<(), ScribeError> {
    let mut network = Network::build(64, chord_config(), scribe_config(), 2, LIMIT).await?;
    network.scribes.subscribe(8, (0.1, 0.5), LIMIT).await?;
    let round = network.scribes.publish(1, LIMIT).await;
    assert_complete(&round, "64 nodes");
    // Each tree edge is a hop of a Chord lookup path, which at least
    // halves the distance to the topic: about ½·log2 N on average, and
    // rarely past log2 N.
    let log2n = 64_f64.log2();
    let max = round.depths.iter().copied().max().unwrap_or(0);
    let mean = round.depths.iter().map(|&d| f64::from(d)).sum::<f64>() / round.depths.len() as f64;
    assert!(
        f64::from(max) <= log2n + 2.0,
        "depth {max} with log2 N = {log2n}"
    );
    assert!(mean <= log2n, "mean depth {mean} with log2 N = {log2n}");
    Ok(())
}

/// Kills `what`, publishes once with the trees unrepaired, then repairs
/// them and checks that every surviving subscriber gets everything again.
async fn repairs_after(
    network: &mut Network,
    kill: impl AsyncFnOnce(&mut Network),
) -> Result<Round, ScribeError> {
    network.scribes.set_repair(false);
    kill(network).await;
    let broken = network.scribes.publish(2, Duration::from_millis(300)).await;
    network.scribes.set_repair(true);
    network.ring.wait_until_stable(LIMIT).await?;
    network
        .scribes
        .wait_until_repaired(network.root_of(), LIMIT)
        .await?;
    let repaired = network.scribes.publish(3, LIMIT).await;
    assert_complete(&repaired, "after repair");
    Ok(broken)
}

#[actium::test(tasks)]
async fn trees_repair_after_a_tenth_of_the_nodes_are_killed() -> Result<(), ScribeError> {
    let mut network = Network::build(64, chord_config(), scribe_config(), 3, LIMIT).await?;
    network.scribes.subscribe(8, (0.1, 0.5), LIMIT).await?;
    assert_complete(&network.scribes.publish(2, LIMIT).await, "before");
    let broken = repairs_after(&mut network, async |network| {
        network.kill(6).await;
    })
    .await?;
    assert_eq!(broken.misordered, 0);
    Ok(())
}

#[actium::test(tasks)]
async fn a_dead_root_is_replaced_by_the_topic_successor() -> Result<(), ScribeError> {
    let mut network = Network::build(32, chord_config(), scribe_config(), 4, LIMIT).await?;
    network.scribes.subscribe(4, (0.2, 0.4), LIMIT).await?;
    let roots: Vec<Id> = (network.scribes.topics.iter())
        .map(|topic| network.ring.successor_of(topic.id).id)
        .collect();
    let broken = repairs_after(&mut network, async |network| {
        network.kill_nodes(&roots).await;
    })
    .await?;
    // With every root dead and the trees unrepaired, no publish can reach
    // a tree: the killing was real.
    assert!(broken.delivered < broken.expected, "{broken:?}");
    Ok(())
}

const SCRIBE_NODE: &str = env!("CARGO_BIN_EXE_scribe_node");

#[actium::test(tasks)]
async fn subscribe_and_publish_work_across_node_processes() -> Result<(), Box<dyn std::error::Error>>
{
    let started = Instant::now();
    let command = NodeCommand {
        program: SCRIBE_NODE.into(),
        args: Vec::new(),
    };
    let mut processes = ProcessRing::start(&command, 5, chord_config(), 5, LIMIT).await?;
    processes.ring().wait_until_stable(LIMIT).await?;
    let mut scribes = Scribes::new(5);
    let found: Vec<(Id, String)> = (processes.processes())
        .filter_map(|(id, process)| {
            Some((
                id,
                format!("{}/{}", process.address()?, scribe::process::NAME),
            ))
        })
        .collect();
    for (id, url) in found {
        let scribe = processes.node().lookup::<ScribeNode>(&url).await?;
        assert!(!scribe.is_local());
        scribes.members.insert(id, scribe);
    }
    assert_eq!(scribes.members.len(), 5);
    scribes.subscribe(3, (0.4, 0.8), LIMIT).await?;
    let root_of = |ring: &chord::Ring| {
        let nodes: Vec<Id> = ring.nodes().iter().map(|p| p.id).collect();
        move |topic: Id| {
            nodes
                .iter()
                .copied()
                .find(|n| *n >= topic)
                .unwrap_or(nodes[0])
        }
    };
    let forest = scribes.forest(root_of(processes.ring())).await;
    assert!(forest.wrong.is_empty(), "{:?}", forest.wrong);
    assert_complete(&scribes.publish(4, LIMIT).await, "five processes");

    let ready = started.elapsed();
    // A process dies: its node's trees are repaired around it.
    let victim = *scribes.members.keys().next().expect("five members");
    assert!(processes.kill(victim));
    scribes.forget(victim);
    let killed = Instant::now();
    processes.ring().wait_until_stable(LIMIT).await?;
    let stable = killed.elapsed();
    scribes
        .wait_until_repaired(root_of(processes.ring()), LIMIT)
        .await?;
    let repaired = killed.elapsed();
    assert_complete(&scribes.publish(4, LIMIT).await, "one process killed");
    eprintln!(
        "5 scribe_node processes: subscribed and delivering {ready:?} after the first start; \
         one killed, Chord stable {stable:?} and trees repaired {repaired:?} later"
    );
    Ok(())
}

#[actium::test(tasks)]
async fn subscriber_fractions_outside_zero_to_one_are_a_typed_error() -> Result<(), ScribeError> {
    let mut network = Network::build(4, chord_config(), scribe_config(), 6, LIMIT).await?;
    for fraction in [(0.6, 0.2), (-0.1, 0.5), (0.5, 1.5), (f64::NAN, 0.5)] {
        let outcome = network.scribes.subscribe(1, fraction, LIMIT).await;
        assert!(
            matches!(outcome, Err(ScribeError::Fraction { .. })),
            "{fraction:?}: {outcome:?}"
        );
    }
    assert!(network.scribes.topics.is_empty());
    Ok(())
}

/// Build, subscribe, publish, kill a tenth, publish, repair, publish: the
/// rounds' outcomes and the virtual time, as text.
async fn scenario(seed: u64) -> Result<String, Box<dyn std::error::Error>> {
    let clock = actium::SystemHandle::current().clock();
    let start = clock.now();
    let mut network = Network::build(48, chord_config(), scribe_config(), seed, LIMIT).await?;
    network.scribes.subscribe(4, (0.1, 0.5), LIMIT).await?;
    let whole = network.scribes.publish(2, LIMIT).await;
    assert_complete(&whole, "simulated, no failure");
    network.scribes.set_repair(false);
    network.kill(5).await;
    let broken = network.scribes.publish(2, Duration::from_millis(300)).await;
    network.scribes.set_repair(true);
    network.ring.wait_until_stable(LIMIT).await?;
    network
        .scribes
        .wait_until_repaired(network.root_of(), LIMIT)
        .await?;
    let repaired = network.scribes.publish(2, LIMIT).await;
    assert_complete(&repaired, "simulated, after repair");
    let virtual_time = clock.now() - start;
    Ok(format!(
        "{whole:?} {broken:?} {repaired:?} {virtual_time:?}"
    ))
}

#[test]
fn a_simulated_run_repairs_its_trees_and_replays_for_a_seed()
-> Result<(), Box<dyn std::error::Error>> {
    use actium::prelude::*;
    let first = actium::launch(Mode::Simulated { seed: 9 }, scenario(9))?;
    let again = actium::launch(Mode::Simulated { seed: 9 }, scenario(9))?;
    assert_eq!(first, again);
    Ok(())
}

#[actium::test(tasks)]
async fn a_node_joining_between_a_topic_and_its_root_takes_the_tree_over() -> Result<(), ScribeError>
{
    let mut network = Network::build(16, chord_config(), scribe_config(), 7, LIMIT).await?;
    network.scribes.subscribe(6, (0.3, 0.6), LIMIT).await?;
    let roots = |network: &Network| -> Vec<Id> {
        (network.scribes.topics.iter())
            .map(|t| network.ring.successor_of(t.id).id)
            .collect()
    };
    let before = roots(&network);
    network.grow(32, &scribe_config(), LIMIT).await?;
    let after = roots(&network);
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count();
    assert!(moved > 0, "no newcomer landed between a topic and its root");
    network
        .scribes
        .wait_until_repaired(network.root_of(), LIMIT)
        .await?;
    assert_complete(
        &network.scribes.publish(3, LIMIT).await,
        "after the roots moved",
    );
    // New topics, subscribed by old and new nodes alike.
    network.scribes.subscribe(2, (0.3, 0.6), LIMIT).await?;
    assert_complete(&network.scribes.publish(2, LIMIT).await, "grown ring");
    Ok(())
}
