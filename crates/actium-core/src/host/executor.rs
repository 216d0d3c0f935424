//! The one way a system starts tasks and threads.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use super::clock::Clock;
use super::sim::{EnterHook, Runnable, Simulation};
use crate::base::{Error, panic_message};

/// What a delayed message's delivery mixes into a simulation's digest.
const DELIVERED: u64 = 0x5e4d_a17e_d0de_1173;

/// Where a system runs what it starts: actor loops, timers, helper tasks
/// and a node's connections as tasks, threads-mode actors on threads of
/// their own, blocking work on a pool. Everything a system starts goes
/// through here: on a Tokio runtime, or as tasks of a [`Simulation`].
#[derive(Clone)]
pub(crate) enum Executor {
    Tokio(Handle),
    /// Every task, thread and piece of blocking work is a task of the
    /// simulation; `enter` makes the system current around each poll.
    Simulated {
        simulation: Simulation,
        /// The system's group of tasks in the simulation.
        group: u64,
        enter: EnterHook,
    },
}

impl Executor {
    /// Runs on the Tokio runtime `runtime`.
    pub(crate) fn tokio(runtime: Handle) -> Self {
        Executor::Tokio(runtime)
    }

    /// Starts `task` with no handle to it: an actor's loop, which ends by
    /// itself. On Tokio this saves four atomic instructions of every actor
    /// started: the abort handle's count, taken and given back, and the
    /// join handle's drop, which takes Tokio's slow path while an abort
    /// handle lives.
    pub(crate) fn start(&self, task: impl Future<Output = ()> + Send + 'static) {
        if let Executor::Tokio(runtime) = self {
            // Dropping the join handle detaches the task.
            drop(runtime.spawn(task));
        } else {
            self.spawn(task);
        }
    }

    /// Starts `task`; it runs until it finishes or is aborted.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> TaskHandle {
        match self {
            Executor::Tokio(runtime) => TaskHandle(Task::Tokio(runtime.spawn(task).abort_handle())),
            Executor::Simulated {
                simulation,
                group,
                enter,
            } => TaskHandle(Task::Simulated(simulation.spawn(
                task,
                *group,
                Some(enter.clone()),
            ))),
        }
    }

    /// Runs `call` in the system once `delay` has passed on `clock`, with
    /// no way to cancel it: a delayed message (Erlang's `send_after`). On
    /// Tokio, a task that sleeps; in a simulation, one entry of the
    /// simulation's clock that carries `call` — no task, no sleep, no
    /// scheduling choice — which enters the system around it. A delay past
    /// the end of time never runs.
    pub(crate) fn call_after(
        &self,
        clock: &Clock,
        delay: Duration,
        call: impl FnOnce() + Send + 'static,
    ) {
        match self {
            Executor::Tokio(runtime) => {
                let Some(due) = clock.now().checked_add(delay) else {
                    return;
                };
                let clock = clock.clone();
                drop(runtime.spawn(async move {
                    clock.sleep_until(due).await;
                    call();
                }));
            }
            Executor::Simulated {
                simulation,
                group,
                enter,
            } => {
                // The simulation's own clock: a skewed system's delay is
                // the same length of virtual time.
                let clock = simulation.clock();
                let Some(due) = clock.now().checked_add(delay) else {
                    return;
                };
                let enter = enter.clone();
                let digest = simulation.clone();
                clock.send_at(
                    *group,
                    due,
                    Box::new(move || {
                        // Every delivery counts in the run's digest, even
                        // one that changes nothing the scheduler sees.
                        digest.mix(DELIVERED);
                        // Runs in the clock's advance, outside every task:
                        // a panic is logged, as a simulated task's is,
                        // rather than ending the simulation.
                        super::entered::deliver_in(&enter, || {
                            if let Err(panic) = catch_unwind(AssertUnwindSafe(call)) {
                                tracing::error!(
                                    panic = %panic_message(&*panic),
                                    "a delayed message panicked"
                                );
                            }
                        });
                    }),
                );
            }
        }
    }

    /// Runs `task` to completion on a new thread named `name`, after
    /// `enter` (which makes the system current there) has run on it. In a
    /// simulation, a task like any other.
    ///
    /// # Errors
    ///
    /// The operating system's, if the thread cannot be started.
    pub(crate) fn spawn_thread<G>(
        &self,
        name: String,
        enter: impl FnOnce() -> G + Send + 'static,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        match self {
            Executor::Tokio(runtime) => {
                let runtime = runtime.clone();
                std::thread::Builder::new().name(name).spawn(move || {
                    let _entered = enter();
                    runtime.block_on(task);
                })?;
            }
            Executor::Simulated { .. } => {
                self.spawn(task);
            }
        }
        Ok(())
    }

    /// Runs `work` where it may block, and returns its result. In a
    /// simulation it runs at once, in no virtual time.
    ///
    /// # Errors
    ///
    /// [`Error::BlockingPanicked`] if `work` panics, [`Error::ShuttingDown`]
    /// if the executor shuts down first.
    pub(crate) async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let runtime = match self {
            Executor::Tokio(runtime) => runtime,
            Executor::Simulated { .. } => {
                return catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
                    Error::BlockingPanicked {
                        message: panic_message(&*panic),
                    }
                });
            }
        };
        // A thread of the blocking pool may be a former worker still set
        // to hold deadlines back (user code in a plain method that called
        // `tokio::task::block_in_place` itself): `work` may wait for an ask
        // by hand there, so it holds none back.
        let work = move || {
            super::stop_batching();
            work()
        };
        match runtime.spawn_blocking(work).await {
            Ok(value) => Ok(value),
            Err(error) if error.is_panic() => Err(Error::BlockingPanicked {
                message: panic_message(&*error.into_panic()),
            }),
            Err(_cancelled) => Err(Error::ShuttingDown),
        }
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Executor::Tokio(_) => f.write_str("Executor::Tokio"),
            Executor::Simulated { simulation, .. } => f
                .debug_tuple("Executor::Simulated")
                .field(simulation)
                .finish(),
        }
    }
}

/// A task a system started ([`Timer`](crate::Timer)s are built on it):
/// lets it be aborted, and tells whether it finished.
#[derive(Clone)]
pub struct TaskHandle(Task);

#[derive(Clone)]
enum Task {
    Tokio(AbortHandle),
    Simulated(Arc<dyn Runnable>),
}

impl TaskHandle {
    /// Stops the task at its next await; a task that finished stays so.
    pub fn abort(&self) {
        match &self.0 {
            Task::Tokio(abort) => abort.abort(),
            Task::Simulated(task) => task.abort(),
        }
    }

    /// Whether the task has finished or was aborted.
    pub fn is_finished(&self) -> bool {
        match &self.0 {
            Task::Tokio(abort) => abort.is_finished(),
            Task::Simulated(task) => task.is_finished(),
        }
    }
}

impl std::fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}
