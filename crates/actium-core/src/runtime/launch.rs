//! Running a program: [`launch`] and [`serve_forever`].

use std::future::Future;

use crate::base::Error;
use crate::cell::Mode;
use crate::runtime::{System, SystemBuilder, SystemHandle};

/// Starts a system with `mode`, runs `main` in it on the calling thread, then
/// shuts the system down gracefully and returns `main`'s result.
///
/// This is the usual entry point: switching a program between
/// [`Mode::Tasks`] and [`Mode::Threads`] is changing this one argument. For
/// other settings use [`SystemBuilder::launch`].
///
/// ```
/// use actium::prelude::*;
///
/// #[derive(Default)]
/// struct Counter {
///     n: u64,
/// }
///
/// #[actor]
/// impl Counter {
///     #[tell]
///     fn incr(&mut self, by: u64) {
///         self.n += by;
///     }
///
///     #[ask]
///     fn get(&self) -> u64 {
///         self.n
///     }
/// }
///
/// fn main() -> actium::Result<()> {
///     actium::launch(Mode::Tasks, async {
///         let counter = Counter::default().spawn();
///         counter.incr(5)?;
///         assert_eq!(counter.get().await?, 5);
///         Ok(())
///     })
/// }
/// ```
///
/// # Errors and `?`
///
/// `main`'s own error, or [`Error::Startup`] (converted into `E`) if the
/// runtime cannot start. `E` is any error type that an [`Error`] converts
/// into. With `E = actium::Error`, `?` works on Actium's calls, on I/O
/// ([`Error::Io`]) and on starting a trace recording
/// ([`Error::AlreadyRecording`]). A program that also uses `?` on other
/// libraries' errors returns `Box<dyn std::error::Error + Send + Sync>`
/// (or `anyhow::Result`), which all of them convert into:
///
/// ```
/// use actium::prelude::*;
///
/// type AnyError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[derive(Default)] struct Counter { n: u64 }
/// # #[actor] impl Counter {
/// #     #[tell] fn incr(&mut self, by: u64) { self.n += by; }
/// #     #[ask] fn get(&self) -> u64 { self.n }
/// # }
/// fn main() -> Result<(), AnyError> {
///     actium::launch(Mode::Tasks, async {
///         let counter = Counter::default().spawn();
///         let by: u64 = "5".parse()?; // a ParseIntError
///         counter.incr(by)?; // an actium::Error
///         assert_eq!(counter.get().await?, 5);
///         let config = std::env::temp_dir().join("actium-launch-doc.txt");
///         std::fs::write(&config, "ok")?; // an io::Error
///         assert_eq!(std::fs::read_to_string(&config)?, "ok");
///         Ok::<(), AnyError>(())
///     })
/// }
/// ```
pub fn launch<T, E, F>(mode: Mode, main: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<Error>,
{
    System::builder().mode(mode).launch(main)
}

/// Starts a system with `mode`, runs `setup` in it, then keeps serving until
/// SIGINT (Ctrl-C), SIGTERM or [`SystemHandle::request_shutdown`], and shuts
/// down gracefully.
///
/// # Errors
///
/// `setup`'s error (the system then shuts down at once), or
/// [`Error::Startup`] converted into `E`.
pub fn serve_forever<E, F>(mode: Mode, setup: F) -> Result<(), E>
where
    F: Future<Output = Result<(), E>>,
    E: From<Error>,
{
    System::builder().mode(mode).serve_forever(setup)
}

impl SystemBuilder {
    /// Like [`launch`], with this builder's settings.
    ///
    /// # Errors
    ///
    /// As [`launch`].
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
    /// System::builder().workers(2).launch(async {
    ///     let counter = Counter::default().spawn();
    ///     counter.incr()?;
    ///     assert_eq!(counter.get().await?, 1);
    ///     Ok::<(), actium::Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn launch<T, E, F>(self, main: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let system = self.start()?;
        let output = system
            .try_block_on(main)
            .unwrap_or_else(|error| Err(error.into()));
        system.shutdown();
        output
    }

    /// Like [`serve_forever`], with this builder's settings.
    ///
    /// # Errors
    ///
    /// As [`serve_forever`].
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
    /// System::builder().workers(2).serve_forever(async {
    ///     let counter = Counter::default().spawn();
    ///     actium::register("counter", &counter)?;
    ///     // A real server returns here and serves until SIGINT or SIGTERM;
    ///     // this example asks for the shutdown itself.
    ///     SystemHandle::current().request_shutdown();
    ///     Ok::<(), actium::Error>(())
    /// })?;
    /// # Ok::<(), actium::Error>(())
    /// ```
    pub fn serve_forever<E, F>(self, setup: F) -> Result<(), E>
    where
        F: Future<Output = Result<(), E>>,
        E: From<Error>,
    {
        let system = self.start()?;
        let handle = system.handle().clone();
        let output = system.block_on(async move {
            // Listen before setup runs, so a signal during setup is not lost.
            let signals = Signals::listen();
            setup.await?;
            signals.termination(&handle).await;
            Ok(())
        });
        system.shutdown();
        output
    }
}

/// The signals that end `serve_forever`, listened to from creation on.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Without signal handling (rare), explicit requests still work.
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves on SIGINT, SIGTERM, or a shutdown request.
    async fn termination(self, system: &SystemHandle) {
        #[cfg(unix)]
        {
            let Signals {
                mut interrupt,
                mut terminate,
            } = self;
            let interrupted = async {
                match &mut interrupt {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            let terminated = async {
                match &mut terminate {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = interrupted => tracing::info!("SIGINT received; shutting down"),
                _ = terminated => tracing::info!("SIGTERM received; shutting down"),
                () = system.shutdown_requested() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let interrupted = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = interrupted => tracing::info!("Ctrl-C received; shutting down"),
                () = system.shutdown_requested() => {}
            }
        }
    }
}
