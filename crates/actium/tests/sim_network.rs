//! A simulated network between simulated nodes: calls cross it with the
//! real codec and a latency drawn from the seed, in order; partitions,
//! crashes and lost messages break connections as on TCP, noticed after
//! the failure detector's timeout in virtual time; a seed replays.

#![cfg(feature = "remote")]

mod support;

use std::time::Duration;

use actium::prelude::*;
use actium::sim::{SimNode, Simulation};
use serde::{Deserialize, Serialize};

#[derive(Default)]
struct Store {
    value: u64,
    seen: Vec<u64>,
}

/// Not what it claims: its encoding drops the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Lossy {
    #[serde(skip)]
    payload: u64,
}

#[actor(remote)]
impl Store {
    #[ask]
    fn put(&mut self, value: u64) -> u64 {
        std::mem::replace(&mut self.value, value)
    }

    #[ask]
    fn fail(&self) -> Result<(), String> {
        Err("refused".to_owned())
    }

    #[ask]
    fn explode(&self) {
        panic!("boom");
    }

    #[tell]
    fn note(&mut self, n: u64) {
        self.seen.push(n);
    }

    #[ask]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }

    #[ask]
    fn echo(&self, lossy: Lossy) -> Lossy {
        lossy
    }

    /// Asks another store, given by reference, for its value.
    #[ask]
    async fn relay(&self, other: ActorRef<Store>) -> Result<u64, String> {
        other.put(0).await.map_err(|error| error.to_string())
    }
}

/// Starts nodes `a`, `b` and `c`.
fn three_nodes(sim: &Simulation) -> (SimNode, SimNode, SimNode) {
    (
        sim.node("a").expect("a"),
        sim.node("b").expect("b"),
        sim.node("c").expect("c"),
    )
}

#[test]
fn calls_cross_with_latency_errors_and_references() {
    support::within(Duration::from_secs(30), || {
        let sim = Simulation::builder(1)
            .latency(Duration::from_millis(10), Duration::from_millis(20))
            .build();
        let (a, b, c) = three_nodes(&sim);
        sim.run(async {
            let clock = sim.clock();
            b.register("store", &b.spawn(Store::default()))?;
            let store = a.lookup::<Store>("sim://b/store").await?;
            let start = clock.now();
            assert_eq!(store.put(5).await?, 0);
            let round_trip = clock.now() - start;
            assert!(
                (Duration::from_millis(20)..=Duration::from_millis(40)).contains(&round_trip),
                "{round_trip:?}"
            );
            assert_eq!(store.fail().await?, Err("refused".to_owned()));
            assert!(matches!(store.explode().await, Err(Error::Panicked { .. })));
            // What serde drops does not cross: the real codec runs.
            assert_eq!(
                store.echo(Lossy { payload: 9 }).await?,
                Lossy { payload: 0 }
            );
            // A reference passed as a value, used from a third node.
            let on_c = c.spawn(Store::default());
            assert_eq!(on_c.relay(store.clone()).await?, Ok(5));
            Ok::<(), Error>(())
        })
        .expect("not stalled")
        .expect("run");
    });
}

#[test]
fn a_partition_fails_calls_and_fires_monitors_after_detection() {
    support::within(Duration::from_secs(30), || {
        let sim = Simulation::builder(2)
            .failure_detection(Duration::from_secs(3))
            .build();
        let (a, b, _c) = three_nodes(&sim);
        sim.run(async {
            let clock = sim.clock();
            b.register("store", &b.spawn(Store::default()))?;
            let store = a.lookup::<Store>("sim://b/store").await?;
            store.put(1).await?;
            let monitor = store.stopped();
            actium::sleep(Duration::from_millis(100)).await;
            sim.partition("a", "b");
            let cut = clock.now();
            let lost = store.put(2).timeout(Duration::from_secs(60)).await;
            assert!(matches!(lost, Err(Error::NodeDown { .. })), "{lost:?}");
            let noticed = clock.now() - cut;
            assert!(
                noticed >= Duration::from_secs(3) && noticed < Duration::from_secs(4),
                "{noticed:?}"
            );
            assert_eq!(monitor.await, ExitReason::NoConnection);
            // While cut off, calls fail at once; healed, they work again.
            assert!(matches!(store.put(3).await, Err(Error::NodeDown { .. })));
            sim.heal("a", "b");
            assert_eq!(store.put(4).await?, 1);
            Ok::<(), Error>(())
        })
        .expect("not stalled")
        .expect("run");
    });
}

#[test]
fn a_crashed_node_loses_its_actors_and_restarts_empty() {
    support::within(Duration::from_secs(30), || {
        let sim = Simulation::new(3);
        let (a, b, _c) = three_nodes(&sim);
        sim.run(async {
            b.register("store", &b.spawn(Store::default()))?;
            let store = a.lookup::<Store>("sim://b/store").await?;
            store.put(1).await?;
            let monitor = store.stopped();
            actium::sleep(Duration::from_millis(100)).await;
            sim.crash("b");
            assert_eq!(monitor.await, ExitReason::NoConnection);
            assert!(matches!(
                a.lookup::<Store>("sim://b/store").await,
                Err(Error::NodeDown { .. })
            ));
            let b = sim.restart("b")?;
            assert!(matches!(
                a.lookup::<Store>("sim://b/store").await,
                Err(Error::NotRegistered { .. })
            ));
            b.register("store", &b.spawn(Store::default()))?;
            let fresh = a.lookup::<Store>("sim://b/store").await?;
            assert_eq!(fresh.put(7).await?, 0);
            // The old reference reaches nothing on the new run.
            assert!(store.put(8).await.is_err());
            Ok::<(), Error>(())
        })
        .expect("not stalled")
        .expect("run");
    });
}

/// Sends 200 numbered tells over a lossy network and returns what the
/// receiver saw.
fn lossy_run(seed: u64) -> Vec<u64> {
    let sim = Simulation::builder(seed)
        .latency(Duration::from_millis(1), Duration::from_millis(30))
        .loss(0.05)
        .build();
    let (a, b, _c) = three_nodes(&sim);
    sim.run(async {
        let on_b = b.spawn(Store::default());
        b.register("store", &on_b)?;
        let store = a.lookup::<Store>("sim://b/store").await?;
        for n in 0..200 {
            // A lost message drops the connection; the next call makes a
            // new one.
            let _ = store.note(n);
            actium::sleep(Duration::from_millis(5)).await;
        }
        actium::sleep(Duration::from_secs(1)).await;
        on_b.seen().await
    })
    .expect("not stalled")
    .expect("run")
}

#[test]
fn lost_messages_break_connections_never_the_order() {
    support::within(Duration::from_secs(30), || {
        let seen = lossy_run(4);
        assert!(seen.len() < 200 && seen.len() > 100, "{}", seen.len());
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert_eq!(seen, lossy_run(4), "a seed replays");
        assert_ne!(seen, lossy_run(5));
    });
}

#[test]
fn skewed_clocks_disagree_but_keep_time() {
    support::within(Duration::from_secs(30), || {
        let sim = Simulation::builder(6)
            .clock_skew(Duration::from_secs(10))
            .build();
        let (a, b, _c) = three_nodes(&sim);
        sim.run(async {
            let (on_a, on_b) = (a.system().clock(), b.system().clock());
            let apart = on_a
                .now()
                .checked_duration_since(on_b.now())
                .or_else(|| on_b.now().checked_duration_since(on_a.now()))
                .expect("comparable");
            assert!(
                apart > Duration::ZERO && apart <= Duration::from_secs(20),
                "{apart:?}"
            );
            // A second on a skewed clock is a second of simulated time.
            let (start, start_a) = (sim.clock().now(), on_a.now());
            on_a.sleep(Duration::from_secs(1)).await;
            assert_eq!(sim.clock().now() - start, Duration::from_secs(1));
            assert_eq!(on_a.now() - start_a, Duration::from_secs(1));
            Ok::<(), Error>(())
        })
        .expect("not stalled")
        .expect("run");
    });
}

/// A minute of calls under faults drawn from `seed`: the fault log and how
/// many calls were answered.
fn under_faults(seed: u64) -> (Vec<String>, usize) {
    let sim = Simulation::new(seed);
    let (a, b, c) = three_nodes(&sim);
    sim.faults(
        actium::sim::Faults::every(Duration::from_secs(1))
            .partition(0.3)
            .crash(0.1)
            .lasting(Duration::from_secs(3)),
    );
    let answered = sim
        .run(async {
            let mut answered = 0;
            for _ in 0..600 {
                actium::sleep(Duration::from_millis(100)).await;
                // Whoever is up: b's store may be gone with b.
                let store = match a.lookup::<Store>("sim://b/store").await {
                    Ok(store) => store,
                    Err(_) => {
                        if let Ok(node) = sim.restart("b") {
                            let _ = node.register("store", &node.spawn(Store::default()));
                        }
                        continue;
                    }
                };
                if store.put(1).timeout(Duration::from_secs(5)).await.is_ok() {
                    answered += 1;
                }
            }
            let _ = (&b, &c);
            answered
        })
        .expect("not stalled");
    (sim.fault_log(), answered)
}

#[test]
fn faults_drawn_from_the_seed_replay_and_calls_never_hang() {
    support::within(Duration::from_secs(60), || {
        let (faults, answered) = under_faults(8);
        assert!(faults.iter().any(|f| f.contains("partition")), "{faults:?}");
        assert!(faults.iter().any(|f| f.contains("crash")), "{faults:?}");
        assert!(answered > 0 && answered < 600, "{answered}");
        assert_eq!(under_faults(8), (faults, answered));
    });
}
