//! Virtual time that moves only when the program says: Akka's
//! `ManualTime`, for testing what actors do over time without waiting.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;

use super::clock::{Clock, TimeSource};
use super::deadline::Expire;

/// A clock that stands still until [`advance`](ManualClock::advance)d.
///
/// A system started with it ([`SystemBuilder::clock`](crate::SystemBuilder::clock))
/// runs its actors on real threads as usual, but every wait — timers,
/// [`sleep`](crate::sleep), ask deadlines, supervisors' restart windows —
/// reads this clock, so a test can let an hour pass in a line and see
/// exactly what was due in it. Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use actium::{ManualClock, System};
///
/// let clock = ManualClock::new();
/// let system = System::builder().clock(clock.clone()).start()?;
/// let started = clock.now();
/// let nap = system.block_on(async {
///     let clock = actium::SystemHandle::current().clock();
///     tokio::spawn(async move { clock.sleep(Duration::from_secs(3600)).await })
/// });
/// while clock.pending() == 0 {
///     std::thread::yield_now(); // until the task sleeps
/// }
/// clock.advance(Duration::from_secs(3600));
/// system.block_on(nap).unwrap();
/// assert_eq!(clock.now() - started, Duration::from_secs(3600));
/// system.shutdown();
/// # Ok::<(), actium::Error>(())
/// ```
#[derive(Clone)]
pub struct ManualClock {
    shared: Arc<Shared>,
}

struct Shared {
    epoch: Instant,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    elapsed: Duration,
    /// Breaks ties between entries due at one instant: first come, first due.
    next_seq: u64,
    due: BinaryHeap<Reverse<Entry>>,
    /// When `due` reaches this length, entries that can no longer fire
    /// (answered asks, dropped sleeps) are swept out: most asks are
    /// answered long before their deadline, and a heap full of them made
    /// every push and pop slower. Twice the live entries after a sweep,
    /// so sweeping costs O(1) a push over time.
    sweep_at: usize,
}

/// The least heap length at which a sweep runs.
const SWEEP_MIN: usize = 1024;

struct Entry {
    at: Instant,
    seq: u64,
    what: Due,
}

enum Due {
    /// A sleeping future; gone if it was dropped.
    Wake(Weak<AtomicWaker>),
    /// A request-reply's deadline.
    Expire(Arc<dyn Expire>),
    /// Anything else due then (a simulated task's delayed wake-up).
    Call(Box<dyn FnOnce() + Send>),
}

impl Due {
    /// Whether firing it could still do anything.
    fn is_live(&self) -> bool {
        match self {
            Due::Wake(waker) => waker.strong_count() > 0,
            Due::Expire(pending) => !pending.is_done(),
            Due::Call(_) => true,
        }
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl ManualClock {
    /// A clock reading the present instant, which it keeps until advanced.
    pub fn new() -> Self {
        ManualClock {
            shared: Arc::new(Shared {
                epoch: Instant::now(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The instant this clock reads.
    pub fn now(&self) -> Instant {
        self.shared.now()
    }

    /// How far this clock has been moved on since it was made.
    pub fn elapsed(&self) -> Duration {
        self.shared.lock().elapsed
    }

    /// Moves time on by `by`, and fires everything due by then, earliest
    /// first: sleeping tasks are woken, overdue asks fail with
    /// [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// What is woken runs on its system's threads after this returns;
    /// timers it then starts are due from the new time.
    pub fn advance(&self, by: Duration) {
        let due = {
            let mut state = self.shared.lock();
            state.elapsed += by;
            let now = self.shared.epoch + state.elapsed;
            let mut due = Vec::new();
            while state.due.peek().is_some_and(|next| next.0.at <= now) {
                if let Some(Reverse(entry)) = state.due.pop() {
                    due.push(entry.what);
                }
            }
            due
        };
        // Outside the lock: waking and expiring run other code.
        for what in due {
            match what {
                Due::Wake(waker) => {
                    if let Some(waker) = waker.upgrade() {
                        waker.wake();
                    }
                }
                Due::Expire(pending) => pending.expire(),
                Due::Call(call) => call(),
            }
        }
    }

    /// How many waits (sleeps, timers, ask deadlines) are not yet due.
    pub fn pending(&self) -> usize {
        self.shared
            .lock()
            .due
            .iter()
            .filter(|entry| entry.0.what.is_live())
            .count()
    }

    /// Runs `call` once this clock reaches `at` (at once if it has).
    pub(crate) fn call_at(&self, at: Instant, call: Box<dyn FnOnce() + Send>) {
        if let Some(Due::Call(call)) = self.shared.add(at, Due::Call(call)) {
            call();
        }
    }

    /// When the earliest wait not yet due is, if any: how far to
    /// [`advance`](Self::advance) for something to happen.
    pub fn next_due(&self) -> Option<Instant> {
        self.shared.lock().due.peek().map(|entry| entry.0.at)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.shared.lock().elapsed)
            .finish_non_exhaustive()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Clock::from_source(manual.shared)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Only heap operations run under the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Instant {
        self.epoch + self.lock().elapsed
    }

    /// Adds `what`, due `at`; gives it back if it is due already. One
    /// lock for both, so that an `advance` cannot come between them.
    fn add(&self, at: Instant, what: Due) -> Option<Due> {
        let mut state = self.lock();
        if at <= self.epoch + state.elapsed {
            return Some(what);
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.due.push(Reverse(Entry { at, seq, what }));
        if state.due.len() >= state.sweep_at {
            state.due.retain(|entry| entry.0.what.is_live());
            state.sweep_at = (state.due.len() * 2).max(SWEEP_MIN);
        }
        None
    }
}

impl TimeSource for Shared {
    fn now(&self) -> Instant {
        Shared::now(self)
    }

    fn since_start(&self) -> Duration {
        self.lock().elapsed
    }

    fn sleep_until(self: Arc<Self>, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(ManualSleep {
            clock: self,
            deadline,
            waker: None,
        })
    }

    fn expire_at(&self, deadline: Instant, pending: Arc<dyn Expire>) {
        if let Some(Due::Expire(pending)) = self.add(deadline, Due::Expire(pending)) {
            pending.expire();
        }
    }
}

/// A sleep on a manual clock.
struct ManualSleep {
    clock: Arc<Shared>,
    deadline: Instant,
    /// Registered with the clock on the first poll that had to wait.
    waker: Option<Arc<AtomicWaker>>,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        if let Some(waker) = &self.waker {
            waker.register(cx.waker());
            // Advanced since the check above: woken already, or about to be.
            return if self.clock.now() >= self.deadline {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        let waker = Arc::new(AtomicWaker::new());
        waker.register(cx.waker());
        // Due by the time the clock's lock was taken: nothing to wait for.
        if self
            .clock
            .add(self.deadline, Due::Wake(Arc::downgrade(&waker)))
            .is_some()
        {
            return Poll::Ready(());
        }
        self.waker = Some(waker);
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Waker;

    use super::*;

    struct Flag(AtomicBool);

    impl Expire for Flag {
        fn is_done(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }

        fn expire(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    fn poll(sleep: &mut Pin<Box<dyn Future<Output = ()> + Send>>) -> Poll<()> {
        sleep.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn waits_are_due_exactly_when_the_clock_reaches_them() {
        let clock = ManualClock::new();
        let source = clock.shared.clone();
        let start = clock.now();
        let mut sleep = source.clone().sleep_until(start + Duration::from_secs(2));
        let deadline = Arc::new(Flag(AtomicBool::new(false)));
        source.expire_at(start + Duration::from_secs(1), deadline.clone());
        assert!(poll(&mut sleep).is_pending());
        assert_eq!(clock.pending(), 2);
        assert_eq!(clock.next_due(), Some(start + Duration::from_secs(1)));

        clock.advance(Duration::from_millis(999));
        assert!(!deadline.is_done());
        assert!(poll(&mut sleep).is_pending());
        clock.advance(Duration::from_millis(1));
        assert!(deadline.is_done());
        assert!(poll(&mut sleep).is_pending());
        assert_eq!(clock.pending(), 1);
        clock.advance(Duration::from_secs(1));
        assert!(poll(&mut sleep).is_ready());
        assert_eq!(clock.pending(), 0);
    }

    #[test]
    fn answered_deadlines_are_swept_out_and_live_ones_still_fire_in_order() {
        let clock = ManualClock::new();
        let source = clock.shared.clone();
        let start = clock.now();
        let live: Vec<_> = (1..=3)
            .map(|s| {
                let flag = Arc::new(Flag(AtomicBool::new(false)));
                source.expire_at(start + Duration::from_secs(s), flag.clone());
                flag
            })
            .collect();
        // Ten thousand asks answered long before their deadline.
        for i in 0..10_000 {
            let answered = Arc::new(Flag(AtomicBool::new(true)));
            source.expire_at(start + Duration::from_millis(500 + i), answered);
        }
        assert!(source.lock().due.len() <= 2 * SWEEP_MIN, "not swept");
        assert_eq!(clock.pending(), 3);
        assert_eq!(clock.next_due(), Some(start + Duration::from_secs(1)));
        clock.advance(Duration::from_secs(2));
        let fired: Vec<bool> = live.iter().map(|flag| flag.is_done()).collect();
        assert_eq!(fired, [true, true, false]);
    }

    #[test]
    fn what_is_due_already_is_not_queued_and_dropped_sleeps_are_not_pending() {
        let clock = ManualClock::new();
        let source = clock.shared.clone();
        let overdue = Arc::new(Flag(AtomicBool::new(false)));
        source.expire_at(clock.now(), overdue.clone());
        assert!(overdue.is_done());
        let mut now = source.clone().sleep_until(clock.now());
        assert!(poll(&mut now).is_ready());

        let mut later = source.sleep_until(clock.now() + Duration::from_secs(1));
        assert!(poll(&mut later).is_pending());
        assert_eq!(clock.pending(), 1);
        drop(later);
        assert_eq!(clock.pending(), 0);
    }
}
