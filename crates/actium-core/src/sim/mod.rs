//! Deterministic simulation of several nodes: one seeded scheduler,
//! virtual time, and a simulated network between the nodes' systems.
//!
//! A [`Simulation`] runs every node on the calling thread. Nodes reach
//! each other through the core's transport seam exactly as TCP nodes do —
//! calls carry the bytes the actors' generated codec wrote, so a type that
//! does not survive serialisation fails here too — but the network is the
//! simulation's: each message is delayed by a latency drawn from the seed,
//! messages between two nodes arrive in the order sent (one connection per
//! pair, as TCP), a lost message drops its connection (as a real loss
//! does: the frames after it are not delivered either, pending calls fail
//! with [`Error::NodeDown`], links and monitors across it fire with
//! [`ExitReason::NoConnection`](crate::ExitReason::NoConnection)), and
//! partitions and crashes are noticed after the failure detector's
//! timeout, in virtual time.
//!
//! ```
//! use std::time::Duration;
//!
//! use actium::prelude::*;
//! use actium::sim::Simulation;
//!
//! #[derive(Default)]
//! struct Store {
//!     value: u64,
//! }
//!
//! #[actor(remote)]
//! impl Store {
//!     #[ask]
//!     fn put(&mut self, value: u64) -> u64 {
//!         std::mem::replace(&mut self.value, value)
//!     }
//! }
//!
//! let sim = Simulation::builder(42)
//!     .latency(Duration::from_millis(1), Duration::from_millis(50))
//!     .build();
//! let (a, b) = (sim.node("a")?, sim.node("b")?);
//! sim.run(async {
//!     b.register("store", &b.spawn(Store::default()))?;
//!     let store = a.lookup::<Store>("sim://b/store").await?;
//!     assert_eq!(store.put(7).await?, 0);
//!     sim.partition("a", "b");
//!     assert!(store.put(8).await.is_err()); // noticed in virtual time
//!     Ok::<(), actium::Error>(())
//! })??;
//! # Ok::<(), actium::Error>(())
//! ```

mod check;
mod connection;
mod faults;
mod network;
mod peer;

#[doc(hidden)]
pub use check::run_test;
pub use check::{SEED_VAR, SEEDS_VAR, check};
pub use faults::Faults;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use network::Network;

use crate::actor::{Actor, ActorRef, Handler};
use crate::base::Error;
use crate::host::{self, Clock, Exploration};
use crate::runtime::SystemHandle;

/// A deterministic simulation of one or more nodes: see the module docs.
pub struct Simulation {
    host: host::Simulation,
    network: Arc<Network>,
}

/// Configures a [`Simulation`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until built"]
pub struct SimulationBuilder {
    seed: u64,
    exploration: Exploration,
    jitter: Duration,
    config: network::Config,
}

impl SimulationBuilder {
    /// How the scheduler explores interleavings ([`Exploration::Random`]
    /// unless set).
    pub fn exploration(mut self, exploration: Exploration) -> Self {
        self.exploration = exploration;
        self
    }

    /// Delays each wake-up of a task on any node by up to `max` of virtual
    /// time, drawn from the seed (none unless set): see
    /// [`SystemBuilder::jitter`](crate::SystemBuilder::jitter).
    pub fn jitter(mut self, max: Duration) -> Self {
        self.jitter = max;
        self
    }

    /// Each message between nodes takes between `min` and `max` of
    /// virtual time, drawn uniformly from the seed (1 ms unless set).
    pub fn latency(mut self, min: Duration, max: Duration) -> Self {
        self.config.latency = (min, max.max(min));
        self
    }

    /// Each message between nodes is lost with this probability (0 unless
    /// set); a loss drops the connection it was on, as on TCP.
    pub fn loss(mut self, probability: f64) -> Self {
        self.config.loss = probability.clamp(0.0, 1.0);
        self
    }

    /// How long after a partition or a crash the nodes on either side
    /// notice the connection is gone (2 s unless set, as a node's default
    /// heartbeat timeout).
    pub fn failure_detection(mut self, after: Duration) -> Self {
        self.config.detection = after;
        self
    }

    /// Each node's clock is off by up to `max` either way, drawn from the
    /// seed when the node starts (none unless set): its timers, deadlines
    /// and recorded timestamps read its own clock, while latencies and the
    /// failure detector run on the simulation's.
    pub fn clock_skew(mut self, max: Duration) -> Self {
        self.config.skew = max;
        self
    }

    /// The simulation, with no nodes yet.
    pub fn build(self) -> Simulation {
        let host = host::Simulation::new(self.seed, self.exploration, self.jitter);
        Simulation {
            network: Network::new(host.clone(), self.config),
            host,
        }
    }
}

impl Simulation {
    /// A simulation whose every choice comes from `seed`, with default
    /// settings.
    pub fn new(seed: u64) -> Self {
        Simulation::builder(seed).build()
    }

    /// Configures a simulation whose every choice comes from `seed`.
    pub fn builder(seed: u64) -> SimulationBuilder {
        SimulationBuilder {
            seed,
            exploration: Exploration::Random,
            jitter: Duration::ZERO,
            config: network::Config::default(),
        }
    }

    /// The seed every choice comes from.
    pub fn seed(&self) -> u64 {
        self.host.seed()
    }

    /// A digest of the run so far — every choice of the scheduler and
    /// every jump of virtual time — to compare two runs by eye: the same
    /// program with the same seed gives the same digest, in any process.
    pub fn digest(&self) -> u64 {
        self.host.digest()
    }

    /// The simulation's virtual clock, which every node's waits read.
    pub fn clock(&self) -> Clock {
        self.host.clock().clone().into()
    }

    /// Starts a node named `name`, reached at `sim://<name>`.
    ///
    /// # Errors
    ///
    /// [`Error::Listen`] if a node of that name runs already, or the name
    /// is empty or holds `/`.
    pub fn node(&self, name: &str) -> Result<SimNode, Error> {
        self.network.start_node(name)
    }

    /// Runs the simulation until `main` completes, and returns its output.
    ///
    /// # Errors
    ///
    /// [`Error::Stalled`] if nothing can run or become due while `main`
    /// still waits.
    pub fn run<F: Future>(&self, main: F) -> Result<F::Output, Error> {
        let _clock = self.clock().enter();
        self.host.block_on(main)
    }

    /// Cuts the network between nodes `a` and `b`: nothing passes either
    /// way until [`heal`](Self::heal)ed; a connection between them is
    /// noticed gone after the failure detector's timeout.
    pub fn partition(&self, a: &str, b: &str) {
        self.network.partition(a, b);
    }

    /// Draws partitions and crashes from the seed for the rest of the run
    /// (see [`Faults`]); each is healed, or the node restarted, after
    /// `faults.lasting`. What happened, and when, is in
    /// [`fault_log`](Self::fault_log). While it runs, a run never stalls:
    /// there is always a next draw due.
    pub fn faults(&self, faults: Faults) {
        let task = faults::draw(self.host.clone(), Arc::downgrade(&self.network), faults);
        self.host.spawn(task, 0, None);
    }

    /// The faults drawn so far by [`faults`](Self::faults), each with the
    /// virtual time since the start: `"1.5s crash b"`.
    pub fn fault_log(&self) -> Vec<String> {
        self.network.fault_log()
    }

    /// Ends the partition between `a` and `b`.
    pub fn heal(&self, a: &str, b: &str) {
        self.network.heal(a, b);
    }

    /// Crashes node `name`: its actors vanish at once, running nothing
    /// more (no `on_stop`); the other nodes notice after the failure
    /// detector's timeout. Unknown names are ignored.
    pub fn crash(&self, name: &str) {
        self.network.crash(name);
    }

    /// Starts node `name` again after a crash, with no actors and a new
    /// node id: references to its old actors reach nothing.
    ///
    /// # Errors
    ///
    /// As [`node`](Self::node), if it runs already.
    pub fn restart(&self, name: &str) -> Result<SimNode, Error> {
        self.network.restart(name)
    }
}

impl Drop for Simulation {
    fn drop(&mut self) {
        let _clock = self.clock().enter();
        self.network.shut_down();
        self.host.close();
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("seed", &self.seed())
            .finish_non_exhaustive()
    }
}

/// One node of a [`Simulation`]: a system reached at `sim://<name>`.
#[derive(Clone)]
pub struct SimNode {
    name: Arc<str>,
    system: SystemHandle,
    network: Arc<Network>,
}

impl SimNode {
    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address it is reached at, `sim://<name>`.
    pub fn address(&self) -> String {
        format!("sim://{}", self.name)
    }

    /// The node's system.
    pub fn system(&self) -> &SystemHandle {
        &self.system
    }

    /// Starts `actor` on this node.
    pub fn spawn<A: Handler>(&self, actor: A) -> ActorRef<A> {
        actor.spawner().system(&self.system).spawn()
    }

    /// Registers `actor` (of this node) under `name`, for
    /// [`lookup`](Self::lookup) from any node.
    ///
    /// # Errors
    ///
    /// As [`register`](crate::register).
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        self.system.register(name, actor)
    }

    /// Finds the actor registered as `name` on the node of
    /// `sim://<node>/<name>`, after a round trip of simulated latency.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a malformed URL, [`Error::NodeDown`]
    /// if that node is crashed or cut off, [`Error::NotRegistered`] or
    /// [`Error::WrongType`] as for a local [`whereis`](crate::whereis).
    pub async fn lookup<A: Actor>(&self, url: &str) -> Result<ActorRef<A>, Error> {
        self.network.lookup(self, url).await
    }
}

impl std::fmt::Debug for SimNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimNode")
            .field("name", &self.name)
            .field("node", &self.system.node())
            .finish_non_exhaustive()
    }
}
