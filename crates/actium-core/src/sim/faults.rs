//! Faults drawn from the seed: partitions and crashes at random times.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::network::Network;
use crate::host::{self, Clock};

/// What [`Simulation::faults`](super::Simulation::faults) draws, and how
/// often.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// How often faults are drawn (each second unless set).
    pub every: Duration,
    /// The chance, at each draw, that a pair of nodes is cut off.
    pub partition: f64,
    /// The chance, at each draw, that a node crashes.
    pub crash: f64,
    /// How long a partition lasts, and a crashed node stays down, before
    /// it is healed or restarted.
    pub lasting: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            every: Duration::from_secs(1),
            partition: 0.1,
            crash: 0.05,
            lasting: Duration::from_secs(2),
        }
    }
}

impl Faults {
    /// Faults drawn every `every`, with the default chances.
    pub fn every(every: Duration) -> Self {
        Faults {
            every,
            ..Faults::default()
        }
    }

    /// The chance of a partition at each draw.
    pub fn partition(mut self, chance: f64) -> Self {
        self.partition = chance.clamp(0.0, 1.0);
        self
    }

    /// The chance of a crash at each draw.
    pub fn crash(mut self, chance: f64) -> Self {
        self.crash = chance.clamp(0.0, 1.0);
        self
    }

    /// How long each fault lasts.
    pub fn lasting(mut self, lasting: Duration) -> Self {
        self.lasting = lasting;
        self
    }
}

/// Draws faults until the simulation ends.
pub(super) async fn draw(host: host::Simulation, network: Weak<Network>, faults: Faults) {
    let clock: Clock = host.clock().clone().into();
    loop {
        clock
            .sleep(faults.every.max(Duration::from_millis(1)))
            .await;
        let Some(network) = network.upgrade() else {
            return;
        };
        let names = network.node_names();
        if names.len() < 2 {
            continue;
        }
        let pick =
            |host: &host::Simulation| names[(host.draw() % names.len() as u64) as usize].clone();
        if host.chance() < faults.partition {
            let (a, b) = (pick(&host), pick(&host));
            if a != b {
                network.partition(&a, &b);
                network.log(format!("partition {a} {b}"));
                let later = Arc::downgrade(&network);
                heal_later(&host, &clock, faults.lasting, move || {
                    if let Some(network) = later.upgrade() {
                        network.heal(&a, &b);
                        network.log(format!("heal {a} {b}"));
                    }
                });
            }
        }
        if host.chance() < faults.crash {
            let victim = pick(&host);
            if network.is_running(&victim) {
                network.crash(&victim);
                network.log(format!("crash {victim}"));
                let later = Arc::downgrade(&network);
                heal_later(&host, &clock, faults.lasting, move || {
                    if let Some(network) = later.upgrade() {
                        if network.restart(&victim).is_ok() {
                            network.log(format!("restart {victim}"));
                        }
                    }
                });
            }
        }
    }
}

/// Runs `heal` after `after`, as a task of the simulation.
fn heal_later(
    host: &host::Simulation,
    clock: &Clock,
    after: Duration,
    heal: impl FnOnce() + Send + 'static,
) {
    let sleep = clock.clone();
    host.spawn(
        Box::pin(async move {
            sleep.sleep(after).await;
            heal();
        }),
        0,
        None,
    );
}
