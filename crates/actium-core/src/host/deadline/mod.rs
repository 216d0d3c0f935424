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
//!   between the messages an actor loop handles. Only threads that park
//!   hold registrations back (a worker starts at its first park): threads
//!   outside Actium's runtimes, the runtimes' blocking pools (work given
//!   to them by `actium::blocking`), and a worker from the moment it runs
//!   a `blocking` method or `Ask::wait` until it parks again as a worker
//!   ([`stop_batching`]) publish at once.
//! - one process-wide **sweeper** thread adopts published registrations,
//!   gives each a deadline, and completes overdue ones with
//!   [`Outcome::Expired`](crate::sync::Outcome::Expired), which
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

#[cfg(test)]
mod tests;
mod threads;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use threads::{Helper, drop_discarded, sweep};

use crate::sync::{ANY_TIME, Alarm, Slot};

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
            // Short registrations carry their deadline and go to the front:
            // the sweeper adopts from the front and stops at the first
            // young long one, which would otherwise hold a short one behind
            // it for a tick (about 50 ms late).
            for registration in self.pending.drain(..) {
                if registration.deadline.is_some() {
                    shared.push_front(registration);
                } else {
                    shared.push_back(registration);
                }
            }
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

/// Lets this thread hold registrations back until its next publication,
/// as a worker does after it parks ([`parking`]): for the
/// instruction-count probe, which measures an ask as a worker makes it.
#[cfg(feature = "bench-probe")]
pub(crate) fn enable_batching() {
    update(false, Some(true));
}

/// On this thread's buffer, unless it is in use or gone (the thread is
/// exiting): publishes what it holds back if `publish`, and sets whether
/// it holds registrations back from now on if `batching` says.
fn update(publish: bool, batching: Option<bool>) {
    let _exiting = BUFFER.try_with(|buffer| {
        if let Ok(mut buffer) = buffer.try_borrow_mut() {
            if let Some(batching) = batching {
                buffer.batching = batching;
            }
            if publish && !buffer.pending.is_empty() {
                buffer.publish(sweeper());
            }
        }
    });
}

/// A worker about to park: publishes its held-back registrations, and from
/// now on holds registrations back until it parks again. Only workers
/// park, so the threads of a runtime's blocking pool, which may block in
/// an ask by hand (`Handle::block_on`) and never park, publish each
/// registration at once: held back there, a long deadline would wait for
/// a publication that never comes, and never fire.
pub(crate) fn parking() {
    update(true, Some(true));
}

/// This thread publishes what it held back and, until it next parks in
/// the runtime as a worker ([`parking`]), every registration at once, as a
/// thread that never parks does: for a worker lent to blocking code
/// (`block_in_place`: a `blocking` method's body, `Ask::wait`), which may
/// wait for an answer by hand (`Handle::block_on`,
/// `futures::executor::block_on`) without parking in the runtime, so that
/// a registration held back there would wait for it, and its deadline
/// would not fire.
///
/// Also called at the start of blocking work on the pool
/// (`Executor::spawn_blocking`), whose thread may be such a former worker.
///
/// Not undone when the blocking code returns: Tokio may have moved the
/// worker's core to another thread meanwhile, and this thread then goes on
/// as one of the blocking pool's, which does not park as a worker until a
/// later `block_in_place` gives it a core again. A thread that is (again)
/// a worker holds registrations back from its next park.
pub(crate) fn stop_batching() {
    update(true, Some(false));
}

/// Publishes this thread's held-back registrations (a thread about to
/// block).
pub(crate) fn publish() {
    update(true, None);
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
