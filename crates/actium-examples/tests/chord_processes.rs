//! Chord with one node per process: eight `chord_node` processes form a
//! ring that settles to the paper's pointers, store keys, and keep every
//! key through one process being killed (SIGKILL) or hanging (SIGSTOP),
//! read from the replicas on the successor lists; over TCP, and meeting
//! through a NATS server (`nats-server`, installed by
//! `scripts/install-nats`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actium::nats::LocalServer;
use actium_examples::chord::{
    Config, Entry, Id, Meeting, NodeArgs, NodeCommand, NodeProcess, ProcessError, ProcessRing,
};

const CHORD_NODE: &str = env!("CARGO_BIN_EXE_chord_node");

/// Fast maintenance, so eight processes settle in about a second even in
/// a debug build on a loaded machine; r = 3, so each key lives on 4 of
/// the 8 nodes and one failure matters.
fn config() -> Config {
    Config {
        successors: 3,
        fastest: Duration::from_millis(5),
        slowest: Duration::from_millis(100),
        call_timeout: Duration::from_millis(500),
        latency: None,
    }
}

/// How long each step may take: starting the processes, settling.
const LIMIT: Duration = Duration::from_secs(15);

fn command() -> NodeCommand {
    NodeCommand {
        program: CHORD_NODE.into(),
        args: Vec::new(),
    }
}

/// Eight processes, stable, holding `count` keys; and the node that is
/// responsible for the most of them (so that losing it matters).
async fn eight_processes_with_keys(
    count: usize,
) -> Result<(ProcessRing, Vec<Entry>, Id), ProcessError> {
    eight_processes_meeting(count, &Meeting::Tcp).await
}

/// As [`eight_processes_with_keys`], the nodes meeting as `meeting` says.
async fn eight_processes_meeting(
    count: usize,
    meeting: &Meeting,
) -> Result<(ProcessRing, Vec<Entry>, Id), ProcessError> {
    let mut processes =
        ProcessRing::start_meeting(&command(), 8, config(), 1, LIMIT, meeting).await?;
    assert_eq!(processes.processes().count(), 8);
    let ring = processes.ring();
    ring.wait_until_stable(LIMIT).await?;
    let (entries, failed) = ring.store_keys(count).await;
    assert_eq!(failed, 0, "stores failed");
    assert_eq!(ring.missing_keys(&entries).await, 0, "keys missing");
    assert_eq!(ring.lookups(200).await.failed, 0, "lookups failed");
    let mut owned = BTreeMap::<Id, usize>::new();
    for entry in &entries {
        *owned
            .entry(ring.successor_of(Id::hash(&entry.key)).id)
            .or_default() += 1;
    }
    let busiest = owned.into_iter().max_by_key(|&(_, keys)| keys);
    let (busiest, _) = busiest.expect("keys were stored");
    Ok((processes, entries, busiest))
}

#[actium::test(tasks)]
async fn eight_node_processes_keep_every_key_when_one_is_killed() -> Result<(), ProcessError> {
    let started = Instant::now();
    let (mut processes, entries, victim) = eight_processes_with_keys(200).await?;
    assert!(processes.kill(victim));
    let ring = processes.ring();
    assert_eq!(ring.len(), 7);
    let killed = Instant::now();
    ring.wait_until_stable(LIMIT).await?;
    let stable = killed.elapsed();
    assert_eq!(ring.lookups(200).await.failed, 0, "lookups failed after");
    assert_eq!(ring.missing_keys(&entries).await, 0, "keys lost");
    eprintln!(
        "8 node processes, one killed: stable again in {stable:?}, {:?} in all",
        started.elapsed()
    );
    Ok(())
}

#[actium::test(tasks)]
async fn eight_node_processes_meeting_through_nats_keep_every_key_when_one_is_killed()
-> Result<(), ProcessError> {
    let server = LocalServer::start().expect("nats-server starts (scripts/install-nats)");
    let meeting = Meeting::Nats {
        server: server.url(),
        cluster: "chord-test".to_owned(),
    };
    let (mut processes, entries, victim) = eight_processes_meeting(200, &meeting).await?;
    for (_, process) in processes.processes() {
        let url = process.url().unwrap_or_default();
        assert!(url.starts_with("nats://chord-test/"), "{url}");
    }
    assert!(processes.kill(victim));
    let ring = processes.ring();
    ring.wait_until_stable(LIMIT).await?;
    assert_eq!(ring.lookups(200).await.failed, 0, "lookups failed after");
    assert_eq!(ring.missing_keys(&entries).await, 0, "keys lost");
    Ok(())
}

#[cfg(unix)]
#[actium::test(tasks)]
async fn a_hung_node_process_is_skipped_and_its_keys_are_read_from_replicas()
-> Result<(), ProcessError> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let (mut processes, entries, victim) = eight_processes_with_keys(200).await?;
    let (_, hung) = (processes.processes())
        .find(|(id, _)| *id == victim)
        .expect("the victim is a live process");
    // SIGSTOP: the process keeps its sockets open and answers nothing, so
    // only deadlines notice it (the process is killed when the ring drops).
    let pid = i32::try_from(hung.pid()).expect("a pid fits an i32");
    kill(Pid::from_raw(pid), Signal::SIGSTOP).expect("the process stops");
    let ring = processes.ring();
    ring.forget(victim);
    let stopped = Instant::now();
    ring.wait_until_stable(LIMIT).await?;
    let stable = stopped.elapsed();
    assert_eq!(ring.lookups(200).await.failed, 0, "lookups failed");
    assert_eq!(ring.missing_keys(&entries).await, 0, "keys lost");
    eprintln!("one node process hung: stable again in {stable:?}");
    Ok(())
}

#[actium::test(tasks)]
async fn a_node_process_says_where_it_listens_once_it_has_joined() -> Result<(), ProcessError> {
    let command = command();
    let mut first = NodeProcess::start(&command, &NodeArgs::new(&config(), None))?;
    let address = first.listening(LIMIT).await?.to_owned();
    assert!(address.starts_with("tcp://127.0.0.1:"), "{address}");
    let join = first.url();
    assert_eq!(join, Some(format!("{address}/chord")));
    let mut second = NodeProcess::start(&command, &NodeArgs::new(&config(), join))?;
    second.listening(LIMIT).await?;
    Ok(())
}

#[actium::test(tasks)]
async fn a_node_process_that_cannot_join_exits_with_an_error() {
    // Nothing listens on port 1: the join fails, and the process exits
    // without printing an address.
    let mut args = NodeArgs::new(&config(), Some("tcp://127.0.0.1:1/chord".to_owned()));
    args.join_limit_ms = 200;
    let mut process = NodeProcess::start(&command(), &args).expect("the program starts");
    let outcome = process.listening(LIMIT).await;
    assert!(
        matches!(outcome, Err(ProcessError::NoAddress { .. })),
        "{outcome:?}"
    );
}
