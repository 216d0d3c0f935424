//! Configuring and starting a [`System`]: [`SystemBuilder`].

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::handle::CURRENT;
use super::system::Host;
use crate::base::Error;
use crate::cell::{Config, Mode, Slot, SystemShared};
use crate::host::{Clock, Executor};
use crate::runtime::{System, SystemHandle};

/// Configures and starts a [`System`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until started"]
pub struct SystemBuilder {
    pub(super) config: Config,
}

impl SystemBuilder {
    /// The execution model for actors ([`Mode::Tasks`] by default).
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
    /// let system = System::builder().mode(Mode::Threads).start()?;
    /// assert_eq!(system.handle().mode(), Mode::Threads);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.mode = mode;
        self
    }

    /// The number of runtime worker threads (default: one per core). In
    /// threads mode these run timers and helper tasks, not actors.
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
    /// let system = System::builder().workers(1).start()?;
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.config.workers = Some(workers.max(1));
        self
    }

    /// The deadline of request-replies that set none of their own
    /// ([`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT) unless set).
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
    /// # use std::time::Duration;
    /// let system = System::builder().default_timeout(Duration::from_secs(1)).start()?;
    /// assert_eq!(system.handle().default_timeout(), Duration::from_secs(1));
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.config.default_timeout = timeout;
        self
    }

    /// How long shutdown waits for actors ([`DEFAULT_SHUTDOWN_GRACE`](crate::DEFAULT_SHUTDOWN_GRACE) unless
    /// set).
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
    /// # use std::time::Duration;
    /// let system = System::builder().shutdown_grace(Duration::from_millis(500)).start()?;
    /// system.shutdown(); // waits at most 0.5 s for actors to stop
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// The clock every wait in the system reads and sleeps on (the real
    /// clock unless set): a [`ManualClock`](crate::ManualClock) lets a
    /// test move time on by hand.
    ///
    /// Shutdown's grace stays real time: it is the host waiting for the
    /// system's threads.
    ///
    /// ```
    /// let clock = actium::ManualClock::new();
    /// let system = actium::System::builder().clock(clock.clone()).start()?;
    /// assert_eq!(system.handle().clock().now(), clock.now());
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.config.clock = clock.into();
        self
    }

    /// Whether actors time how long their tasks run (methods, hooks and
    /// their loop, not what they await) and count requests answered with
    /// an `Err` (off by default). Counting messages, panics and restarts
    /// and measuring mailbox depth cost next to nothing and are always on;
    /// these two cost two reads of the clock (about 50 ns) per poll of an
    /// actor's task and an indirect call per answer, so they are asked
    /// for. See [`SystemHandle::snapshot`].
    ///
    /// # Examples
    ///
    /// ```
    /// let system = actium::System::builder().metrics(true).start()?;
    /// assert!(system.handle().snapshot().measuring);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn metrics(mut self, on: bool) -> Self {
        self.config.metrics = on;
        self
    }

    /// Starts the system.
    ///
    /// # Errors
    ///
    /// [`Error::Startup`] if the runtime's threads cannot be created.
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
    /// counter.incr()?;
    /// assert_eq!(counter.get().wait()?, 1);
    /// system.shutdown();
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn start(self) -> Result<System, Error> {
        if let Mode::Simulated { seed } = self.config.mode {
            return Ok(self.start_simulated(seed));
        }
        let slot: Slot = Arc::new(OnceLock::new());
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all().thread_name("actium-worker");
        if let Some(workers) = self.config.workers {
            builder.worker_threads(workers);
        }
        let thread_slot = slot.clone();
        let thread_clock = self.config.clock.clone();
        builder.on_thread_start(move || {
            CURRENT.with_borrow_mut(|current| *current = Some(thread_slot.clone()));
            crate::cell::work_for(Some(&thread_slot));
            thread_clock.make_current();
        });
        // A worker about to sleep hands its held-back deadlines to the
        // sweeper, so none waits on a sleeping thread; only then does it
        // start holding them back (the blocking pool's threads, which
        // never park, never do).
        builder.on_thread_park(crate::host::parking);
        builder.on_thread_stop(|| {
            CURRENT.with_borrow_mut(|current| *current = None);
            crate::cell::work_for(None);
            Clock::real().make_current();
        });
        let runtime = builder
            .build()
            .map_err(|error| Error::Startup(Arc::new(error)))?;

        let shared = Arc::new(SystemShared::new(
            self.config,
            Executor::tokio(runtime.handle().clone()),
            slot.clone(),
        ));
        // A fresh `OnceLock` was created above, so this set cannot fail.
        let _ = slot.set(Arc::downgrade(&shared));
        Ok(System {
            handle: SystemHandle::from_shared(shared),
            host: Some(Host::Tokio(runtime)),
        })
    }
}
