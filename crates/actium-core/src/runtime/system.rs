//! Systems: the runtime that actors live in.
//!
//! A [`System`] owns a Tokio multi-threaded runtime, the table of live
//! actors and the configuration (execution model, default deadline,
//! shutdown grace). [`SystemHandle`] is a cheap clone of it that code inside
//! the system finds ambiently: actors, the main future of
//! [`launch`](crate::launch) and the runtime's own threads all know their
//! system, which is how `Counter::default().spawn()` knows where to go.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};

use super::handle::{CURRENT, EnterGuard, enter_slot};
use crate::base::{Error, ExitReason};
use crate::cell::{Config, ErasedCell, SystemShared};
use crate::host::Simulation;
use crate::runtime::{SystemBuilder, SystemHandle};

/// An actor system: a runtime for actors, owned by the code that started it.
///
/// Most programs never touch this type: [`launch`](crate::launch) and
/// [`serve_forever`](crate::runtime::serve_forever) start a system, run a future in
/// it and shut it down. Use it directly to host actors from plain,
/// non-async code:
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[actor]
/// impl Greeter {
///     #[ask]
///     fn greet(&self, name: String) -> String {
///         format!("hello, {name}")
///     }
/// }
///
/// let system = System::builder().mode(Mode::Threads).start()?;
/// let greeter = Greeter.spawner().system(system.handle()).spawn();
/// assert_eq!(greeter.greet("ada".into()).wait()?, "hello, ada");
/// system.shutdown();
/// # Ok::<(), actium::Error>(())
/// ```
pub struct System {
    pub(super) handle: SystemHandle,
    /// Taken by shutdown.
    pub(super) host: Option<Host>,
}

/// What runs a system's tasks.
pub(super) enum Host {
    Tokio(Runtime),
    Simulated(Simulation),
}

impl System {
    /// Starts configuring a system.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// let system = System::builder().mode(Mode::Threads).workers(2).start()?;
    /// assert_eq!(system.handle().mode(), Mode::Threads);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn builder() -> SystemBuilder {
        SystemBuilder {
            config: Config::default(),
        }
    }

    /// A handle to this system.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// let system = System::builder().start()?;
    /// let counter = Counter::default().spawner().system(system.handle()).spawn();
    /// assert_eq!(system.handle().actor_count(), 1);
    /// # drop(counter);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn handle(&self) -> &SystemHandle {
        &self.handle
    }

    /// For a simulated system ([`Mode::Simulated`](crate::Mode::Simulated)), a digest of its run so
    /// far (see [`Simulation::digest`](crate::sim::Simulation::digest));
    /// `None` for a system on real threads.
    pub fn digest(&self) -> Option<u64> {
        match &self.host {
            Some(Host::Simulated(simulation)) => Some(simulation.digest()),
            _ => None,
        }
    }

    /// Makes this the current system of the calling thread until the guard
    /// drops, so `Actor::spawn` works there.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// let system = System::builder().start()?;
    /// {
    ///     let _inside = system.enter();
    ///     let counter = Counter::default().spawn(); // finds the entered system
    ///     counter.incr()?;
    /// }
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard {
        let shared = &self.handle.shared;
        enter_slot(shared.slot.clone(), shared.clock())
    }

    /// Runs `future` to completion on the calling thread, inside this
    /// system, and returns its output.
    ///
    /// # Panics
    ///
    /// Panics if called from async code (inside a runtime), as Tokio's
    /// `block_on` does.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// let system = System::builder().start()?;
    /// let total = system.block_on(async {
    ///     let counter = Counter::default().spawn();
    ///     counter.incr()?;
    ///     counter.get().await
    /// })?;
    /// assert_eq!(total, 1);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.try_block_on(future) {
            Ok(output) => output,
            Err(error) => panic!("{error}"),
        }
    }

    /// [`block_on`](System::block_on), for a simulated system whose run
    /// can stall.
    ///
    /// # Errors
    ///
    /// [`Error::Stalled`] if the system is simulated ([`Mode::Simulated`](crate::Mode::Simulated))
    /// and nothing in it can run or become due while `future` waits.
    ///
    /// # Panics
    ///
    /// As [`block_on`](System::block_on).
    pub fn try_block_on<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        let _enter = self.enter();
        match &self.host {
            Some(Host::Tokio(runtime)) => Ok(runtime.block_on(future)),
            Some(Host::Simulated(simulation)) => simulation.block_on(future),
            // `host` is taken only by shutdown, which consumes `self`.
            None => unreachable!("system used after shutdown"),
        }
    }

    /// Shuts the system down gracefully and waits for it.
    ///
    /// Every actor is asked to stop after its current method (exit reason
    /// [`ExitReason::Shutdown`]) — except supervised children, which their
    /// supervisors terminate in reverse start order, as an OTP application
    /// stops its supervision tree; callers of queued requests get
    /// [`Error::ActorStopped`]; `on_stop` hooks run. Actors that have not
    /// finished within the shutdown grace (5 s unless configured) are
    /// killed, which abandons their methods at their next await (their
    /// callers get [`Error::ActorStopped`] too), and a warning is logged;
    /// one that never awaits is abandoned after a further 100 ms. Dropping
    /// a `System` does the same.
    ///
    /// A shutdown that has waited a second says why, in one line on
    /// standard error (or as a `tracing` warning where a subscriber is
    /// installed) naming each actor still running and its method:
    ///
    /// ```text
    /// actium: shutdown is waiting for 1 actor(s) to finish: Gate#1 in `hold`; they are killed in 4s (SystemBuilder::shutdown_grace)
    /// ```
    ///
    /// The waits, in order: the shutdown grace for actors to stop (5 s
    /// unless set with [`SystemBuilder::shutdown_grace`]), 100 ms for killed
    /// actors to reach an await, then up to 500 ms for work on the blocking
    /// pool ([`blocking`](crate::blocking)), which cannot be cancelled.
    ///
    /// It blocks the calling thread. Called from async code (a task of
    /// another runtime), the waiting happens on a helper thread, so it does
    /// not panic as dropping a Tokio runtime there would; called from one of
    /// this system's own actors or tasks, it asks everything to stop and
    /// returns without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// let system = System::builder().start()?;
    /// let counter = Counter::default().spawner().system(system.handle()).spawn();
    /// system.shutdown();
    /// assert!(!counter.is_alive());
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn shutdown(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        let Some(host) = self.host.take() else {
            return;
        };
        let shared = self.handle.shared.clone();
        ask_everyone_to_stop(&shared);
        let runtime = match host {
            Host::Tokio(runtime) => runtime,
            Host::Simulated(simulation) => {
                let _enter = self.enter();
                super::simulated::finish(&shared, &simulation);
                return;
            }
        };
        let in_async_code = Handle::try_current().is_ok();
        let on_our_threads = in_async_code
            && CURRENT.with_borrow(|slot| {
                slot.as_ref()
                    .is_some_and(|slot| Arc::ptr_eq(slot, &shared.slot))
            });
        if on_our_threads {
            // Waiting here would wait for ourselves.
            runtime.shutdown_background();
            shared.table.clear();
            shared.registry.clear();
            return;
        }
        let finish = move || {
            let grace = shared.config.shutdown_grace;
            let notice = grace.min(SHUTDOWN_NOTICE);
            let stopped = shared.wait_idle(notice) || {
                if grace > notice {
                    say_what_shutdown_waits_for(&shared.table.snapshot(), grace - notice);
                }
                shared.wait_idle(grace - notice)
            };
            if !stopped {
                // Past the grace, kill what is left: the methods they run are
                // abandoned at their next await, so their callers are
                // answered. (The runtime would drop a task anyway, but an
                // actor on a thread of its own would wait for ever.)
                let late = shared.table.snapshot();
                tracing::warn!(
                    grace = ?shared.config.shutdown_grace,
                    actors = ?labels(&late),
                    "actors did not stop within the shutdown grace and were killed"
                );
                for cell in late {
                    cell.kill(ExitReason::Shutdown);
                }
                if !shared.wait_idle(crate::runtime::KILL_GRACE) {
                    tracing::warn!(
                        actors = ?labels(&shared.table.snapshot()),
                        "actors did not honour a kill (they never await) and were abandoned"
                    );
                }
            }
            // Blocking work (spawn_blocking) cannot be cancelled; do not
            // wait on it for long.
            runtime.shutdown_timeout(Duration::from_millis(500));
            shared.table.clear();
            shared.registry.clear();
        };
        if in_async_code {
            // Inside another runtime, where blocking waits and dropping a
            // runtime panic: wait on a thread of our own.
            let helper = std::thread::Builder::new()
                .name("actium-shutdown".into())
                .spawn(finish);
            match helper {
                Ok(helper) => {
                    if helper.join().is_err() {
                        tracing::error!("the system's shutdown panicked");
                    }
                }
                Err(error) => tracing::error!(%error, "could not start a thread to shut down"),
            }
        } else {
            finish();
        }
    }
}

/// The start of every shutdown: no new actors, a shutdown request for
/// `serve_forever`, and every actor asked to stop after its current
/// method — except supervised children, which their supervisors stop in
/// reverse start order (a child that outlived its supervisor because it
/// traps exits is stopped like any actor).
fn ask_everyone_to_stop(shared: &SystemShared) {
    // A node attached to this system holds it; let go of each other.
    shared.set_transport(None);
    shared.stopping.store(true, Ordering::SeqCst);
    shared.shutdown_requested.store(true, Ordering::SeqCst);
    shared.shutdown_notify.notify_one();
    for cell in shared.table.snapshot() {
        let supervised = cell
            .core()
            .supervisor()
            .is_some_and(|supervisor| supervisor.core().exit_reason().is_none());
        if !supervised {
            cell.request_stop(ExitReason::Shutdown);
        }
    }
}

/// How long shutdown waits quietly before it says what it waits for.
const SHUTDOWN_NOTICE: Duration = Duration::from_secs(1);

/// Says, in one line, which actors a shutdown still waits for and what they
/// run: on standard error, or as a warning where a `tracing` subscriber is
/// installed (a program that logs gets it in its log, one that does not
/// still sees why it has not exited).
fn say_what_shutdown_waits_for(cells: &[Arc<dyn ErasedCell>], more: Duration) {
    if cells.is_empty() {
        return;
    }
    // One line stays one line: the first few actors, then how many more.
    const NAMED: usize = 20;
    let mut waiting: Vec<String> = cells
        .iter()
        .take(NAMED)
        .map(|cell| match cell.doing() {
            Some(doing) => format!("{} in `{doing}`", cell.core().label),
            None => cell.core().label.to_string(),
        })
        .collect();
    if cells.len() > NAMED {
        waiting.push(format!("and {} more", cells.len() - NAMED));
    }
    let line = format!(
        "shutdown is waiting for {} actor(s) to finish: {}; they are killed in {:?} \
         (SystemBuilder::shutdown_grace)",
        cells.len(),
        waiting.join(", "),
        more
    );
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{line}");
    } else {
        eprintln!("actium: {line}");
    }
}

/// The labels of `cells`, for logs.
fn labels(cells: &[Arc<dyn ErasedCell>]) -> Vec<String> {
    cells
        .iter()
        .map(|cell| cell.core().label.to_string())
        .collect()
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}

/// How long a child killed after its shutdown timeout gets to honour the
/// kill (at its next await) before its supervisor abandons it.
pub const KILL_GRACE: Duration = Duration::from_millis(100);
