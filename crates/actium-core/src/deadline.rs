//! Deadlines of pending request-replies, enforced by one background thread.
//!
//! Every ask has a deadline, but almost every ask is answered long before
//! it. A Tokio timer per ask costs a timer-wheel insert and removal under a
//! lock, and often a wake-up of the parked timer driver: together more than
//! the whole round trip. Even a shared queue per thread costs a lock the
//! sweeper contends for. Instead:
//!
//! - an ask still waiting after its first poll **registers** its reply slot
//!   and timeout in a buffer of the calling thread, with no lock: one
//!   `Arc` clone. On each registration the thread drops answered
//!   registrations from the front of its buffer, so a thread asking in a
//!   loop keeps a buffer of one, and slots are freed where they were
//!   allocated.
//! - registrations still unanswered are **published** to the thread's shared
//!   queue when the sweeper's tick has moved on since the last publication,
//!   when a worker thread is about to park, or (through [`publish_if_due`])
//!   between the messages an actor loop handles. Threads outside Actium's
//!   runtimes publish at once.
//! - one process-wide **sweeper** thread adopts published registrations,
//!   gives each a deadline, and completes overdue ones with
//!   [`Outcome::Expired`](crate::primitives::slot::Outcome::Expired), which
//!   wakes their callers. It sleeps until the earliest deadline it knows or
//!   the next [`SLOW_TICK`], whichever comes first, and for good when
//!   nothing is registered anywhere. When it sleeps, and how a registration
//!   wakes it, is the loom-checked [`Alarm`].
//!
//! Two lanes keep the sweeper quiet. A **short** timeout (under [`SHORT`])
//! is stamped with its exact deadline when registered, published at once,
//! and wakes the sweeper if it would otherwise sleep past it: it fires on
//! time (within the thread scheduler's precision). A **long** one — the
//! 5-second default among them — costs no clock read: its deadline counts
//! from its adoption, at most two slow ticks after registration, so it fires
//! between `timeout` and `timeout` + 2 [`SLOW_TICK`]s: never early. (A
//! worker kept busy that long by code that is not an actor publishes later;
//! its long deadlines fire later too.) Measured: a 1 ms tick cost a quarter
//! of a local ask's time on a two-core machine in wake-ups alone.
//!
//! # User code
//!
//! The sweeper runs code that is not its own: waking a caller runs the
//! caller's executor, and letting go of a registration may drop the last
//! reference to its slot, and so an answer nobody collected (its `Drop` is
//! the user's). Every deadline in the process depends on this one thread,
//! so:
//! - each wake-up runs inside `catch_unwind`; a panic is logged and the
//!   sweeper goes on;
//! - the sweeper never drops a slot: registrations it is done with go, in
//!   one batch per pass, to a second thread (`actium-deadline-drops`),
//!   which drops each inside `catch_unwind`. A slow `Drop` delays other
//!   drops, never a deadline. (Threads that register drop the answered
//!   registrations they find themselves, outside any lock the sweeper
//!   takes.)
//! - should either thread still exit (a panic outside those, a bug), it is
//!   started again at once, and the sweeper's successor takes over the
//!   deadlines it held.
//!
//! The sweeper uses no runtime, so asks can be awaited from any executor.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::primitives::alarm::{ANY_TIME, Alarm, NEVER};
use crate::primitives::slot::Slot;

/// How often the sweeper looks for long-timeout registrations.
pub(crate) const SLOW_TICK: Duration = Duration::from_millis(50);

/// Timeouts shorter than this get an exact deadline.
pub(crate) const SHORT: Duration = Duration::from_millis(200);

/// Timeouts beyond this (a century) mean "no deadline".
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The sweeper thread's name.
const SWEEPER_THREAD: &str = "actium-deadlines";

/// A pending request whose deadline the sweeper can enforce.
pub(crate) trait Expire: Send + Sync {
    /// Whether it has been answered (or expired) already.
    fn is_done(&self) -> bool;
    /// Completes it with `Expired` unless it is already complete.
    fn expire(&self);
}

impl<T: Send> Expire for Slot<T> {
    fn is_done(&self) -> bool {
        self.is_complete()
    }

    fn expire(&self) {
        Slot::expire(self);
    }
}

struct Registration {
    slot: Arc<dyn Expire>,
    timeout: Duration,
    /// The sweeper's tick count when registered.
    tick: u64,
    /// The exact deadline, for short timeouts.
    deadline: Option<Instant>,
}

type Queue = Arc<Mutex<VecDeque<Registration>>>;

struct Sweeper {
    /// One queue per thread that ever published.
    queues: Mutex<Vec<Queue>>,
    /// For registrations made while a thread's own buffer is being destroyed,
    /// and those a sweeper that panicked held.
    fallback: Queue,
    /// Threads whose buffer holds registrations not yet published: the
    /// sweeper keeps ticking while any does, so that they get published.
    buffering: AtomicUsize,
    /// When the sweeper looks next, in nanoseconds since `epoch`.
    alarm: Alarm,
    epoch: Instant,
    /// The sweeper thread.
    sweeping: Helper,
    /// Registrations the sweeper is done with, for `dropping` to drop.
    discarded: Mutex<Vec<Arc<dyn Expire>>>,
    /// The thread that drops them.
    dropping: Helper,
}

static SWEEPER: OnceLock<Sweeper> = OnceLock::new();

/// Counts the sweeper's passes; registrations are stamped with it. Apart
/// from the sweeper so that [`publish_if_due`] reads it without going
/// through the `OnceLock`.
static TICKS: AtomicU64 = AtomicU64::new(0);

/// The tick of the thread's last publication while its buffer holds
/// registrations back, or [`NOTHING_HELD`]: what [`publish_if_due`] checks
/// per message. A plain `Cell` with no destructor, so reading it costs no
/// thread-local state check, unlike the buffer's `RefCell`.
const NOTHING_HELD: u64 = u64::MAX;
thread_local! {
    static HELD_SINCE: Cell<u64> = const { Cell::new(NOTHING_HELD) };
}

/// A thread's registrations not yet published.
struct Buffer {
    pending: VecDeque<Registration>,
    /// The tick of the last publication.
    published_at: u64,
    /// Whether this thread may hold registrations back (Actium's worker
    /// threads, which publish when they park); others publish at once.
    batching: bool,
    /// Whether this buffer is counted in `Sweeper::buffering`.
    counted: bool,
    queue: Option<Queue>,
}

thread_local! {
    static BUFFER: RefCell<Buffer> = const {
        RefCell::new(Buffer {
            pending: VecDeque::new(),
            published_at: 0,
            batching: false,
            counted: false,
            queue: None,
        })
    };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only queue operations run under these locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sweeper() -> &'static Sweeper {
    SWEEPER.get_or_init(|| Sweeper {
        queues: Mutex::new(Vec::new()),
        fallback: Queue::default(),
        buffering: AtomicUsize::new(0),
        alarm: Alarm::new(),
        epoch: Instant::now(),
        sweeping: Helper::new(SWEEPER_THREAD, sweep),
        discarded: Mutex::new(Vec::new()),
        dropping: Helper::new("actium-deadline-drops", drop_discarded),
    })
}

impl Sweeper {
    /// `instant` in the alarm's unit: nanoseconds since `epoch`, at most
    /// [`ANY_TIME`] (292 years).
    fn nanos(&self, instant: Instant) -> u64 {
        let nanos = instant.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(nanos).map_or(ANY_TIME, |nanos| nanos.min(ANY_TIME))
    }
}

impl Buffer {
    /// Moves unanswered registrations to this thread's shared queue.
    fn publish(&mut self, sweeper: &Sweeper) {
        // Usually none is answered: look before paying for `retain`.
        if self.pending.iter().any(|r| r.slot.is_done()) {
            self.pending.retain(|r| !r.slot.is_done());
        }
        self.published_at = TICKS.load(Ordering::Relaxed);
        if !self.pending.is_empty() {
            let queue = self.queue.get_or_insert_with(|| {
                let queue = Queue::default();
                lock(&sweeper.queues).push(queue.clone());
                queue
            });
            let mut shared = lock(queue);
            // One answered registration leaves from the front per
            // publication, enough for a thread asking in a loop (the
            // sweeper takes the rest); it is dropped once the lock, which
            // the sweeper takes too, is released.
            let answered = match shared.front() {
                Some(front) if front.slot.is_done() => shared.pop_front(),
                _ => None,
            };
            shared.append(&mut self.pending);
            drop(shared);
            drop(answered);
        }
        self.uncount(sweeper);
        self.note_held();
    }

    /// Counts this buffer among those holding registrations back; returns
    /// whether it was not counted yet.
    fn count(&mut self, sweeper: &Sweeper) -> bool {
        if self.counted {
            return false;
        }
        self.counted = true;
        sweeper.buffering.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Says in [`HELD_SINCE`] whether this buffer holds registrations back.
    fn note_held(&self) {
        let held = if self.pending.is_empty() {
            NOTHING_HELD
        } else {
            self.published_at
        };
        let _exiting = HELD_SINCE.try_with(|since| since.set(held));
    }

    fn uncount(&mut self, sweeper: &Sweeper) {
        // Published before uncounted: a sweeper that reads the count
        // after this finds them (see `Alarm`).
        if self.counted && self.pending.is_empty() {
            self.counted = false;
            sweeper.buffering.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // The thread is exiting: hand what it still holds to the sweeper.
        let sweeper = sweeper();
        lock(&sweeper.fallback).append(&mut self.pending);
        self.uncount(sweeper);
    }
}

/// Lets this thread hold registrations back until its next publication
/// (called on Actium's worker threads, which publish when they park).
pub(crate) fn enable_batching() {
    let _exiting = BUFFER.try_with(|buffer| {
        if let Ok(mut buffer) = buffer.try_borrow_mut() {
            buffer.batching = true;
        }
    });
}

/// Publishes this thread's held-back registrations (a worker about to
/// park).
pub(crate) fn publish() {
    let _exiting = BUFFER.try_with(|buffer| {
        if let Ok(mut buffer) = buffer.try_borrow_mut() {
            if !buffer.pending.is_empty() {
                buffer.publish(sweeper());
            }
        }
    });
}

/// Publishes this thread's held-back registrations if the sweeper has
/// ticked since the last publication; cheap enough to call per message
/// (a thread-local read and an atomic load when nothing is due).
#[inline]
pub(crate) fn publish_if_due() {
    let since = HELD_SINCE.with(Cell::get);
    if since != NOTHING_HELD && since != TICKS.load(Ordering::Relaxed) {
        publish_due();
    }
}

#[cold]
#[inline(never)]
fn publish_due() {
    let _exiting = BUFFER.try_with(|buffer| {
        if let Ok(mut buffer) = buffer.try_borrow_mut() {
            if !buffer.pending.is_empty() {
                let sweeper = sweeper();
                if buffer.published_at != TICKS.load(Ordering::Relaxed) {
                    buffer.publish(sweeper);
                }
            }
            buffer.note_held();
        }
    });
}

/// Has `slot` completed with `Expired` unless answered within `timeout`.
pub(crate) fn register(slot: Arc<dyn Expire>, timeout: Duration) {
    if timeout >= FOREVER {
        return;
    }
    let sweeper = sweeper();
    let tick = TICKS.load(Ordering::Relaxed);
    // Short timeouts are few and worth a clock read: an exact deadline.
    let deadline = (timeout < SHORT).then(|| Instant::now() + timeout);
    let mut registration = Some(Registration {
        slot,
        timeout,
        tick,
        deadline,
    });
    let mut held = Held::No;
    let _exiting = BUFFER.try_with(|buffer| {
        let Ok(mut buffer) = buffer.try_borrow_mut() else {
            return;
        };
        // Answered registrations leave from the front, freed here.
        while buffer.pending.front().is_some_and(|r| r.slot.is_done()) {
            buffer.pending.pop_front();
        }
        if let Some(registration) = registration.take() {
            buffer.pending.push_back(registration);
        }
        if deadline.is_some() || !buffer.batching || buffer.published_at != tick {
            buffer.publish(sweeper);
        } else {
            held = if buffer.count(sweeper) {
                Held::First
            } else {
                Held::AmongOthers
            };
            buffer.note_held();
        }
    });
    if let Some(registration) = registration {
        // From a thread-local destructor (or a drop inside `publish`).
        lock(&sweeper.fallback).push_back(registration);
    }
    let wake = match held {
        Held::No => {
            let due = deadline.map_or(ANY_TIME, |deadline| sweeper.nanos(deadline));
            sweeper.alarm.call(due)
        }
        // The sweeper must see this thread counted (see `Alarm::call_held`).
        Held::First => sweeper.alarm.call_held(ANY_TIME),
        // The first of them saw to that, and the count stays up until they
        // are published: the sweeper cannot sleep for good meanwhile.
        Held::AmongOthers => false,
    };
    if wake {
        wake_sweeper(sweeper);
    }
}

/// Whether a registration was held back (long, on a batching thread that
/// published in this tick already).
enum Held {
    /// Published at once.
    No,
    /// Held back, the first since the thread's last publication.
    First,
    /// Held back with others.
    AmongOthers,
}

/// Wakes the sweeper, starting it if it is not running.
fn wake_sweeper(sweeper: &'static Sweeper) {
    if !sweeper.sweeping.unpark(sweeper) {
        // Without the sweeper asks cannot time out; they still get their
        // answers. Let the next registration try again.
        sweeper.alarm.reset();
    }
}

/// One of the sweeper's two threads: started when first needed, and again
/// whenever it has exited.
struct Helper {
    name: &'static str,
    run: fn(&'static Sweeper),
    thread: Mutex<Option<Thread>>,
}

impl Helper {
    const fn new(name: &'static str, run: fn(&'static Sweeper)) -> Self {
        Helper {
            name,
            run,
            thread: Mutex::new(None),
        }
    }

    /// Unparks the thread, starting it if it is not running. Returns false
    /// (and logs why) if it could not be started.
    fn unpark(&'static self, sweeper: &'static Sweeper) -> bool {
        let mut thread = lock(&self.thread);
        if let Some(thread) = &*thread {
            thread.unpark();
            return true;
        }
        let started = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let _restart = Restart {
                    helper: self,
                    sweeper,
                };
                (self.run)(sweeper);
            });
        match started {
            Ok(handle) => {
                *thread = Some(handle.thread().clone());
                true
            }
            Err(error) => {
                tracing::error!(%error, thread = self.name, "could not start a thread of the deadline sweeper; asks may not time out");
                false
            }
        }
    }
}

/// Dropped when a helper thread exits, which only a panic its loop did
/// not contain makes it do (a bug): forgets the thread and starts another.
struct Restart {
    helper: &'static Helper,
    sweeper: &'static Sweeper,
}

impl Drop for Restart {
    fn drop(&mut self) {
        {
            let mut thread = lock(&self.helper.thread);
            let me = std::thread::current().id();
            if thread.as_ref().is_some_and(|thread| thread.id() == me) {
                *thread = None;
            }
        }
        tracing::error!(
            thread = self.helper.name,
            "a thread of the deadline sweeper exited; starting another"
        );
        if std::ptr::eq(self.helper, &self.sweeper.sweeping) {
            wake_sweeper(self.sweeper);
        } else {
            self.helper.unpark(self.sweeper);
        }
    }
}

/// Runs `f`, which runs user code, containing a panic: logged, not spread.
fn contained(what: &'static str, f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        let panic = crate::error::panic_message(&*payload);
        tracing::error!(%panic, "the deadline sweeper contained a panic while {what}");
    }
}

/// The sweeper thread's loop.
fn sweep(sweeper: &'static Sweeper) {
    let mut sweep = Sweep {
        sweeper,
        pending: BinaryHeap::new(),
        adopted: Vec::new(),
        finished: Vec::new(),
    };
    loop {
        sweeper.alarm.look();
        let wake_at = sweep.pass();
        let at = wake_at.map_or(NEVER, |at| sweeper.nanos(at));
        // A registration made during the pass has it look again at once.
        if !sweeper.alarm.sleep_until(at) {
            continue;
        }
        // A registration that needs it sooner unparks it.
        match wake_at {
            Some(at) => std::thread::park_timeout(at.saturating_duration_since(Instant::now())),
            None => std::thread::park(),
        }
    }
}

/// The sweeper's state, handed to its successor if its thread unwinds.
struct Sweep {
    sweeper: &'static Sweeper,
    /// Adopted deadlines, earliest first.
    pending: BinaryHeap<Reverse<Pending>>,
    adopted: Vec<Registration>,
    /// Registrations this pass is done with, for the dropping thread.
    finished: Vec<Arc<dyn Expire>>,
}

impl Sweep {
    /// Adopts what was published, expires what is due, and says when to
    /// look next (`None`: when woken).
    fn pass(&mut self) -> Option<Instant> {
        let sweeper = self.sweeper;
        let tick = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
        // Read before adopting: a thread publishes what it held before it
        // uncounts, so a count read as zero means `adopt` finds it all.
        let buffered = sweeper.buffering.load(Ordering::SeqCst) > 0;
        let waiting = adopt(sweeper, tick, &mut self.adopted, &mut self.finished);
        let now = Instant::now();
        for Registration {
            slot,
            timeout,
            deadline,
            ..
        } in self.adopted.drain(..)
        {
            match deadline.or_else(|| now.checked_add(timeout)) {
                Some(deadline) => self.pending.push(Reverse(Pending { deadline, slot })),
                None => self.finished.push(slot),
            }
        }
        while self
            .pending
            .peek()
            .is_some_and(|Reverse(next)| next.deadline <= now)
        {
            if let Some(Reverse(due)) = self.pending.pop() {
                contained("waking a caller whose ask expired", || due.slot.expire());
                self.finished.push(due.slot);
            }
        }
        if tick % 64 == 0 {
            // Answered requests wait here until their deadline; forget them
            // now and then so memory follows the asks actually pending.
            let mut pending = std::mem::take(&mut self.pending).into_vec();
            let finished = &mut self.finished;
            pending.retain(|Reverse(p)| {
                let done = p.slot.is_done();
                if done {
                    finished.push(p.slot.clone());
                }
                !done
            });
            self.pending = BinaryHeap::from(pending);
        }
        discard(sweeper, &mut self.finished);
        if self.pending.is_empty() && !waiting && !buffered {
            return None;
        }
        let next_tick = now + SLOW_TICK;
        Some(
            self.pending
                .peek()
                .map_or(next_tick, |Reverse(next)| next.deadline.min(next_tick)),
        )
    }
}

impl Drop for Sweep {
    fn drop(&mut self) {
        // Only on unwinding (the loop never ends): the next sweeper, which
        // `Restart` starts, takes over these deadlines.
        let held = self
            .adopted
            .drain(..)
            .chain(
                std::mem::take(&mut self.pending)
                    .into_iter()
                    .map(|Reverse(pending)| Registration {
                        slot: pending.slot,
                        timeout: Duration::ZERO,
                        tick: 0,
                        deadline: Some(pending.deadline),
                    }),
            );
        lock(&self.sweeper.fallback).extend(held);
        lock(&self.sweeper.discarded).append(&mut self.finished);
    }
}

/// Hands `finished` to the dropping thread, so that no `Drop` of a user's
/// answer runs on the sweeper.
fn discard(sweeper: &'static Sweeper, finished: &mut Vec<Arc<dyn Expire>>) {
    if finished.is_empty() {
        return;
    }
    lock(&sweeper.discarded).append(finished);
    if !sweeper.dropping.unpark(sweeper) {
        // No thread to drop them: drop them here, late rather than never.
        drop_each(&mut lock(&sweeper.discarded));
    }
}

/// The dropping thread's loop.
fn drop_discarded(sweeper: &'static Sweeper) {
    let mut batch = Vec::new();
    loop {
        std::mem::swap(&mut batch, &mut *lock(&sweeper.discarded));
        if batch.is_empty() {
            // `discard` unparks after it adds: the token is not lost.
            std::thread::park();
        } else {
            drop_each(&mut batch);
        }
    }
}

fn drop_each(batch: &mut Vec<Arc<dyn Expire>>) {
    for slot in batch.drain(..) {
        contained("dropping an answer nobody collected", move || drop(slot));
    }
}

/// Moves every unanswered registration made before `tick` into `into`, and
/// answered ones into `finished`. Returns whether registrations remain
/// queued. Queues of threads that have exited are forgotten once empty.
fn adopt(
    sweeper: &Sweeper,
    tick: u64,
    into: &mut Vec<Registration>,
    finished: &mut Vec<Arc<dyn Expire>>,
) -> bool {
    let mut waiting = false;
    let mut take = |queue: &mut VecDeque<Registration>| {
        while let Some(front) = queue.front() {
            // Young long-timeout registrations may yet be answered: leave
            // them a tick. Short ones carry their deadline: adopt at once.
            if front.deadline.is_none() && front.tick >= tick - 1 {
                waiting = true;
                break;
            }
            if let Some(registration) = queue.pop_front() {
                if registration.slot.is_done() {
                    finished.push(registration.slot);
                } else {
                    into.push(registration);
                }
            }
        }
    };
    take(&mut lock(&sweeper.fallback));
    lock(&sweeper.queues).retain(|queue| {
        let mut registrations = lock(queue);
        take(&mut registrations);
        // The thread-local holds the other reference while its thread lives.
        Arc::strong_count(queue) > 1 || !registrations.is_empty()
    });
    waiting
}

struct Pending {
    deadline: Instant,
    slot: Arc<dyn Expire>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.deadline.cmp(&other.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::slot::{Outcome, Receiver, channel};
    use std::sync::atomic::AtomicBool;
    use std::task::{Context, Poll, Waker};

    #[test]
    fn an_unanswered_registration_expires_after_its_timeout() {
        let (_answerer, mut receiver) = channel::<u8>();
        let start = Instant::now();
        register(receiver.expiry(), Duration::from_millis(20));
        while !receiver.expiry().is_complete() {
            std::thread::park_timeout(Duration::from_millis(1));
        }
        assert!(start.elapsed() >= Duration::from_millis(20));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
    }

    #[test]
    fn a_long_timeout_expires_too_never_early() {
        let (_answerer, mut receiver) = channel::<u8>();
        let timeout = SHORT + Duration::from_millis(50);
        let start = Instant::now();
        register(receiver.expiry(), timeout);
        while !receiver.expiry().is_complete() {
            std::thread::park_timeout(Duration::from_millis(5));
        }
        assert!(start.elapsed() >= timeout);
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
    }

    #[test]
    fn an_answered_registration_keeps_its_answer() {
        let (answerer, mut receiver) = channel();
        register(receiver.expiry(), Duration::from_millis(1));
        assert!(answerer.complete(Outcome::Value(5_u8)));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(receiver.poll_take(&mut cx), Poll::Ready(Outcome::Value(5)));
    }

    /// Wakes the test's thread.
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// The outcome `receiver` gets within `within` (woken by the slot), if
    /// any.
    fn outcome_within<T>(receiver: &mut Receiver<T>, within: Duration) -> Option<Outcome<T>> {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let end = Instant::now() + within;
        loop {
            if let Poll::Ready(outcome) = receiver.poll_take(&mut cx) {
                return Some(outcome);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            std::thread::park_timeout(left);
        }
    }

    /// Whether `done` holds within `within`, looking every millisecond (for
    /// events nobody can be woken by).
    fn within(within: Duration, done: impl Fn() -> bool) -> bool {
        let end = Instant::now() + within;
        while !done() {
            if Instant::now() >= end {
                return false;
            }
            std::thread::park_timeout(Duration::from_millis(1));
        }
        true
    }

    /// Answers `value` to a request whose caller gave up: the registration
    /// ends up holding the last reference, so the answer is dropped where
    /// the sweeper lets go of it. Registered from a thread of its own,
    /// which exits, so that nothing but the sweeper finds it answered.
    fn uncollected_answer<T: Send + 'static>(value: T) {
        let registering = std::thread::spawn(move || {
            let (answerer, receiver) = channel();
            // Short, so published at once; long enough to be answered
            // before it is due.
            register(receiver.expiry(), Duration::from_millis(100));
            assert!(answerer.complete(Outcome::Value(value)));
        });
        assert!(registering.join().is_ok());
    }

    #[test]
    fn a_panicking_waker_does_not_stop_other_deadlines() {
        struct PanicsWhenWoken;
        impl std::task::Wake for PanicsWhenWoken {
            fn wake(self: Arc<Self>) {
                panic!("this waker panics when woken");
            }
        }
        let (_answerer, mut panicky) = channel::<u8>();
        let waker = Waker::from(Arc::new(PanicsWhenWoken));
        assert!(
            panicky
                .poll_take(&mut Context::from_waker(&waker))
                .is_pending()
        );
        register(panicky.expiry(), Duration::from_millis(1));
        // The expiry completes the slot, then wakes (and panics).
        assert!(within(Duration::from_secs(5), || panicky
            .expiry()
            .is_complete()));
        let (_answerer, mut other) = channel::<u8>();
        register(other.expiry(), Duration::from_millis(20));
        assert!(matches!(
            outcome_within(&mut other, Duration::from_secs(5)),
            Some(Outcome::Expired)
        ));
    }

    #[test]
    fn a_panicking_drop_of_an_uncollected_answer_does_not_stop_other_deadlines() {
        static DROPPED: AtomicBool = AtomicBool::new(false);
        struct PanicsWhenDropped;
        impl Drop for PanicsWhenDropped {
            fn drop(&mut self) {
                DROPPED.store(true, Ordering::SeqCst);
                panic!("this answer panics when dropped");
            }
        }
        uncollected_answer(PanicsWhenDropped);
        assert!(within(Duration::from_secs(5), || DROPPED.load(Ordering::SeqCst)));
        let (_answerer, mut other) = channel::<u8>();
        register(other.expiry(), Duration::from_millis(20));
        assert!(matches!(
            outcome_within(&mut other, Duration::from_secs(5)),
            Some(Outcome::Expired)
        ));
    }

    #[test]
    fn a_slow_drop_of_an_uncollected_answer_does_not_delay_other_deadlines() {
        /// Says when its drop starts, and ends it when released or after
        /// five seconds, saying which.
        struct SlowToDrop {
            started: std::sync::mpsc::Sender<()>,
            release: std::sync::mpsc::Receiver<()>,
            released: std::sync::mpsc::Sender<bool>,
        }
        impl Drop for SlowToDrop {
            fn drop(&mut self) {
                let _ = self.started.send(());
                let released = self.release.recv_timeout(Duration::from_secs(5)).is_ok();
                let _ = self.released.send(released);
            }
        }
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        let (released_tx, released) = std::sync::mpsc::channel();
        uncollected_answer(SlowToDrop {
            started: started_tx,
            release: release_rx,
            released: released_tx,
        });
        assert!(started.recv_timeout(Duration::from_secs(5)).is_ok());
        // The drop is under way until released: another deadline must be
        // registered and fire meanwhile.
        let (_answerer, mut other) = channel::<u8>();
        register(other.expiry(), Duration::from_millis(50));
        let outcome = outcome_within(&mut other, Duration::from_secs(3));
        let _ = release.send(());
        assert!(matches!(outcome, Some(Outcome::Expired)));
        assert_eq!(
            released.recv_timeout(Duration::from_secs(5)),
            Ok(true),
            "the other deadline waited for the slow drop to give up"
        );
    }

    #[test]
    fn a_sweeper_that_panics_is_restarted_with_the_deadlines_it_held() {
        /// Stands for a bug in the sweeper: panics the first time the
        /// sweeper looks at it.
        struct PanicsOnTheSweeper(AtomicBool);
        impl Expire for PanicsOnTheSweeper {
            fn is_done(&self) -> bool {
                let on_sweeper = std::thread::current().name() == Some("actium-deadlines");
                if on_sweeper && !self.0.swap(true, Ordering::SeqCst) {
                    panic!("a bug in the deadline sweeper");
                }
                self.0.load(Ordering::SeqCst)
            }
            fn expire(&self) {}
        }
        let (_answerer, mut held) = channel::<u8>();
        let start = Instant::now();
        let timeout = Duration::from_millis(150);
        register(held.expiry(), timeout);
        register(
            Arc::new(PanicsOnTheSweeper(AtomicBool::new(false))),
            Duration::from_millis(1),
        );
        assert!(matches!(
            outcome_within(&mut held, Duration::from_secs(5)),
            Some(Outcome::Expired)
        ));
        assert!(start.elapsed() >= timeout);
    }
}
