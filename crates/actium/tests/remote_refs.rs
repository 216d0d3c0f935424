//! References across nodes: passed as arguments and results they stay
//! references (pass-by-reference), to be called directly from anywhere.
#![cfg(feature = "remote")]

mod support;

use actium::prelude::*;
use support::MODES;
use support::remote::Cluster;

/// Holds a value; lives on node C in these tests.
#[derive(Default)]
struct Cell {
    value: u64,
}

#[actor(remote)]
impl Cell {
    #[tell]
    fn set(&mut self, value: u64) {
        self.value = value;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.value
    }
}

/// Hands out references and calls the ones it is given; lives on node A.
#[derive(Default)]
struct Directory {
    cells: Vec<ActorRef<Cell>>,
}

#[actor(remote)]
impl Directory {
    #[tell]
    fn publish(&mut self, cell: ActorRef<Cell>) {
        self.cells.push(cell);
    }

    #[ask]
    fn cells(&self) -> Vec<ActorRef<Cell>> {
        self.cells.clone()
    }

    #[ask]
    fn first(&self) -> Option<ActorRef<Cell>> {
        self.cells.first().cloned()
    }

    /// Calls the reference it is given (from wherever it comes).
    #[ask]
    async fn read(&self, cell: ActorRef<Cell>) -> u64 {
        cell.get().await.unwrap_or(u64::MAX)
    }
}

#[test]
fn a_reference_from_a_third_node_is_called_directly() {
    for mode in MODES {
        let cluster = Cluster::start(3, mode);
        let (a, b, c) = (0, 1, 2);
        let directory_url = cluster.node(a).url("directory");
        cluster.run(a, async {
            cluster
                .node(a)
                .register("directory", &Directory::default().spawn())
                .unwrap();
        });
        // C publishes a reference to its own cell at A.
        let cell_on_c = cluster.run(c, async {
            let cell = Cell { value: 42 }.spawn();
            let directory = cluster
                .node(c)
                .lookup::<Directory>(&directory_url)
                .await
                .unwrap();
            directory.publish(cell.clone()).unwrap();
            // Calls from one sender arrive in order: once this is answered,
            // the publication is in, whoever asks next.
            assert_eq!(directory.cells().await.unwrap().len(), 1);
            cell
        });
        // B gets it from A and calls C directly.
        cluster.run(b, async {
            let directory = cluster
                .node(b)
                .lookup::<Directory>(&directory_url)
                .await
                .unwrap();
            let cells = directory.cells().await.unwrap();
            assert_eq!(cells.len(), 1);
            let cell = &cells[0];
            assert_eq!(cell.id(), cell_on_c.id());
            assert_eq!(
                cell.node_address(),
                Some(cluster.node(c).address().to_string().as_str())
            );
            assert_eq!(cell.get().await.unwrap(), 42);
            cell.set(7).unwrap();
            assert_eq!(cell.get().await.unwrap(), 7);
        });
        // B and C are now connected directly.
        let c_address = cluster.node(c).address().to_string();
        assert!(cluster.node(b).connected().contains(&c_address));
    }
}

#[test]
fn a_reference_that_comes_home_is_local_again() {
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let url = cluster.node(0).url("directory");
        cluster.run(0, async {
            cluster
                .node(0)
                .register("directory", &Directory::default().spawn())
                .unwrap();
        });
        cluster.run(1, async {
            let mine = Cell { value: 5 }.spawn();
            let directory = cluster.node(1).lookup::<Directory>(&url).await.unwrap();
            directory.publish(mine.clone()).unwrap();
            let back = directory.first().await.unwrap().expect("published");
            assert!(back.is_local());
            assert_eq!(back, mine);
            // The remote side can call it too (it is remote from there).
            assert_eq!(directory.read(mine.clone()).await.unwrap(), 5);
        });
    }
}

#[test]
fn references_compare_hash_and_print_the_same_on_every_node() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let url = cluster.node(0).url("directory");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("directory", &Directory::default().spawn())
            .unwrap();
    });
    cluster.run(1, async {
        let cell = Cell::default().spawn();
        let directory = cluster.node(1).lookup::<Directory>(&url).await.unwrap();
        directory.publish(cell.clone()).unwrap();
        directory.publish(cell.clone()).unwrap();
        let cells = directory.cells().await.unwrap();
        assert_eq!(cells[0], cells[1]);
        let set: std::collections::HashSet<_> = cells.iter().cloned().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(cells[0].to_string(), cell.to_string());
    });
}

#[test]
fn a_reference_to_an_actor_that_stopped_fails_as_stopped() {
    let cluster = Cluster::start(2, Mode::Tasks);
    let url = cluster.node(0).url("directory");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("directory", &Directory::default().spawn())
            .unwrap();
    });
    cluster.run(1, async {
        let cell = Cell::default().spawn();
        let directory = cluster.node(1).lookup::<Directory>(&url).await.unwrap();
        directory.publish(cell.clone()).unwrap();
        cell.stop();
        assert!(matches!(cell.stopped().await, ExitReason::Stopped));
        // A's reference to it now fails with ActorStopped.
        assert_eq!(directory.read(cell).await.unwrap(), u64::MAX);
    });
}
