//! Recording across nodes that meet through a real `nats-server`: a call
//! that crosses carries its message id in the NATS message, so the JSON
//! Lines traces the two nodes write merge into one causal sequence
//! diagram, grouped by node, whose requests and replies pair up across
//! the nodes — as with TCP nodes (`actium/tests/remote_trace.rs`).

mod support;

use std::path::{Path, PathBuf};

use actium::prelude::*;
use actium::trace::diagram::{Arrow, Step};
use actium::trace::record::{Id, Kind, Record};
use actium::trace::{Diagram, Filter, Format, JsonLines, Recording, merge, read_file};
use support::{Cluster, wait_until};

#[derive(Default)]
struct Store {
    items: u64,
}

#[actor(remote)]
impl Store {
    #[ask]
    fn count(&self) -> u64 {
        self.items
    }

    #[tell]
    fn add(&mut self, n: u64) {
        self.items += n;
    }
}

/// Lives on node 0; calls the store on node 1 from inside its own method.
struct Relay {
    store: ActorRef<Store>,
}

#[actor]
impl Relay {
    #[ask]
    async fn forward(&self) -> u64 {
        self.store.add(2).unwrap_or_default();
        self.store.count().await.unwrap_or(u64::MAX)
    }
}

/// A directory of this test's own, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("actium-nats-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn count(records: &[Record], kind: Kind) -> usize {
    records.iter().filter(|r| r.kind == kind).count()
}

/// The records of a trace file written so far, which must all read.
fn records(path: &Path) -> Vec<Record> {
    let trace = read_file(path).expect("the trace file reads");
    assert!(trace.problems.is_empty(), "{:?}", trace.problems);
    trace.records
}

fn id_of(records: &[Record], kind: Kind, method: &str) -> Id {
    records
        .iter()
        .find(|r| r.kind == kind && r.method == method)
        .unwrap_or_else(|| panic!("no {kind} of `{method}` in {records:#?}"))
        .id
}

fn position(records: &[Record], kind: Kind, id: Id) -> usize {
    records
        .iter()
        .position(|r| r.kind == kind && r.id == id)
        .unwrap_or_else(|| panic!("no {kind} of {id} in {records:#?}"))
}

/// The diagram's arrows of kind `arrow` whose label starts with `label`:
/// each one's index among the steps, and its ends.
fn arrows(diagram: &Diagram, arrow: Arrow, label: &str) -> Vec<(usize, usize, usize)> {
    diagram
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, step)| match step {
            Step::Message {
                from,
                to,
                arrow: drawn,
                label: text,
            } if *drawn == arrow && text.starts_with(label) => Some((i, *from, *to)),
            _ => None,
        })
        .collect()
}

/// The index of the node group that holds lifeline `lifeline`.
fn node_of(diagram: &Diagram, lifeline: usize) -> usize {
    diagram
        .nodes
        .iter()
        .position(|node| node.lifelines.contains(&lifeline))
        .expect("every lifeline is in a node")
}

/// The index of the node group of the node at `address`.
fn group_of(diagram: &Diagram, address: &str) -> usize {
    diagram
        .nodes
        .iter()
        .position(|node| node.url.as_deref() == Some(address))
        .unwrap_or_else(|| panic!("no node {address} in {:#?}", diagram.nodes))
}

/// Node 1 recorded the store's runs under the ids node 0 sent, so in the
/// merged order each send precedes the run it caused, and each reply
/// follows its run.
fn causal_order_holds_across_the_nodes(merged: &[Record]) {
    let forward = id_of(merged, Kind::Ask, "forward");
    let add = id_of(merged, Kind::Tell, "add");
    let count_id = id_of(merged, Kind::Ask, "count");
    for chain in [
        [
            position(merged, Kind::Start, forward),
            position(merged, Kind::Tell, add),
            position(merged, Kind::Start, add),
        ],
        [
            position(merged, Kind::Ask, count_id),
            position(merged, Kind::Start, count_id),
            position(merged, Kind::Reply, count_id),
        ],
        [
            position(merged, Kind::Tell, add),
            position(merged, Kind::Ask, count_id),
            position(merged, Kind::Reply, forward),
        ],
    ] {
        assert!(chain.windows(2).all(|w| w[0] < w[1]), "{chain:?}");
    }
    let ask_count = &merged[position(merged, Kind::Ask, count_id)];
    let start_count = &merged[position(merged, Kind::Start, count_id)];
    assert_eq!(ask_count.parent, Some(forward));
    assert_eq!(start_count.parent, None);
    assert_ne!(ask_count.node, start_count.node);
}

#[test]
fn json_lines_traces_of_two_nats_nodes_merge_into_one_diagram() {
    let cluster = Cluster::start(2);
    let scratch = Scratch::new();
    let files = [scratch.path("node0.jsonl"), scratch.path("node1.jsonl")];
    let recordings: Vec<Recording> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            Recording::builder()
                .sink(JsonLines::create(file).expect("the trace file opens"))
                .node_url(cluster.node(i).address())
                .start(cluster.system(i).handle())
                .expect("records")
        })
        .collect();
    let url = cluster.node(1).url("store");
    cluster.run(1, async {
        let store = Store::default().spawn();
        cluster.node(1).register("store", &store).unwrap();
    });
    let answer = cluster.run(0, async {
        let store = cluster.node(0).lookup::<Store>(&url).await.unwrap();
        let relay = Relay { store }.spawn();
        relay.forward().await.unwrap()
    });
    assert_eq!(answer, 2);
    // The runs end just after their answers leave: wait for their ends to
    // be written.
    let ended = [1, 2];
    for ((recording, file), runs) in recordings.iter().zip(&files).zip(ended) {
        wait_until("the runs' ends are written", || {
            recording.flush();
            // Still being written: a last line may be cut short.
            let so_far = read_file(file).expect("the trace file reads");
            count(&so_far.records, Kind::End) >= runs
        });
    }
    for recording in recordings {
        let summary = recording.finish();
        assert_eq!(summary.dropped, 0);
    }
    let (a, b) = (records(&files[0]), records(&files[1]));
    let addresses = [cluster.node(0).address(), cluster.node(1).address()];
    for (trace, address) in [(&a, addresses[0]), (&b, addresses[1])] {
        assert!(trace.iter().all(|r| r.node_url.as_deref() == Some(address)));
    }

    let merged = merge(vec![a, b]);
    causal_order_holds_across_the_nodes(&merged);

    let diagram = Diagram::build(&merged, &Filter::default());
    assert_eq!(diagram.nodes.len(), 2, "{:#?}", diagram.nodes);
    // The request crosses from the relay (node 0) to the store (node 1),
    // and its reply comes back between the same two lifelines, after it.
    let [(asked, relay, store)] = arrows(&diagram, Arrow::Ask, "count(")[..] else {
        panic!("one request `count` in {:#?}", diagram.steps);
    };
    assert_eq!(node_of(&diagram, relay), group_of(&diagram, addresses[0]));
    assert_eq!(node_of(&diagram, store), group_of(&diagram, addresses[1]));
    let replies: Vec<usize> = arrows(&diagram, Arrow::Reply, "2")
        .into_iter()
        .filter(|&(_, from, to)| (from, to) == (store, relay))
        .map(|(step, _, _)| step)
        .collect();
    assert!(
        matches!(replies[..], [replied] if replied > asked),
        "{replies:?}"
    );
    let told: Vec<(usize, usize)> = arrows(&diagram, Arrow::Tell, "add(2)")
        .into_iter()
        .map(|(_, from, to)| (from, to))
        .collect();
    assert_eq!(told, [(relay, store)]);
    let mermaid = Format::Mermaid.render(&diagram);
    assert_eq!(mermaid.matches("    box ").count(), 2, "{mermaid}");
}
