//! Nodes in separate processes: calls, references between three
//! processes, one million one-way messages in order, and what happens when
//! a node process is killed or hangs.

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::Node;
use actium::{Error, System};
use actium_node_tests::{COOKIE, Counter, NodeProcess, Relay, Sink, Summary};

const NODE: &str = env!("CARGO_BIN_EXE_actium-test-node");

/// This test process as a node too.
fn local_node() -> (System, Node) {
    let system = System::builder().start().unwrap();
    let node = system
        .block_on(
            Node::builder()
                .system(system.handle())
                .cookie(COOKIE)
                .start(),
        )
        .unwrap();
    (system, node)
}

/// Watches one actor and reports its `Down`.
#[derive(Default)]
struct Watcher {
    downs: Vec<ExitReason>,
}

#[actor]
impl Watcher {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Counter>) {
        ctx.monitor(&other);
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.downs.push(down.reason);
    }

    #[ask]
    fn downs(&self) -> Vec<ExitReason> {
        self.downs.clone()
    }
}

#[test]
fn calls_reach_a_node_in_another_process() {
    let remote = NodeProcess::start(NODE);
    let (system, node) = local_node();
    system.block_on(async {
        let counter = node
            .lookup::<Counter>(&remote.url("counter"))
            .await
            .unwrap();
        counter.incr().unwrap();
        counter.incr().unwrap();
        assert_eq!(counter.get().await.unwrap(), 2);
        assert_eq!(counter.pid().await.unwrap(), remote.pid());
        let spawned = node
            .spawn_on(&remote.address, Counter::default())
            .await
            .unwrap();
        spawned.incr().unwrap();
        assert_eq!(spawned.get().await.unwrap(), 1);
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn a_reference_from_one_process_is_called_from_another() {
    let (b, c) = (NodeProcess::start(NODE), NodeProcess::start(NODE));
    let (system, node) = local_node();
    system.block_on(async {
        // A (this process) hands B a reference to C's counter; B calls C.
        let counter_on_c = node.lookup::<Counter>(&c.url("counter")).await.unwrap();
        let relay_on_b = node.lookup::<Relay>(&b.url("relay")).await.unwrap();
        assert_eq!(relay_on_b.bump(counter_on_c.clone()).await.unwrap(), Ok(1));
        assert_eq!(relay_on_b.bump(counter_on_c.clone()).await.unwrap(), Ok(2));
        assert_eq!(counter_on_c.get().await.unwrap(), 2);
        // B's describe lists a connection made for us: B knows C now.
        let info = node.describe(&b.address).await.unwrap();
        assert_eq!(info.names.len(), 3);
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn one_million_one_way_messages_arrive_complete_and_in_order() {
    const N: u64 = 1_000_000;
    let remote = NodeProcess::start(NODE);
    let (system, node) = local_node();
    system.block_on(async {
        let sink = node.lookup::<Sink>(&remote.url("sink")).await.unwrap();
        let started = Instant::now();
        for seq in 0..N {
            sink.push(seq).unwrap();
        }
        let summary = sink
            .summary()
            .timeout(Duration::from_secs(120))
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(
            summary,
            Summary {
                count: N,
                out_of_order: 0
            }
        );
        eprintln!(
            "{N} one-way messages across processes in {elapsed:?} ({:.0} per second)",
            N as f64 / elapsed.as_secs_f64()
        );
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn killing_a_node_process_fails_its_calls_and_fires_monitors_within_two_seconds() {
    let mut remote = NodeProcess::start(NODE);
    let (system, node) = local_node();
    system.block_on(async {
        let counter = node
            .lookup::<Counter>(&remote.url("counter"))
            .await
            .unwrap();
        let watcher = Watcher::default().spawn();
        watcher.watch(counter.clone()).await.unwrap();
        assert_eq!(counter.get().await.unwrap(), 0);
        let pending = counter.wait(30_000);
        let killed = Instant::now();
        remote.kill();
        let answer = pending.await;
        let detected = killed.elapsed();
        eprintln!("a killed node process was detected after {detected:?}");
        assert!(matches!(answer, Err(Error::NodeDown { .. })), "{answer:?}");
        assert!(
            detected < Duration::from_secs(2),
            "detected after {detected:?}"
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        while watcher.downs().await.unwrap().is_empty() && Instant::now() < deadline {
            actium::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(watcher.downs().await.unwrap(), [ExitReason::NoConnection]);
        // Later calls fail fast while the node is gone.
        let started = Instant::now();
        let again = counter.get().await;
        assert!(matches!(again, Err(Error::NodeDown { .. })), "{again:?}");
        assert!(started.elapsed() < Duration::from_millis(500));
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn a_hung_node_process_is_declared_down_by_heartbeats() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let remote = NodeProcess::start(NODE);
    let pid = Pid::from_raw(i32::try_from(remote.pid()).unwrap());
    let (system, node) = local_node();
    system.block_on(async {
        let counter = node
            .lookup::<Counter>(&remote.url("counter"))
            .await
            .unwrap();
        assert_eq!(counter.get().await.unwrap(), 0);
        let pending = counter.wait(30_000);
        let stopped = Instant::now();
        kill(pid, Signal::SIGSTOP).unwrap();
        let answer = pending.await;
        let detected = stopped.elapsed();
        let _ = kill(pid, Signal::SIGCONT);
        eprintln!("a hung node process was detected after {detected:?}");
        match answer {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("heartbeat"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        assert!(
            detected < Duration::from_millis(2_500),
            "detected after {detected:?}"
        );
    });
    node.shutdown();
    system.shutdown();
}

#[test]
fn a_node_restarted_at_the_same_address_is_reached_again_but_old_references_fail() {
    let mut first = NodeProcess::start(NODE);
    let port = first.port();
    let (system, node) = local_node();
    let old = system.block_on(async {
        let old = node.lookup::<Counter>(&first.url("counter")).await.unwrap();
        old.incr().unwrap();
        assert_eq!(old.get().await.unwrap(), 1);
        old
    });
    first.kill();
    let second = NodeProcess::start_on(NODE, port);
    system.block_on(async {
        // Once the back-off ends, the address is reached again; the old
        // reference names an actor of the previous run, which is gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        let stale = loop {
            match old.get().await {
                Err(Error::NodeDown { .. }) if Instant::now() < deadline => {
                    actium::sleep(Duration::from_millis(50)).await;
                }
                other => break other,
            }
        };
        assert!(
            matches!(stale, Err(Error::ActorStopped { .. })),
            "{stale:?}"
        );
        let fresh = node
            .lookup::<Counter>(&second.url("counter"))
            .await
            .unwrap();
        assert_ne!(fresh.id(), old.id());
        assert_eq!(fresh.get().await.unwrap(), 0);
        assert_eq!(fresh.pid().await.unwrap(), second.pid());
    });
    node.shutdown();
    system.shutdown();
}
