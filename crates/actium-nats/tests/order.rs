//! Calls and signals from one node to another through NATS arrive in the
//! order they were sent: the receiving node queues the calls to one actor
//! in a batch together, and whatever follows them (a signal, a call to
//! another actor) must not overtake them.

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use support::{Cluster, LIMIT};

/// Lives on node 1 and logs what reaches it from node 0.
#[derive(Default)]
struct Collector {
    log: Vec<String>,
}

#[actor(remote)]
impl Collector {
    #[tell]
    fn note(&mut self, entry: String) {
        self.log.push(entry);
    }

    #[ask]
    fn watch_worker(&mut self, ctx: &mut Context<Self>, worker: ActorRef<Worker>) {
        ctx.trap_exit(true);
        ctx.link(&worker);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        self.log.push(format!("exit {}", exit.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }
}

/// Lives on node 0 and sends to collectors on node 1.
struct Worker;

#[actor(remote)]
impl Worker {
    /// Sends `n` notes to `a` and every third to `b` too, then stops: its
    /// exit signal follows the notes.
    #[tell]
    fn burst_then_stop(
        &mut self,
        ctx: &mut Context<Self>,
        a: ActorRef<Collector>,
        b: ActorRef<Collector>,
        n: u32,
    ) {
        for i in 0..n {
            let _ = a.note(format!("note {i}"));
            if i % 3 == 0 {
                let _ = b.note(format!("b {i}"));
            }
        }
        ctx.stop();
    }
}

/// `collector`'s log once it has `n` entries, or as it is after [`LIMIT`].
async fn log_of(collector: &ActorRef<Collector>, n: usize) -> Vec<String> {
    let give_up = Instant::now() + LIMIT;
    loop {
        let log = collector.log().await.unwrap();
        if log.len() >= n || Instant::now() > give_up {
            return log;
        }
        actium::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn an_exit_signal_follows_the_calls_sent_before_it() {
    const NOTES: u32 = 2_000;
    let cluster = Cluster::start(2);
    let url = cluster.node(0).url("worker");
    cluster.run(0, async {
        cluster.node(0).register("worker", &Worker.spawn()).unwrap();
    });
    let worker = cluster
        .run(1, cluster.node(1).lookup::<Worker>(&url))
        .unwrap();
    let (a, b) = cluster.run(1, async {
        let a = Collector::default().spawn();
        let b = Collector::default().spawn();
        a.watch_worker(worker.clone()).await.unwrap();
        worker.burst_then_stop(a.clone(), b.clone(), NOTES).unwrap();
        (
            log_of(&a, NOTES as usize + 1).await,
            log_of(&b, NOTES.div_ceil(3) as usize).await,
        )
    });
    let mut expected_a: Vec<String> = (0..NOTES).map(|i| format!("note {i}")).collect();
    expected_a.push("exit normal".to_owned());
    assert_eq!(a, expected_a);
    let expected_b: Vec<String> = (0..NOTES)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("b {i}"))
        .collect();
    assert_eq!(b, expected_b);
}
