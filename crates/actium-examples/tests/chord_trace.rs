//! Chord's join, recorded: the trace holds the messages of one node's join
//! — the lookup hop by hop, the key hand-over, stabilize and notify — and
//! none of the rest of the ring's traffic, and it draws.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use actium::trace::{Kind, Record};
use actium_examples::chord::trace::{TraceError, record_join, write_join};
use actium_examples::chord::{Config, Ring};

const LIMIT: Duration = Duration::from_secs(20);

async fn recorded_join() -> Result<Vec<Record>, TraceError> {
    let config = Config {
        successors: 4,
        fastest: Duration::from_millis(2),
        slowest: Duration::from_millis(40),
        ..Config::default()
    };
    let mut ring = Ring::build(32, config, 8, LIMIT).await?;
    let (entries, failed) = ring.store_keys(100).await;
    assert_eq!((entries.len(), failed), (100, 0));
    record_join(&mut ring, LIMIT).await
}

fn methods(records: &[Record]) -> BTreeSet<&str> {
    (records.iter())
        .filter(|r| r.kind.is_send())
        .map(|r| r.method.as_str())
        .collect()
}

#[actium::test]
async fn a_recorded_join_holds_the_papers_steps_and_nothing_else() -> Result<(), TraceError> {
    let records = recorded_join().await?;
    let first = records
        .iter()
        .find(|r| r.kind.is_send())
        .expect("a message");
    assert_eq!(first.method, "join");
    assert!(first.from.is_none(), "the driver calls join: {first:?}");
    assert_eq!(
        first.to.as_ref().and_then(|to| to.name.as_deref()),
        Some("newcomer")
    );
    let methods = methods(&records);
    for step in [
        "join",
        "find_successor",
        "closest_preceding_finger",
        "successor",
        "hand_over",
        "stabilize",
        "predecessor",
        "successor_list",
        "notify",
        "successors_changed",
    ] {
        assert!(methods.contains(step), "no {step} in {methods:?}");
    }
    for other in ["fix_fingers", "check_predecessor", "next_round", "state"] {
        assert!(!methods.contains(other), "{other} in {methods:?}");
    }
    Ok(())
}

#[actium::test]
async fn every_recorded_message_is_caused_by_the_join_or_the_first_stabilize()
-> Result<(), TraceError> {
    let records = recorded_join().await?;
    let sends: Vec<&Record> = records.iter().filter(|r| r.kind.is_send()).collect();
    let roots: Vec<&str> = (sends.iter())
        .filter(|r| r.parent.is_none())
        .map(|r| r.method.as_str())
        .collect();
    assert_eq!(roots, ["join", "stabilize"]);
    let sent: HashSet<_> = sends.iter().map(|r| r.id).collect();
    for send in &sends {
        if let Some(parent) = send.parent {
            assert!(sent.contains(&parent), "{send:?} has no recorded cause");
        }
    }
    // Every message was handled before the recording ended.
    let ended: HashSet<_> = (records.iter())
        .filter(|r| r.kind == Kind::End)
        .map(|r| r.id)
        .collect();
    assert!(sent.is_subset(&ended));
    Ok(())
}

#[actium::test(tasks)]
async fn a_recorded_join_is_written_as_a_trace_and_a_diagram() -> Result<(), TraceError> {
    let records = recorded_join().await?;
    let dir = std::env::temp_dir().join(format!("chord-trace-{}", std::process::id()));
    let files = write_join(&records, &dir)?;
    let trace = actium::trace::read_file(&files.trace)?;
    assert_eq!(trace.records, records);
    let svg = std::fs::read_to_string(&files.svg)?;
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("newcomer") && svg.contains("hand_over"));
    let sends = records.iter().filter(|r| r.kind.is_send()).count();
    assert!(files.messages > sends, "an arrow per message and answer");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
