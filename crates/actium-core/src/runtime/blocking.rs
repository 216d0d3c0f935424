//! Blocking work inside task-mode actors.
//!
//! A task-mode actor shares a few worker threads with every other actor;
//! a blocking call (file I/O, a C library, `std::thread::sleep`) would stall
//! them all. Two supported ways out:
//!
//! - [`blocking`]: run a closure on Tokio's dedicated blocking pool and await
//!   its result. The actor keeps its turn (it is awaiting) but no worker
//!   thread is held.
//! - `#[ask(blocking)]` / `#[tell(blocking)]` on a method: the method runs on
//!   the actor's current thread after Tokio has handed that worker's other
//!   tasks to another thread (`block_in_place`), so it can use `&mut self`.
//!
//! In threads mode both work too; the actor's own thread simply blocks.

use crate::base::Error;

/// Runs `work` on the blocking thread pool and returns its result, without
/// blocking the calling actor's thread.
///
/// ```
/// # actium::launch(actium::Mode::Tasks, async {
/// let bytes = actium::blocking(|| std::fs::read("Cargo.toml").map(|b| b.len())).await?;
/// # let _ = bytes;
/// # Ok::<(), actium::Error>(())
/// # })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::BlockingPanicked`] if `work` panics, [`Error::NoSystem`] outside
/// a runtime, [`Error::ShuttingDown`] if the runtime is shutting down.
pub async fn blocking<T, F>(work: F) -> Result<T, Error>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match crate::runtime::SystemHandle::try_current() {
        Ok(system) => system.shared().executor.spawn_blocking(work).await,
        // Outside a system, on a Tokio runtime of the caller's own.
        Err(_) => {
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoSystem)?;
            crate::host::Executor::tokio(runtime)
                .spawn_blocking(work)
                .await
        }
    }
}
