//! Timing a request a caller runs for an idle callee (see `call::Help`),
//! against the caller's deadline, at the precision that deadline has.
//!
//! A short deadline (under `deadline::SHORT`) fires on time, so the time
//! a caller spent running its request is read from the system's clock.
//! A long one (the 5-second default among them) fires up to two slow
//! ticks (100 ms) late, never early: for it, `Instant::now` twice per ask
//! was an eighth of a local ask's time (`perf`, issue 17), and the
//! kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE`: a read of
//! the time of the last tick, no counter read) is precise enough. Its
//! reading is normally at most one resolution behind the real time; the
//! elapsed time less two resolutions leaves as much again for a tick the
//! kernel took late, so a long deadline does not fire early, and fires
//! at most three resolutions (a few milliseconds) late on top of its
//! slow ticks. The coarse clock is used only if its resolution reads as
//! at most `COARSEST`; else the system's clock times the request.

use std::time::{Duration, Instant};

use super::Clock;

/// A started measurement of how long something took (see the module
/// docs).
pub(crate) enum Stopwatch<'a> {
    /// On the system's clock (real or virtual).
    Exact(&'a Clock, Instant),
    /// On the coarse monotonic clock: nanoseconds when started.
    #[cfg(target_os = "linux")]
    Coarse(u64),
}

impl<'a> Stopwatch<'a> {
    /// Starts timing against a deadline of `timeout` on `clock`: exactly
    /// for a short one or a clock that is not the real one (a
    /// simulation's virtual time must stay deterministic), coarsely
    /// otherwise.
    #[inline]
    pub(crate) fn start(clock: &'a Clock, timeout: Duration) -> Self {
        #[cfg(target_os = "linux")]
        if timeout >= super::deadline::SHORT && clock.is_real() && coarse::usable() {
            if let Some(now) = coarse::now() {
                return Stopwatch::Coarse(now);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = timeout;
        Stopwatch::Exact(clock, clock.now())
    }

    /// How long it has run at least: never more than it really ran.
    #[inline]
    pub(crate) fn at_least(&self) -> Duration {
        match self {
            Stopwatch::Exact(clock, started) => clock.now().saturating_duration_since(*started),
            #[cfg(target_os = "linux")]
            Stopwatch::Coarse(started) => coarse::now().map_or(Duration::ZERO, |now| {
                Duration::from_nanos(
                    now.saturating_sub(*started)
                        .saturating_sub(coarse::resolution().saturating_mul(2)),
                )
            }),
        }
    }
}

#[cfg(target_os = "linux")]
mod coarse {
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// The coarse clock's resolution in nanoseconds, once read (0 before).
    static RESOLUTION: AtomicU64 = AtomicU64::new(0);

    /// The coarsest resolution the coarse clock is used with: 20 ms.
    const COARSEST: u64 = 20_000_000;

    /// The coarse monotonic clock, in nanoseconds (`None` if the kernel
    /// has none, which no Linux since 2.6.32 lacks).
    #[inline]
    pub(super) fn now() -> Option<u64> {
        let mut time = MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: `time` points to writable room for a `timespec`; the call
        // writes only it. On Linux it is a vDSO read, no system call.
        let status =
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, time.as_mut_ptr()) };
        if status != 0 {
            return None;
        }
        // SAFETY: a call that succeeded filled it in.
        let time = unsafe { time.assume_init() };
        nanos(&time)
    }

    /// Whether the coarse clock's resolution could be read and is at most
    /// `COARSEST`: else the bounds of the module docs would not hold.
    pub(super) fn usable() -> bool {
        resolution() <= COARSEST
    }

    /// The coarse clock's resolution (the kernel's tick, 1–10 ms), read
    /// once; `u64::MAX` if it cannot be read (then `usable` is false).
    pub(super) fn resolution() -> u64 {
        let known = RESOLUTION.load(Ordering::Relaxed);
        if known != 0 {
            return known;
        }
        let mut time = MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: as in `now`.
        let status = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, time.as_mut_ptr()) };
        let read = if status == 0 {
            // SAFETY: a call that succeeded filled it in.
            let time = unsafe { time.assume_init() };
            nanos(&time)
        } else {
            None
        };
        let resolution = read.filter(|&nanos| nanos > 0).unwrap_or(u64::MAX);
        RESOLUTION.store(resolution, Ordering::Relaxed);
        resolution
    }

    fn nanos(time: &libc::timespec) -> Option<u64> {
        let seconds = u64::try_from(time.tv_sec).ok()?;
        let nanos = u64::try_from(time.tv_nsec).ok()?;
        seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coarse_measurement_never_exceeds_the_real_time() {
        let clock = Clock::real();
        for _ in 0..20 {
            let real = Instant::now();
            let watch = Stopwatch::start(&clock, Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(3));
            let measured = watch.at_least();
            assert!(measured <= real.elapsed(), "{measured:?} measured");
        }
    }

    #[test]
    fn a_short_deadline_is_timed_exactly() {
        let clock = Clock::real();
        let watch = Stopwatch::start(&clock, Duration::from_millis(20));
        assert!(matches!(watch, Stopwatch::Exact(..)));
        std::thread::sleep(Duration::from_millis(2));
        assert!(watch.at_least() >= Duration::from_millis(2));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_long_deadline_is_timed_coarsely_and_still_counts_a_long_wait() {
        if !coarse::usable() {
            // No coarse clock fine enough here: the exact clock times all.
            return;
        }
        let clock = Clock::real();
        let watch = Stopwatch::start(&clock, Duration::from_secs(5));
        assert!(matches!(watch, Stopwatch::Coarse(_)));
        std::thread::sleep(Duration::from_millis(60));
        // Less two resolutions of the kernel's tick, and one for a reading
        // a tick behind.
        let resolution = Duration::from_nanos(coarse::resolution());
        let least = Duration::from_millis(60).saturating_sub(3 * resolution);
        assert!(watch.at_least() >= least, "{:?}", watch.at_least());
    }
}
