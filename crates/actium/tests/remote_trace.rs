//! Recording across real nodes: a call that crosses carries its message
//! id, so the traces the two nodes write merge into one causal diagram,
//! grouped by node.
#![cfg(all(feature = "remote", feature = "trace"))]

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::trace::record::{Id, Kind, Record};
use actium::trace::{Diagram, Filter, Format, Memory, Recording, merge};
use support::MODES;
use support::remote::Cluster;

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

/// Lives on node 0; asks the store on node 1 from inside its own method.
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

fn count(records: &[Record], kind: Kind) -> usize {
    records.iter().filter(|r| r.kind == kind).count()
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

#[test]
fn calls_across_nodes_merge_into_one_causal_diagram() {
    const LIMIT: Duration = Duration::from_secs(10);
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let (trace_a, trace_b) = (Memory::new(), Memory::new());
        let recordings: Vec<Recording> = [&trace_a, &trace_b]
            .into_iter()
            .enumerate()
            .map(|(i, sink)| {
                Recording::builder()
                    .sink(sink.clone())
                    .node_url(cluster.node(i).address().to_string())
                    .start(cluster.system(i).handle())
                    .expect("records")
            })
            .collect();
        let url = cluster.node(1).url("store");
        cluster.run(1, async {
            cluster
                .node(1)
                .register("store", &Store::default().spawn())
                .unwrap();
        });
        let answer = cluster.run(0, async {
            let store = cluster.node(0).lookup::<Store>(&url).await.unwrap();
            let relay = Relay { store }.spawn();
            relay.forward().await.unwrap()
        });
        assert_eq!(answer, 2);
        let a = trace_a
            .wait_for(LIMIT, |r| count(r, Kind::End) >= 1)
            .expect("the relay's run ends");
        let b = trace_b
            .wait_for(LIMIT, |r| count(r, Kind::End) >= 2)
            .expect("the store's two runs end");
        drop(recordings);
        assert!(
            a.iter()
                .all(|r| r.node_url.as_deref() == Some(&*cluster.node(0).address().to_string()))
        );

        let merged = merge(vec![a, b]);
        let forward = id_of(&merged, Kind::Ask, "forward");
        let add = id_of(&merged, Kind::Tell, "add");
        let count_id = id_of(&merged, Kind::Ask, "count");
        // The store's node recorded its runs under the relay's ids, so each
        // send precedes the run it caused in the merged order (the tell's
        // run and the ask may interleave: they are concurrent).
        for chain in [
            [
                position(&merged, Kind::Start, forward),
                position(&merged, Kind::Tell, add),
                position(&merged, Kind::Start, add),
            ],
            [
                position(&merged, Kind::Ask, count_id),
                position(&merged, Kind::Start, count_id),
                position(&merged, Kind::Reply, count_id),
            ],
            [
                position(&merged, Kind::Tell, add),
                position(&merged, Kind::Ask, count_id),
                position(&merged, Kind::Reply, forward),
            ],
        ] {
            assert!(chain.windows(2).all(|w| w[0] < w[1]), "{chain:?}");
        }
        let start_count = &merged[position(&merged, Kind::Start, count_id)];
        assert_eq!(start_count.parent, None);
        assert_eq!(
            merged[position(&merged, Kind::Ask, count_id)].parent,
            Some(forward)
        );
        assert_ne!(
            merged[position(&merged, Kind::Ask, count_id)].node,
            start_count.node
        );

        let diagram = Diagram::build(&merged, &Filter::default());
        assert_eq!(diagram.nodes.len(), 2);
        let mermaid = Format::Mermaid.render(&diagram);
        assert_eq!(mermaid.matches("    box ").count(), 2, "{mermaid}");
    }
}
