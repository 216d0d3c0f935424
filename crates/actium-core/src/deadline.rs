//! Deadlines of pending request-replies, enforced by one background thread.
//!
//! Every ask has a deadline, but almost every ask is answered long before
//! it. A Tokio timer per ask costs a timer-wheel insert and removal under a
//! lock, and often a wake-up of the parked timer driver: together more than
//! the whole round trip. Instead:
//!
//! - an ask still waiting after its first poll **registers** its reply slot
//!   and timeout in a queue owned by the calling thread, stamped with the
//!   sweeper's tick count: one uncontended lock, one `Arc` clone, no clock
//!   read. The same thread drops the answered registrations at the head of
//!   its queue as it registers new ones, so a slot is usually freed on the
//!   thread that allocated it.
//! - one process-wide **sweeper** thread ticks every [`TICK`] while
//!   anything is registered. It adopts the registrations at least a tick old
//!   that are still unanswered, gives each a deadline of "now + timeout", and
//!   completes overdue ones with [`Outcome::Expired`], which wakes their
//!   callers. With nothing registered it parks.
//!
//! A deadline fires between `timeout` and `timeout` + 3 [`TICK`]s after the
//! first poll: never early, at most a few milliseconds late.
//!
//! The sweeper uses no runtime, so asks can be awaited from any executor.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::primitives::slot::{Outcome, Slot};

/// How often the sweeper looks while asks are pending.
pub(crate) const TICK: Duration = Duration::from_millis(1);

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
        let _already_answered = self.complete(Outcome::Expired);
    }
}

struct Registration {
    slot: Arc<dyn Expire>,
    timeout: Duration,
    /// The sweeper's tick count when registered.
    tick: u64,
}

type Queue = Arc<Mutex<VecDeque<Registration>>>;

struct Sweeper {
    /// One queue per thread that ever registered.
    queues: Mutex<Vec<Queue>>,
    /// For registrations made while a thread's own queue is being destroyed.
    fallback: Queue,
    /// Counts the sweeper's passes; registrations are stamped with it.
    ticks: AtomicU64,
    idle: AtomicBool,
    thread: OnceLock<Thread>,
}

static SWEEPER: OnceLock<Sweeper> = OnceLock::new();

thread_local! {
    static QUEUE: Queue = new_queue();
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only queue operations run under these locks.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sweeper() -> &'static Sweeper {
    SWEEPER.get_or_init(|| Sweeper {
        queues: Mutex::new(Vec::new()),
        fallback: Queue::default(),
        ticks: AtomicU64::new(0),
        idle: AtomicBool::new(true),
        thread: OnceLock::new(),
    })
}

fn new_queue() -> Queue {
    let queue = Queue::default();
    lock(&sweeper().queues).push(queue.clone());
    queue
}

/// Has `slot` completed with `Expired` unless answered within `timeout`.
pub(crate) fn register(slot: Arc<dyn Expire>, timeout: Duration) {
    if timeout >= FOREVER {
        return;
    }
    let sweeper = sweeper();
    let mut registration = Some(Registration {
        slot,
        timeout,
        tick: sweeper.ticks.load(Ordering::Relaxed),
    });
    let _thread_exiting = QUEUE.try_with(|queue| {
        let mut queue = lock(queue);
        // Answered registrations are dropped here, on the thread that most
        // likely allocated them, rather than by the sweeper.
        while queue.front().is_some_and(|r| r.slot.is_done()) {
            queue.pop_front();
        }
        if let Some(registration) = registration.take() {
            queue.push_back(registration);
        }
    });
    if let Some(registration) = registration {
        // Called from a thread-local destructor: the thread's queue is gone.
        lock(&sweeper.fallback).push_back(registration);
    }
    if sweeper.idle.load(Ordering::SeqCst) && sweeper.idle.swap(false, Ordering::SeqCst) {
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
        let tick = sweeper.ticks.fetch_add(1, Ordering::Relaxed) + 1;
        let waiting = adopt(sweeper, tick, &mut adopted);
        let now = Instant::now();
        for Registration { slot, timeout, .. } in adopted.drain(..) {
            pending.push(Reverse(Pending {
                deadline: now + timeout,
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
        if tick % 256 == 0 {
            // Answered requests wait here until their deadline; forget them
            // now and then so memory follows the asks actually pending.
            pending.retain(|Reverse(p)| !p.slot.is_done());
        }
        if pending.is_empty() && !waiting {
            sweeper.idle.store(true, Ordering::SeqCst);
            // A registration may have arrived after `adopt` looked but before
            // the flag was set; it saw `idle == false` and did not wake us.
            if any_registered(sweeper) {
                sweeper.idle.store(false, Ordering::SeqCst);
                continue;
            }
            std::thread::park();
            sweeper.idle.store(false, Ordering::SeqCst);
        } else {
            std::thread::park_timeout(TICK);
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
            if front.tick >= tick - 1 {
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
    use std::task::{Context, Poll, Waker};

    #[test]
    fn an_unanswered_registration_expires_after_its_timeout() {
        let slot = Arc::new(Slot::<u8>::new());
        let start = Instant::now();
        register(slot.clone(), Duration::from_millis(20));
        while !slot.is_complete() {
            std::thread::park_timeout(Duration::from_millis(1));
        }
        assert!(start.elapsed() >= Duration::from_millis(20));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(slot.poll_take(&mut cx), Poll::Ready(Outcome::Expired));
    }

    #[test]
    fn an_answered_registration_keeps_its_answer() {
        let slot = Arc::new(Slot::new());
        register(slot.clone(), Duration::from_millis(1));
        assert!(slot.complete(Outcome::Value(5_u8)).is_ok());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(slot.poll_take(&mut cx), Poll::Ready(Outcome::Value(5)));
    }
}
