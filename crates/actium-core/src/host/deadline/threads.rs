//! The sweeper's two threads: the one that expires overdue asks and the
//! one that drops what they held, each restarted if it ever panics.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::{Expire, Registration, SLOW_TICK, Sweeper, TICKS, lock, wake_sweeper};
use crate::sync::NEVER;

/// One of the sweeper's two threads: started when first needed, and again
/// whenever it has exited.
pub(crate) struct Helper {
    name: &'static str,
    run: fn(&'static Sweeper),
    thread: Mutex<Option<Thread>>,
}

impl Helper {
    pub(crate) const fn new(name: &'static str, run: fn(&'static Sweeper)) -> Self {
        Helper {
            name,
            run,
            thread: Mutex::new(None),
        }
    }

    /// Unparks the thread, starting it if it is not running. Returns false
    /// (and logs why) if it could not be started.
    pub(crate) fn unpark(&'static self, sweeper: &'static Sweeper) -> bool {
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
        let panic = crate::base::panic_message(&*payload);
        tracing::error!(%panic, "the deadline sweeper contained a panic while {what}");
    }
}

/// The sweeper thread's loop.
pub(super) fn sweep(sweeper: &'static Sweeper) {
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
pub(crate) fn drop_discarded(sweeper: &'static Sweeper) {
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
