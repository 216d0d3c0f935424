//! What a system needs from its host, and the only way it reaches it:
//! the [`Clock`] every wait reads and sleeps on (ask deadlines, timers,
//! supervisor restart windows and shutdown timeouts, kill grace, a
//! node's heartbeats and failure detection), and the [`Executor`] through
//! which a system starts every task and thread (actor loops, timers,
//! blocking work, a node's connections).
//!
//! The real host is Tokio and the operating system: the clock is Tokio's
//! timers plus the process-wide deadline sweeper (`deadline/`, its own
//! thread, so that an ask costs no timer-wheel entry), the executor a
//! Tokio runtime and OS threads (`stopwatch.rs` times a request a caller
//! runs for an idle callee, coarsely against a long deadline). A
//! [`ManualClock`] replaces the time source with one that stands still
//! until the program moves it on, as Akka's `ManualTime` does; a
//! deterministic simulation replaces both.
//!
//! *May use:* `base`, `sync`.

mod clock;
pub(crate) mod deadline;
mod due;
mod entered;
mod executor;
mod expiries;
mod manual;
mod sends;
mod sim;
mod stopwatch;

pub use clock::{Clock, Elapsed, Interval, Sleep, Timeout};
pub(crate) use clock::{ClockGuard, Registration, thread_clock};
#[cfg(feature = "bench-probe")]
pub(crate) use deadline::enable_batching;
pub(crate) use deadline::{parking, publish, publish_if_due, stop_batching};
pub(crate) use executor::Executor;
pub use executor::TaskHandle;
pub use manual::ManualClock;
pub use sim::Exploration;
pub(crate) use sim::{EnterHook, Simulation};
pub(crate) use stopwatch::Stopwatch;
