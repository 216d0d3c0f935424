//! The key-value store on Multi-Paxos: clients' histories are
//! linearizable in real time with a leader crash and over many simulated
//! seeds with crashes, restarts, partitions and lossy links; the replicas'
//! logs agree; and the checker does catch a leader that reads locally.
//!
//! The simulated seed count is what fits in well under a minute of an
//! unoptimised test build on two cores; `cargo run --release --example kv
//! -- --simulate --seeds 0..10000` runs more (see `docs/EXAMPLES.md`), as
//! does the ignored test below (`-- --ignored`).

use actium_examples::kv::linearizability::{self, Verdict};
use actium_examples::kv::{Client, Cluster, Flavor, Op, Output, Recorder, Settings, simulate};
use futures_util::future::join_all;

/// How many seeds the simulation test runs.
const SEEDS: u64 = 600;

/// `ops` operations on three keys; with `cluster`, crashes the leader at
/// half and restarts it at three quarters. Returns the crashed replica.
async fn run_client(
    mut client: Client,
    id: u64,
    ops: u32,
    cluster: Option<&Cluster>,
) -> Option<usize> {
    let mut last_read = None;
    let mut crashed = None;
    for n in 0..ops {
        if let Some(cluster) = cluster {
            if n == ops / 2 {
                crashed = cluster.network().leader();
                crashed.inspect(|&leader| cluster.crash(leader));
            }
            if n == ops * 3 / 4 {
                crashed.inspect(|&leader| cluster.restart(leader));
            }
        }
        let key = format!("k{}", (u64::from(n) * 7 + id) % 3);
        let value = format!("{id}.{n}");
        let op = match n % 3 {
            0 => Op::Get { key },
            1 => Op::Put { key, value },
            _ => Op::Cas {
                key,
                expected: last_read.clone(),
                new: value,
            },
        };
        if let Some(Output::Value(value)) = client.execute(op).await {
            last_read = value;
        }
    }
    crashed
}

/// Runs `clients` clients of `ops` operations each against `replicas`
/// replicas, crashing the leader halfway, and checks the history and logs.
async fn crash_the_leader(
    replicas: usize,
    clients: u64,
    ops: u32,
    settings: Settings,
) -> actium::Result<()> {
    let cluster = Cluster::start(replicas, settings, 7);
    let recorder = Recorder::new();
    let runs = (1..=clients).map(|id| {
        let client = Client::new(id, cluster.network(), recorder.clone());
        run_client(client, id, ops, (id == 1).then_some(&cluster))
    });
    let crashed = join_all(runs).await[0];
    let history = recorder.operations();
    assert_eq!(history.len(), (clients * u64::from(ops)) as usize);
    // Progress: with a majority always up, every operation is answered.
    assert!(
        history.iter().all(|op| op.answered.is_some()),
        "an operation went unanswered"
    );
    let verdict = linearizability::check(&history).expect("a well-formed history");
    assert_eq!(verdict, Verdict::Linearizable);
    let network = cluster.network();
    assert!(crashed.is_some(), "a leader was elected before the crash");
    assert!(network.leader_changes() >= 1, "another replica took over");
    // Every decided slot is the same everywhere, and every op is in it
    // (plus no-ops and the duplicates of retries).
    let decided = cluster.logs_agree().await.expect("the logs agree");
    assert!(decided >= history.len());
    Ok(())
}

#[actium::test]
async fn five_replicas_stay_linearizable_when_the_leader_crashes() -> actium::Result<()> {
    crash_the_leader(5, 4, 60, Settings::default()).await
}

#[actium::test]
async fn three_replicas_on_a_lossy_network_stay_linearizable() -> actium::Result<()> {
    let settings = Settings {
        loss: 0.05,
        ..Settings::default()
    };
    crash_the_leader(3, 3, 45, settings).await
}

#[test]
fn every_simulated_history_is_linearizable_and_logs_agree() -> actium::Result<()> {
    let batch = simulate::run_many(0, SEEDS, Flavor::Correct)?;
    assert_eq!(batch.violation, None);
    assert_eq!(batch.runs, SEEDS);
    // Faults end, so clients get through: nearly all operations answered.
    assert!(
        batch.answered * 100 >= batch.operations * 95,
        "{} of {}",
        batch.answered,
        batch.operations
    );
    // The faults did move leadership around.
    assert!(batch.leader_changes > SEEDS / 2);
    Ok(())
}

#[test]
#[ignore = "thousands of seeds: run in --release"]
fn thousands_of_simulated_histories_are_linearizable() -> actium::Result<()> {
    let seeds = std::env::var("KV_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    let batch = simulate::run_many(0, seeds, Flavor::Correct)?;
    assert_eq!(batch.violation, None);
    Ok(())
}

#[test]
fn a_seed_replays_and_other_seeds_differ() -> actium::Result<()> {
    let first = simulate::run(42, Flavor::Correct)?;
    let again = simulate::run(42, Flavor::Correct)?;
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.elapsed, again.elapsed);
    assert_eq!(first.operations, again.operations);
    let others: Vec<_> = (43..48)
        .map(|seed| simulate::run(seed, Flavor::Correct))
        .collect::<Result<_, _>>()?;
    assert!(others.iter().all(|other| other.digest != first.digest));
    Ok(())
}

/// The first of 100 seeds whose run with `flavor` is found wrong.
fn first_caught(flavor: Flavor) -> actium::Result<Option<(u64, simulate::Outcome)>> {
    (0..100)
        .map(|seed| simulate::run(seed, flavor).map(|outcome| (seed, outcome)))
        .find(|run| !matches!(run, Ok((_, outcome)) if outcome.violation().is_none()))
        .transpose()
}

#[test]
fn the_checker_catches_leaders_that_read_locally() -> actium::Result<()> {
    // A leader answering reads from its own state serves stale values
    // once a partition or crash lets another leader take writes.
    let caught = first_caught(Flavor::LocalReads)?;
    let Some((seed, outcome)) = caught else {
        panic!("100 seeds of a broken store passed the checker");
    };
    assert!(
        matches!(outcome.verdict, Verdict::Violation { .. }),
        "seed {seed}: {:?}",
        outcome.verdict
    );
    // The same seed with the log serving reads is linearizable: the
    // checker flags the bug, not the scenario.
    let fixed = simulate::run(seed, Flavor::Correct)?;
    assert_eq!(fixed.verdict, Verdict::Linearizable);
    Ok(())
}

#[test]
fn leaders_deciding_without_a_majority_are_caught() -> actium::Result<()> {
    // A cut-off leader decides writes alone; a new leader decides other
    // entries in those slots: the replicas' logs differ, and clients may
    // see acknowledged writes vanish.
    let Some((seed, outcome)) = first_caught(Flavor::NoMajority)? else {
        panic!("100 seeds of a broken store passed the checks");
    };
    assert!(outcome.violation().is_some());
    let fixed = simulate::run(seed, Flavor::Correct)?;
    assert_eq!(fixed.violation(), None);
    Ok(())
}
