//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use actium::prelude::*;
use tokio::sync::Semaphore;

/// Both execution models, for tests that build their own systems.
pub const MODES: [Mode; 2] = [Mode::Tasks, Mode::Threads];

/// Runs `work` on its own thread and fails the test if it takes longer than
/// `limit` — for tests that drive systems by hand and could hang.
pub fn within<T: Send + 'static>(limit: Duration, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The work panicked: re-raise its panic here.
            match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("worker ended without sending"),
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within {limit:?}")
        }
    }
}

/// Runs the ignored test `name` of this test binary in a fresh process
/// (with `--nocapture`, so that what it prints to standard error is
/// returned) and fails unless it ran and passed: for behaviour that
/// depends on the process being new, or on nothing else having set up
/// logging. Returns its standard error.
pub fn in_fresh_process(name: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{name} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("1 passed"), "{name} ran no test:\n{stdout}");
    stderr
}

/// A one-way event: `fire` once, `wait` any number of times.
#[derive(Clone)]
pub struct Event(Arc<Semaphore>);

impl Event {
    pub fn new() -> Self {
        Event(Arc::new(Semaphore::new(0)))
    }

    pub fn fire(&self) {
        self.0.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    pub async fn wait(&self) {
        let _permit = self.0.acquire().await;
    }

    pub fn has_fired(&self) -> bool {
        self.0.available_permits() > 0
    }
}

/// An actor whose `hold` request waits until the test opens the gate, so a
/// test can keep an actor busy for exactly as long as it needs.
pub struct Gate {
    pub open: Event,
    pub entered: Event,
    pub handled: u64,
}

impl Gate {
    pub fn new() -> (Self, Event, Event) {
        let (open, entered) = (Event::new(), Event::new());
        let gate = Gate {
            open: open.clone(),
            entered: entered.clone(),
            handled: 0,
        };
        (gate, open, entered)
    }
}

#[actor]
impl Gate {
    /// Signals `entered`, then waits until `open` fires.
    #[ask]
    pub async fn hold(&mut self) -> u64 {
        self.entered.fire();
        self.open.wait().await;
        self.handled += 1;
        self.handled
    }

    #[tell]
    pub fn touch(&mut self) {
        self.handled += 1;
    }

    #[ask]
    pub fn handled(&self) -> u64 {
        self.handled
    }
}

/// The simplest actor: counts one-way increments, answers with the count.
#[derive(Default)]
pub struct Counter {
    pub n: u64,
}

#[actor]
impl Counter {
    #[tell]
    pub fn incr(&mut self) {
        self.n += 1;
    }

    #[ask]
    pub fn get(&self) -> u64 {
        self.n
    }
}

#[cfg(feature = "remote")]
pub mod remote;
