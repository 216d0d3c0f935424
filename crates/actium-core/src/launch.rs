//! Running a program: [`launch`] and [`serve_forever`].

use std::future::Future;

use crate::error::Error;
use crate::system::{Mode, System, SystemBuilder, SystemHandle};

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
/// # Errors
///
/// `main`'s own error, or [`Error::Startup`] (converted into `E`) if the
/// runtime cannot start.
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
    pub fn launch<T, E, F>(self, main: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let system = self.start()?;
        let output = system.block_on(main);
        system.shutdown();
        output
    }

    /// Like [`serve_forever`], with this builder's settings.
    ///
    /// # Errors
    ///
    /// As [`serve_forever`].
    pub fn serve_forever<E, F>(self, setup: F) -> Result<(), E>
    where
        F: Future<Output = Result<(), E>>,
        E: From<Error>,
    {
        let system = self.start()?;
        let handle = system.handle().clone();
        let output = system.block_on(async move {
            setup.await?;
            termination(&handle).await;
            Ok(())
        });
        system.shutdown();
        output
    }
}

/// Resolves on SIGINT, SIGTERM, or a shutdown request.
async fn termination(system: &SystemHandle) {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here (rare): rely on explicit requests.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
        () = system.shutdown_requested() => {}
    }
}
