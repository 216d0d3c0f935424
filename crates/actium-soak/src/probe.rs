//! What the runs measure about this process: resident memory, open file
//! descriptors, and panics.

use std::sync::atomic::{AtomicU64, Ordering};

static PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts one panic (the panic hook).
pub fn count_panic() {
    PANICS.fetch_add(1, Ordering::Relaxed);
}

/// Panics so far.
pub fn panics() -> u64 {
    PANICS.load(Ordering::Relaxed)
}

/// The resident set in KiB (from `/proc/self/statm`; 0 where there is no
/// `/proc`).
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// Open file descriptors (entries of `/proc/self/fd`; 0 where there is
/// no `/proc`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// One sample of the process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since the run began.
    pub at: f64,
    /// Resident set, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
}

impl Sample {
    /// Samples now, `at` seconds into the run.
    pub fn take(at: f64) -> Self {
        Sample {
            at,
            rss_kib: rss_kib(),
            fds: open_fds(),
        }
    }
}
