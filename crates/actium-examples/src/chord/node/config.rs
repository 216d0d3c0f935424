//! How a Chord node maintains itself: its settings and the pauses of its
//! periodic tasks.

use std::time::Duration;

#[cfg(doc)]
use actium::Context;

/// How a node maintains itself.
#[derive(Clone, Debug)]
pub struct Config {
    /// r: the length of the successor list, which is also how many nodes
    /// after a key's successor keep a replica of it (§5.2).
    pub successors: usize,
    /// The pause before a periodic task runs again after a run that changed
    /// something.
    pub fastest: Duration,
    /// The longest pause between two runs of a periodic task: the pause
    /// doubles after each run that changed nothing, up to this.
    pub slowest: Duration,
    /// The deadline of each call a node makes to one other node — a hop of
    /// a lookup, a maintenance call, a store or fetch — so that a node that
    /// hangs is skipped after this long. (A node that is gone fails calls
    /// at once: a stopped actor, or a process whose connection closed.)
    pub call_timeout: Duration,
    /// The least and the most time a message between two Chord nodes
    /// takes, drawn per message from the actor's seeded generator
    /// ([`Context::rng`]): for many nodes sharing one (simulated) system,
    /// where no network adds latency. `None` (the default) sends at once,
    /// as nodes on separate systems do, their network adding its own.
    pub latency: Option<(Duration, Duration)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            successors: 8,
            fastest: Duration::from_millis(10),
            slowest: Duration::from_secs(1),
            call_timeout: Duration::from_secs(1),
            latency: None,
        }
    }
}

impl Config {
    /// The pause before a periodic task's next run. The paper leaves the
    /// periods open; backing off while nothing changes lets a changing ring
    /// repair itself at full speed and a stable one cost little.
    pub(super) fn pause(&self, last: Duration, changed: bool) -> Duration {
        if changed {
            self.fastest
        } else {
            (last * 2).clamp(self.fastest, self.slowest)
        }
    }
}

/// The current pause of each periodic task.
#[derive(Clone, Copy)]
pub(super) struct Pauses {
    pub(super) stabilize: Duration,
    pub(super) fix_fingers: Duration,
    pub(super) check_predecessor: Duration,
}
