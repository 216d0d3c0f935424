//! Calls and signals from one node to another arrive in the order they
//! were sent: the receiving node's reader queues a run of calls to one
//! actor together, and whatever follows them on the connection (a
//! signal, a call to another actor) must not overtake them.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use support::MODES;
use support::remote::Cluster;

/// How long a test waits for its log before it fails.
const LIMIT: Duration = Duration::from_secs(15);

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
    fn noted(&self) -> usize {
        self.log.len()
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

    /// Tells `to` it has begun, then serves nothing for `ms` milliseconds.
    #[ask]
    async fn pause(&self, to: ActorRef<Collector>, ms: u64) {
        let _ = to.note("paused".to_owned());
        actium::sleep(Duration::from_millis(ms)).await;
    }
}

/// Lives on node 0 and sends to collectors on node 1.
struct Worker;

#[actor(remote)]
impl Worker {
    /// Sends `n` notes to `to`, then stops: its exit signal follows the
    /// notes on the same connection.
    #[tell]
    fn burst_then_stop(&mut self, ctx: &mut Context<Self>, to: ActorRef<Collector>, n: u32) {
        for i in 0..n {
            let _ = to.note(format!("note {i}"));
        }
        ctx.stop();
    }

    /// Sends notes to `a` and `b` in turn, then asks `a` how many it has:
    /// each call follows the ones before it, whichever actor they went to.
    #[ask]
    async fn interleave(&self, a: ActorRef<Collector>, b: ActorRef<Collector>, n: u32) -> usize {
        for i in 0..n {
            let _ = a.note(format!("a {i}"));
            if i % 3 == 0 {
                let _ = b.note(format!("b {i}"));
            }
        }
        a.noted().await.unwrap_or(0)
    }

    /// While `tight` (a mailbox of one) pauses, sends runs of notes to
    /// `open` around two asks to `tight`: the reader stages the runs for
    /// `open` and must still check `tight`'s bound. The asks' results, as
    /// `Debug` text (an `Error` does not cross nodes).
    #[ask]
    async fn crowd(
        &self,
        open: ActorRef<Collector>,
        tight: ActorRef<Collector>,
        n: u32,
    ) -> (String, String) {
        let paused = tight.pause(open.clone(), 500);
        while !open
            .log()
            .await
            .is_ok_and(|log| log.contains(&"paused".to_owned()))
        {
            actium::sleep(Duration::from_millis(5)).await;
        }
        for i in 0..n {
            let _ = open.note(format!("before {i}"));
        }
        let (queued, refused) = (tight.noted(), tight.noted());
        for i in 0..n {
            let _ = open.note(format!("after {i}"));
        }
        let _ = paused.await;
        (
            format!("{:?}", queued.await),
            format!("{:?}", refused.await),
        )
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

fn worker_on_node_0(cluster: &Cluster, name: &str) -> ActorRef<Worker> {
    let url = cluster.node(0).url(name);
    cluster.run(0, async {
        cluster.node(0).register(name, &Worker.spawn()).unwrap();
    });
    cluster
        .run(1, cluster.node(1).lookup::<Worker>(&url))
        .unwrap()
}

#[test]
fn an_exit_signal_follows_the_calls_sent_before_it() {
    const NOTES: u32 = 2_000;
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = worker_on_node_0(&cluster, "worker");
        let log = cluster.run(1, async {
            let collector = Collector::default().spawn();
            collector.watch_worker(worker.clone()).await.unwrap();
            worker.burst_then_stop(collector.clone(), NOTES).unwrap();
            log_of(&collector, NOTES as usize + 1).await
        });
        let mut expected: Vec<String> = (0..NOTES).map(|i| format!("note {i}")).collect();
        expected.push("exit normal".to_owned());
        assert_eq!(log, expected, "{mode:?}");
    }
}

#[test]
fn calls_to_several_actors_keep_their_order() {
    const NOTES: u32 = 3_000;
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = worker_on_node_0(&cluster, "worker");
        cluster.run(1, async {
            let a = Collector::default().spawn();
            let b = Collector::default().spawn();
            // The ask follows every note to `a`: all are in by then.
            let noted = worker
                .interleave(a.clone(), b.clone(), NOTES)
                .await
                .unwrap();
            assert_eq!(noted, NOTES as usize, "{mode:?}");
            let expected_a: Vec<String> = (0..NOTES).map(|i| format!("a {i}")).collect();
            assert_eq!(log_of(&a, NOTES as usize).await, expected_a);
            let b_notes = NOTES.div_ceil(3) as usize;
            let expected_b: Vec<String> = (0..NOTES)
                .filter(|i| i % 3 == 0)
                .map(|i| format!("b {i}"))
                .collect();
            assert_eq!(log_of(&b, b_notes).await, expected_b);
        });
    }
}

#[test]
fn a_bounded_actor_keeps_its_bound_among_runs_to_another_of_its_type() {
    const NOTES: u32 = 200;
    for mode in MODES {
        let cluster = Cluster::start(2, mode);
        let worker = worker_on_node_0(&cluster, "worker");
        cluster.run(1, async {
            let open = Collector::default().spawn();
            let tight = Collector::default().spawner().capacity(1).spawn();
            let (queued, refused) = worker
                .crowd(open.clone(), tight.clone(), NOTES)
                .await
                .unwrap();
            assert_eq!(queued, "Ok(0)", "{mode:?}");
            assert!(
                refused.starts_with("Err(MailboxFull") && refused.contains("capacity: 1"),
                "{mode:?}: {refused}"
            );
            let mut expected = vec!["paused".to_owned()];
            expected.extend((0..NOTES).map(|i| format!("before {i}")));
            expected.extend((0..NOTES).map(|i| format!("after {i}")));
            assert_eq!(log_of(&open, expected.len()).await, expected, "{mode:?}");
        });
    }
}
