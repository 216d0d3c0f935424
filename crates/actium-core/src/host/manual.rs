//! Virtual time that moves only when the program says: Akka's
//! `ManualTime`, for testing what actors do over time without waiting.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;

use super::clock::{Clock, TimeSource};
use super::deadline::Expire;
use super::due::DueQueue;
use super::expiries::{Expiries, Held};
use super::sends::{Kept, Message, Sends};

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
    /// `State::elapsed`, readable without the lock: every sleep reads the
    /// time when polled, and most polls find their wait over or not yet
    /// due. Written only under the lock.
    elapsed: AtomicU64,
    state: Mutex<State>,
}

struct State {
    /// Nanoseconds since `epoch`.
    elapsed: u64,
    /// Breaks ties between entries due at one instant: first come, first due.
    next_seq: u64,
    /// Keyed by (nanoseconds since `epoch`, sequence number).
    due: DueQueue<Due>,
    /// What an advance took out to fire, kept between advances so that
    /// one costs no allocation. All of it is taken out before any fires,
    /// so that the queue's length, and with it the sweeps, are the same
    /// whatever the firing adds.
    batch: Vec<Due>,
    /// When `due` reaches this length, entries that can no longer fire
    /// (answered asks, dropped sleeps) are swept out: most asks are
    /// answered long before their deadline, and a queue full of them
    /// costs memory and time. Twice the live entries after a sweep, so
    /// sweeping costs O(1) a push over time.
    sweep_at: usize,
    /// The delayed messages not yet due, by simulated system: kept here
    /// rather than in their entries so that a system that ends drops its
    /// own at once ([`ManualClock::drop_sends`]), touching no other entry.
    sends: Sends,
    /// The asks' deadlines not yet due, each until its ask takes it back.
    expiries: Expiries,
}

impl State {
    /// What `what`, taken out of the queue, does when fired: a delayed
    /// message's delivery, taken from `sends`, or nothing if its system
    /// ended; an ask's deadline, taken from `expiries`, or nothing if its
    /// ask took it back.
    fn resolve(&mut self, what: Due) -> Option<Due> {
        match what {
            Due::Send(kept) => self.sends.take(kept).map(Due::Call),
            Due::Deadline(held) => self.expiries.take(held).map(Due::Expire),
            what => Some(what),
        }
    }

    /// Whether firing `what` could still do anything, given the delayed
    /// messages and the deadlines kept.
    fn is_live(sends: &Sends, expiries: &Expiries, what: &Due) -> bool {
        match what {
            Due::Send(kept) => sends.holds(*kept),
            Due::Deadline(held) => expiries.is_pending(*held),
            what => what.is_live(),
        }
    }
}

/// The least queue length at which a sweep runs.
const SWEEP_MIN: usize = 1024;

enum Due {
    /// A sleeping future; gone if it was dropped.
    Wake(Weak<AtomicWaker>),
    /// A request-reply's deadline, held by the entry itself: where
    /// `expiries` had no room, and once taken out of the queue.
    Expire(Arc<dyn Expire>),
    /// A request-reply's deadline kept in `State::expiries`; gone if its
    /// ask took it back. Taken out of the queue, it becomes an `Expire`.
    Deadline(Held),
    /// Anything else due then (a simulated task's delayed wake-up).
    Call(Box<dyn FnOnce() + Send>),
    /// A delayed message of a simulated system, kept in `State::sends`;
    /// gone if the system ended. Taken out of the queue, it becomes a
    /// `Call`.
    Send(Kept),
}

impl Due {
    /// Whether firing it could still do anything.
    fn is_live(&self) -> bool {
        match self {
            Due::Wake(waker) => waker.strong_count() > 0,
            Due::Expire(pending) => !pending.is_done(),
            Due::Call(_) => true,
            // Checked against `State::sends` and `State::expiries` by
            // `State::is_live`.
            Due::Send(_) | Due::Deadline(_) => true,
        }
    }

    /// Does what was due: wakes the sleeper, expires the ask, runs the call.
    fn fire(self) {
        match self {
            Due::Wake(waker) => {
                if let Some(waker) = waker.upgrade() {
                    waker.wake();
                }
            }
            Due::Expire(pending) => pending.expire(),
            Due::Call(call) => call(),
            // Made a `Call` or an `Expire` when taken out (`State::resolve`).
            Due::Send(_) | Due::Deadline(_) => {}
        }
    }
}

/// The queue key of everything due at `nanos` since the epoch, or before.
fn last_key(nanos: u64) -> u128 {
    (u128::from(nanos) << 64) | u128::from(u64::MAX)
}

/// Nanoseconds as a `u64`, saturating (584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl ManualClock {
    /// A clock reading the present instant, which it keeps until advanced.
    pub fn new() -> Self {
        ManualClock {
            shared: Arc::new(Shared {
                epoch: Instant::now(),
                elapsed: AtomicU64::new(0),
                state: Mutex::new(State {
                    elapsed: 0,
                    next_seq: 0,
                    due: DueQueue::new(),
                    batch: Vec::new(),
                    sweep_at: 0,
                    sends: Sends::default(),
                    expiries: Expiries::default(),
                }),
            }),
        }
    }

    /// The instant this clock reads.
    pub fn now(&self) -> Instant {
        self.shared.now()
    }

    /// How far this clock has been moved on since it was made.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.shared.elapsed.load(Ordering::Acquire))
    }

    /// Moves time on by `by`, and fires everything due by then, earliest
    /// first: sleeping tasks are woken, overdue asks fail with
    /// [`Error::Timeout`](crate::Error::Timeout).
    ///
    /// What is woken runs on its system's threads after this returns;
    /// timers it then starts are due from the new time.
    pub fn advance(&self, by: Duration) {
        let batch = {
            let mut state = self.shared.lock();
            let elapsed = state.elapsed.saturating_add(nanos(by));
            self.shared.set_elapsed(&mut state, elapsed);
            let mut batch = std::mem::take(&mut state.batch);
            Shared::take_until(&mut state, last_key(elapsed), &mut batch);
            batch
        };
        self.shared.fire(batch);
    }

    /// Moves time on to the earliest wait not yet due, if any, and fires
    /// everything due then; returns how far it moved. What a simulation
    /// does when nothing can run: [`next_due`](Self::next_due) and
    /// [`advance`](Self::advance) in one step, taking the earliest entry
    /// out once rather than finding it twice.
    pub(crate) fn advance_to_next(&self) -> Option<Duration> {
        let (batch, by) = {
            let mut state = self.shared.lock();
            // The first entry that can still fire: a message of a system
            // that ended moves no time.
            let (key, first) = loop {
                let (key, what) = state.due.pop_until(u128::MAX)?;
                if let Some(what) = state.resolve(what) {
                    break (key, what);
                }
            };
            // The high half of the key: nanoseconds since the epoch.
            let at = u64::try_from(key >> 64).unwrap_or(u64::MAX);
            let by = at.saturating_sub(state.elapsed);
            let elapsed = state.elapsed.max(at);
            self.shared.set_elapsed(&mut state, elapsed);
            let mut batch = std::mem::take(&mut state.batch);
            batch.push(first);
            Shared::take_until(&mut state, last_key(elapsed), &mut batch);
            (batch, by)
        };
        self.shared.fire(batch);
        Some(Duration::from_nanos(by))
    }

    /// How many waits (sleeps, timers, ask deadlines) are not yet due.
    pub fn pending(&self) -> usize {
        let state = self.shared.lock();
        state
            .due
            .iter()
            .filter(|what| State::is_live(&state.sends, &state.expiries, what))
            .count()
    }

    /// Runs `call` once this clock reaches `at` (at once if it has).
    pub(crate) fn call_at(&self, at: Instant, call: Box<dyn FnOnce() + Send>) {
        if let Some(Due::Call(call)) = self.shared.add(at, Due::Call(call)) {
            call();
        }
    }

    /// Runs `call`, a delayed message of the simulated system `group`, once
    /// this clock reaches `at`, unless [`drop_sends`](Self::drop_sends)
    /// drops it first. Never at once, even if `at` has passed: it is
    /// queued for now, so that it runs outside its sender, when the clock
    /// next fires what is due, as every other delayed message does.
    pub(crate) fn send_at(&self, group: u64, at: Instant, call: Message) {
        let mut state = self.shared.lock();
        let at = nanos(at.saturating_duration_since(self.shared.epoch)).max(state.elapsed);
        // Kept first, so that a sweep in `push` finds it live.
        let kept = state.sends.keep(group, call);
        Shared::push(&mut state, at, Due::Send(kept));
    }

    /// Drops the delayed messages not yet due of the simulated system
    /// `group`, which ended, without running them: they would otherwise
    /// keep it (their references to its actors) alive. Their entries stay
    /// queued, empty, until they fall due or a sweep takes them.
    pub(crate) fn drop_sends(&self, group: u64) {
        let dropped = self.shared.lock().sends.drop_group(group);
        // Their destructors run outside the lock: they may add waits.
        drop(dropped);
    }

    /// Drops every delayed message not yet due, without running it: the
    /// end of a simulation.
    pub(crate) fn drop_all_sends(&self) {
        let dropped = self.shared.lock().sends.drop_all();
        drop(dropped);
    }

    /// When the earliest wait not yet due is, if any: how far to
    /// [`advance`](Self::advance) for something to happen.
    pub fn next_due(&self) -> Option<Instant> {
        let first = self.shared.lock().due.first()?;
        let at = u64::try_from(first >> 64).unwrap_or(u64::MAX);
        Some(self.shared.epoch + Duration::from_nanos(at))
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
            .field("elapsed", &self.elapsed())
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
        // Only queue operations run under the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Instant {
        self.epoch + Duration::from_nanos(self.elapsed.load(Ordering::Acquire))
    }

    /// Sets the time, under the lock that `state` is guarded by.
    fn set_elapsed(&self, state: &mut State, elapsed: u64) {
        state.elapsed = elapsed;
        self.elapsed.store(elapsed, Ordering::Release);
    }

    /// Takes out every entry whose key is at most `limit`, earliest first,
    /// into `batch`.
    fn take_until(state: &mut State, limit: u128, batch: &mut Vec<Due>) {
        while let Some((_, what)) = state.due.pop_until(limit) {
            batch.extend(state.resolve(what));
        }
    }

    /// Fires `batch` in order, outside the lock (waking and expiring run
    /// other code, which may add waits), then keeps its allocation for the
    /// next batch.
    fn fire(&self, mut batch: Vec<Due>) {
        for what in batch.drain(..) {
            what.fire();
        }
        let mut state = self.lock();
        if state.batch.capacity() < batch.capacity() {
            state.batch = batch;
        }
    }

    /// Adds `what`, due `at`; gives it back if it is due already. One
    /// lock for both, so that an `advance` cannot come between them.
    fn add(&self, at: Instant, what: Due) -> Option<Due> {
        let mut state = self.lock();
        let at = nanos(at.saturating_duration_since(self.epoch));
        if at <= state.elapsed {
            return Some(what);
        }
        Self::push(&mut state, at, what);
        None
    }

    /// Queues `what` at `at` nanoseconds since the epoch, sweeping out
    /// what can no longer fire when the queue has doubled.
    fn push(state: &mut State, at: u64, what: Due) {
        let seq = state.next_seq;
        state.next_seq += 1;
        state
            .due
            .push((u128::from(at) << 64) | u128::from(seq), what);
        if state.due.len() >= state.sweep_at {
            let State {
                due,
                sends,
                expiries,
                ..
            } = state;
            // A deadline still held stays queued even if its ask is done
            // (answered where another clock was current): letting go of it
            // here could drop the slot's last reference, and an answer
            // nobody collected, inside the lock. It goes when it falls due.
            due.retain(|what| match what {
                Due::Deadline(held) => expiries.holds(*held),
                what => State::is_live(sends, expiries, what),
            });
            state.sweep_at = (state.due.len() * 2).max(SWEEP_MIN);
        }
    }
}

impl TimeSource for Shared {
    fn now(&self) -> Instant {
        Shared::now(self)
    }

    fn since_start(&self) -> Duration {
        Duration::from_nanos(self.elapsed.load(Ordering::Acquire))
    }

    fn sleep_until(self: Arc<Self>, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(ManualSleep {
            clock: self,
            deadline,
            waker: None,
        })
    }

    fn expire_at(&self, deadline: Instant, pending: Arc<dyn Expire>) -> Option<u64> {
        let mut state = self.lock();
        let at = nanos(deadline.saturating_duration_since(self.epoch));
        if at <= state.elapsed {
            drop(state);
            pending.expire();
            return None;
        }
        // Kept first, so that a sweep in `push` finds it live.
        match state.expiries.hold(pending) {
            Ok(held) => {
                Self::push(&mut state, at, Due::Deadline(held));
                Some(held.token())
            }
            Err(pending) => {
                Self::push(&mut state, at, Due::Expire(pending));
                None
            }
        }
    }

    fn cancel(&self, token: u64) {
        let taken = self.lock().expiries.cancel(token);
        // Outside the lock: it may be the slot's last reference.
        drop(taken);
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
    use std::sync::atomic::AtomicBool;
    use std::task::Waker;

    use super::super::expiries::tests::Flag;
    use super::*;

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
    fn deadlines_taken_back_are_swept_out_and_live_ones_still_fire_in_order() {
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
        // Ten thousand asks answered long before their deadline, each
        // taking it back (their places given again and again).
        for i in 0..10_000 {
            let answered = Arc::new(Flag(AtomicBool::new(true)));
            let token = source.expire_at(start + Duration::from_millis(500 + i), answered);
            source.cancel(token.expect("held"));
        }
        // One answered where this clock was not current: held until due.
        let elsewhere = Arc::new(Flag(AtomicBool::new(true)));
        let _token = source.expire_at(start + Duration::from_millis(1500), elsewhere.clone());
        assert!(source.lock().due.len() <= 2 * SWEEP_MIN, "not swept");
        assert_eq!(clock.pending(), 3);
        assert_eq!(Arc::strong_count(&elsewhere), 2);
        assert_eq!(clock.next_due(), Some(start + Duration::from_secs(1)));
        clock.advance(Duration::from_secs(2));
        let fired: Vec<bool> = live.iter().map(|flag| flag.is_done()).collect();
        assert_eq!(fired, [true, true, false]);
        assert_eq!(Arc::strong_count(&elsewhere), 1, "let go when due");
    }

    #[test]
    fn a_deadline_taken_back_lets_go_of_its_slot_and_never_fires() {
        let clock = ManualClock::new();
        let source = clock.shared.clone();
        let start = clock.now();
        let taken_back = Arc::new(Flag(AtomicBool::new(false)));
        let token = source.expire_at(start + Duration::from_secs(1), taken_back.clone());
        let kept = Arc::new(Flag(AtomicBool::new(false)));
        let _kept = source.expire_at(start + Duration::from_secs(1), kept.clone());
        assert_eq!(Arc::strong_count(&taken_back), 2, "held until due");
        source.cancel(token.expect("a manual clock holds its deadlines"));
        assert_eq!(Arc::strong_count(&taken_back), 1, "let go at once");
        assert_eq!(clock.pending(), 1);
        clock.advance(Duration::from_secs(1));
        assert!(!taken_back.is_done());
        assert!(kept.is_done());
        assert_eq!(Arc::strong_count(&kept), 1, "let go when due");
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
