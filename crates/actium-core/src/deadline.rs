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
//!   [`Outcome::Expired`], which wakes their callers. It sleeps until the
//!   earliest deadline it knows or the next [`SLOW_TICK`], whichever comes
//!   first, and parks when nothing is registered anywhere.
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
//! The sweeper uses no runtime, so asks can be awaited from any executor.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::primitives::slot::Slot;

/// How often the sweeper looks for long-timeout registrations.
pub(crate) const SLOW_TICK: Duration = Duration::from_millis(50);

/// Timeouts shorter than this get an exact deadline.
pub(crate) const SHORT: Duration = Duration::from_millis(200);

/// Timeouts beyond this (a century) mean "no deadline".
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

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
    /// For registrations made while a thread's own buffer is being destroyed.
    fallback: Queue,
    /// Threads whose buffer holds registrations not yet published: the
    /// sweeper keeps ticking while any does, so that they get published.
    buffering: AtomicUsize,
    /// When the sweeper will next wake, in nanoseconds since `epoch`
    /// (`u64::MAX` while parked).
    next_wake: AtomicU64,
    epoch: Instant,
    idle: AtomicBool,
    thread: OnceLock<Thread>,
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
        next_wake: AtomicU64::new(u64::MAX),
        epoch: Instant::now(),
        idle: AtomicBool::new(true),
        thread: OnceLock::new(),
    })
}

impl Buffer {
    /// Moves unanswered registrations to this thread's shared queue.
    fn publish(&mut self, sweeper: &Sweeper) {
        self.pending.retain(|r| !r.slot.is_done());
        self.published_at = TICKS.load(Ordering::Relaxed);
        if !self.pending.is_empty() {
            let queue = self.queue.get_or_insert_with(|| {
                let queue = Queue::default();
                lock(&sweeper.queues).push(queue.clone());
                queue
            });
            let mut shared = lock(queue);
            while shared.front().is_some_and(|r| r.slot.is_done()) {
                shared.pop_front();
            }
            shared.append(&mut self.pending);
        }
        self.uncount(sweeper);
        self.note_held();
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
        if !buffer.counted {
            buffer.counted = true;
            sweeper.buffering.fetch_add(1, Ordering::SeqCst);
        }
        if deadline.is_some() || !buffer.batching || buffer.published_at != tick {
            buffer.publish(sweeper);
        } else {
            buffer.note_held();
        }
    });
    if let Some(registration) = registration {
        // From a thread-local destructor (or a drop inside `publish`).
        lock(&sweeper.fallback).push_back(registration);
    }
    let early = deadline.is_some_and(|deadline| {
        let at = deadline.saturating_duration_since(sweeper.epoch).as_nanos();
        at < u128::from(sweeper.next_wake.load(Ordering::SeqCst))
    });
    let idle = sweeper.idle.load(Ordering::SeqCst) && sweeper.idle.swap(false, Ordering::SeqCst);
    if idle || early {
        wake(sweeper);
    }
}

fn wake(sweeper: &'static Sweeper) {
    let thread = sweeper.thread.get_or_init(|| {
        match std::thread::Builder::new()
            .name("actium-deadlines".into())
            .spawn(move || sweep(sweeper))
        {
            Ok(handle) => handle.thread().clone(),
            Err(error) => {
                // Without the sweeper asks cannot time out; they still get
                // their answers. Say so loudly rather than fail the call.
                tracing::error!(%error, "could not start the deadline thread; asks will not time out");
                std::thread::current()
            }
        }
    });
    thread.unpark();
}

/// The sweeper thread's loop.
fn sweep(sweeper: &'static Sweeper) {
    // Adopted deadlines, earliest first.
    let mut pending: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut adopted = Vec::new();
    loop {
        let tick = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
        let waiting = adopt(sweeper, tick, &mut adopted);
        let now = Instant::now();
        for Registration {
            slot,
            timeout,
            deadline,
            ..
        } in adopted.drain(..)
        {
            pending.push(Reverse(Pending {
                deadline: deadline.unwrap_or(now + timeout),
                slot,
            }));
        }
        while let Some(Reverse(next)) = pending.peek() {
            if next.deadline > now {
                break;
            }
            if let Some(Reverse(due)) = pending.pop() {
                due.slot.expire();
            }
        }
        if tick % 64 == 0 {
            // Answered requests wait here until their deadline; forget them
            // now and then so memory follows the asks actually pending.
            pending.retain(|Reverse(p)| !p.slot.is_done());
        }
        let buffered = sweeper.buffering.load(Ordering::SeqCst) > 0;
        if pending.is_empty() && !waiting && !buffered {
            sweeper.next_wake.store(u64::MAX, Ordering::SeqCst);
            sweeper.idle.store(true, Ordering::SeqCst);
            // A registration may have arrived after `adopt` looked but before
            // the flag was set; it saw `idle == false` and did not wake us.
            if any_registered(sweeper) || sweeper.buffering.load(Ordering::SeqCst) > 0 {
                sweeper.idle.store(false, Ordering::SeqCst);
                continue;
            }
            std::thread::park();
            sweeper.idle.store(false, Ordering::SeqCst);
        } else {
            let next_tick = now + SLOW_TICK;
            let wake_at = pending
                .peek()
                .map_or(next_tick, |Reverse(next)| next.deadline.min(next_tick));
            let at = wake_at.saturating_duration_since(sweeper.epoch).as_nanos();
            sweeper
                .next_wake
                .store(u64::try_from(at).unwrap_or(u64::MAX), Ordering::SeqCst);
            // A short deadline registered meanwhile unparks us early.
            std::thread::park_timeout(wake_at.saturating_duration_since(Instant::now()));
        }
    }
}

/// Moves every unanswered registration made before `tick` into `into`, and
/// drops answered ones. Returns whether registrations remain queued. Queues
/// of threads that have exited are forgotten once empty.
fn adopt(sweeper: &Sweeper, tick: u64, into: &mut Vec<Registration>) -> bool {
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
                if !registration.slot.is_done() {
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

fn any_registered(sweeper: &Sweeper) -> bool {
    !lock(&sweeper.fallback).is_empty()
        || lock(&sweeper.queues)
            .iter()
            .any(|queue| !lock(queue).is_empty())
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
    use crate::primitives::slot::{Outcome, channel};
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
}
