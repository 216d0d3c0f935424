//! Systems on a simulated host ([`Mode::Simulated`]): starting one, and
//! shutting it down in virtual time.

use std::any::Any;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::handle::enter_slot;
use super::system::Host;
use crate::cell::{Slot, SystemShared};
use crate::host::{Clock, EnterHook, Executor, Exploration, Simulation};
use crate::runtime::{KILL_GRACE, System, SystemBuilder, SystemHandle};

#[cfg(doc)]
use crate::cell::Mode;

/// How often shutdown looks whether every actor has stopped, in virtual
/// time (a look costs nothing but a step of the simulation).
const LOOK: Duration = Duration::from_millis(1);

impl SystemBuilder {
    /// How a simulated system ([`Mode::Simulated`]) explores
    /// interleavings ([`Exploration::Random`] unless set). Ignored by
    /// systems that are not simulated.
    ///
    /// ```
    /// use actium::{Exploration, Mode, System};
    ///
    /// let system = System::builder()
    ///     .mode(Mode::Simulated { seed: 7 })
    ///     .exploration(Exploration::Pct { depth: 2, steps: 1_000 })
    ///     .start()?;
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn exploration(mut self, exploration: Exploration) -> Self {
        self.config.exploration = exploration;
        self
    }

    /// In a simulated system, delays each wake-up of a task (an actor
    /// woken by a message, a timer firing) by a virtual duration drawn
    /// from the seed between zero and `max` (none unless set): besides
    /// which task runs next, the seed then decides how messages overtake
    /// each other in time, as on a loaded machine. Ignored by systems
    /// that are not simulated.
    pub fn jitter(mut self, max: Duration) -> Self {
        self.config.jitter = max;
        self
    }

    /// Starts a system whose tasks are those of a new simulation.
    pub(super) fn start_simulated(self, seed: u64) -> System {
        let simulation = Simulation::new(seed, self.config.exploration, self.config.jitter);
        self.start_in(&simulation, 0)
    }

    /// Starts a system whose tasks are tasks of `simulation`, beside those
    /// of the other systems started in it (the nodes of a simulated
    /// network).
    ///
    /// Its clock reads the simulation's `skew` nanoseconds ahead (behind
    /// if negative).
    pub(crate) fn start_in(mut self, simulation: &Simulation, skew: i64) -> System {
        let simulation = simulation.clone();
        self.config.mode = crate::cell::Mode::Simulated {
            seed: simulation.seed(),
        };
        self.config.clock = Clock::from(simulation.clock().clone()).skewed(skew);
        let slot: Slot = Arc::new(OnceLock::new());
        let (hook_slot, clock) = (slot.clone(), self.config.clock.clone());
        let enter: EnterHook =
            Arc::new(move || Box::new(enter_slot(hook_slot.clone(), &clock)) as Box<dyn Any>);
        let executor = Executor::Simulated {
            group: simulation.next_group(),
            simulation: simulation.clone(),
            enter,
        };
        let shared = Arc::new(SystemShared::new(self.config, executor, slot.clone()));
        // A fresh `OnceLock` was created above, so this set cannot fail.
        let _ = slot.set(Arc::downgrade(&shared));
        System {
            handle: SystemHandle::from_shared(shared),
            host: Some(Host::Simulated(simulation)),
        }
    }
}

impl System {
    /// Ends a simulated system as a crash would: every task of it dropped
    /// at once, running nothing more (no `on_stop`, no exit signals), its
    /// actors and names gone.
    pub(crate) fn crash(mut self) {
        let Some(Host::Simulated(simulation)) = self.host.take() else {
            return;
        };
        let shared = self.handle.shared.clone();
        shared.set_transport(None);
        shared.stopping.store(true, Ordering::SeqCst);
        drop_tasks(&shared, &simulation);
        shared.table.clear();
        shared.registry.clear();
    }
}

/// The rest of a simulated system's shutdown, once every actor was asked
/// to stop: as a real one's, with the grace in virtual time, then every
/// task of the simulation dropped.
pub(super) fn finish(shared: &Arc<SystemShared>, simulation: &Simulation) {
    let stopped = settle(shared, simulation, shared.config.shutdown_grace);
    if !stopped {
        for cell in shared.table.snapshot() {
            cell.kill(crate::base::ExitReason::Shutdown);
        }
        if !settle(shared, simulation, KILL_GRACE) {
            tracing::warn!("simulated actors did not honour a kill and were abandoned");
        }
    }
    drop_tasks(shared, simulation);
    shared.table.clear();
    shared.registry.clear();
}

/// Runs the simulation until no actor is live, for at most `grace` of
/// virtual time; returns whether none is.
fn settle(shared: &Arc<SystemShared>, simulation: &Simulation, grace: Duration) -> bool {
    let clock = shared.clock().clone();
    let idle = async {
        while shared.live.load(Ordering::SeqCst) > 0 {
            clock.sleep(LOOK).await;
        }
    };
    matches!(simulation.block_on(clock.timeout(grace, idle)), Ok(Ok(())))
}

/// Drops every task of `shared`'s system in `simulation` — only its own:
/// other systems of the simulation may run on.
fn drop_tasks(shared: &SystemShared, simulation: &Simulation) {
    if let Executor::Simulated { group, .. } = &shared.executor {
        simulation.abort_group(*group);
    }
}
