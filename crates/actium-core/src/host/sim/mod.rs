//! The simulated host: one thread, virtual time, and a seeded scheduler
//! that decides every interleaving.
//!
//! A [`Simulation`] runs every task of the systems started in it on the
//! thread that drives it. It keeps the tasks that were woken in a ready
//! set and lets the seed choose which runs next; when none is ready, it
//! moves its [`ManualClock`] straight to the next wait that is due. So a
//! run depends on nothing but its program and its seed: two runs with one
//! seed interleave identically, and an hour of timers passes in as long as
//! the handlers take.

mod future;
mod task;
#[cfg(test)]
mod tests;

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::entered::{self, Nested, leave};
use super::manual::ManualClock;
use crate::base::Error;
use task::SimTask;
pub(crate) use task::{Header, Runnable};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Makes a system current on the simulation's thread while one of its
/// tasks runs; the guard it returns undoes that.
pub(crate) type EnterHook = Arc<dyn Fn() -> Box<dyn Any> + Send + Sync>;

/// How the seed picks the next task among those ready to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Exploration {
    /// Uniformly at random, at every step: every interleaving has a
    /// chance, shallow ones the best.
    #[default]
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., 2010): each
    /// task gets a random priority, the highest ready one runs, and at
    /// `depth - 1` random steps among the first `steps` the running task
    /// drops below all others. A bug that needs `depth` ordering
    /// constraints among `n` tasks shows with probability at least
    /// 1 / (n · steps^(depth-1)) per seed, where uniform choice can be
    /// exponentially less likely.
    Pct {
        /// The bug depth to aim for (at least 1).
        depth: u32,
        /// How many scheduling steps a run is expected to take.
        steps: u64,
    },
}

/// A deterministic host for systems: see the module docs.
#[derive(Clone)]
pub(crate) struct Simulation {
    shared: Arc<Shared>,
}

struct Shared {
    seed: u64,
    /// Each wake-up of a task is delayed by up to this much virtual time.
    jitter: Duration,
    /// The ids of recorded messages, counted per simulation.
    messages: AtomicU64,
    /// FNV-1a over every choice and every jump of time: equal for equal
    /// runs.
    digest: AtomicU64,
    clock: ManualClock,
    strategy: Exploration,
    state: Mutex<State>,
}

struct State {
    rng: fastrand::Rng,
    ready: VecDeque<Arc<dyn Runnable>>,
    next_task: u64,
    steps: u64,
    /// PCT's change points, soonest last.
    change_points: Vec<u64>,
    /// PCT's priorities below every initial one, handed out in order.
    next_low: u64,
    /// Every task not known to have finished, for [`Simulation::close`].
    /// By group (system), so that ending one node scans its own tasks only.
    tasks: BTreeMap<u64, Vec<Weak<dyn Runnable>>>,
    next_group: u64,
}

thread_local! {
    /// The simulation this thread is driving, if any.
    static DRIVING: RefCell<Option<Simulation>> = const { RefCell::new(None) };
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Simulation {
    /// A simulation whose every choice comes from `seed`.
    pub(crate) fn new(seed: u64, strategy: Exploration, jitter: Duration) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut change_points = Vec::new();
        if let Exploration::Pct { depth, steps } = strategy {
            for _ in 1..depth.max(1) {
                change_points.push(rng.u64(0..steps.max(1)));
            }
            change_points.sort_unstable_by(|a, b| b.cmp(a));
        }
        Simulation {
            shared: Arc::new(Shared {
                seed,
                jitter,
                messages: AtomicU64::new(1),
                digest: AtomicU64::new(FNV_OFFSET),
                clock: ManualClock::new(),
                strategy,
                state: Mutex::new(State {
                    rng,
                    ready: VecDeque::new(),
                    next_task: 1,
                    steps: 0,
                    change_points,
                    next_low: 1,
                    tasks: BTreeMap::new(),
                    next_group: 0,
                }),
            }),
        }
    }

    /// The simulation's virtual time.
    pub(crate) fn clock(&self) -> &ManualClock {
        &self.shared.clock
    }

    /// The seed every choice comes from.
    pub(crate) fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// The simulation's salt (its seed) and the next message number: what
    /// a recorded message's id is made of.
    pub(crate) fn next_message(&self) -> (u64, u64) {
        let counter = self.shared.messages.fetch_add(1, Ordering::Relaxed);
        (self.shared.seed, counter)
    }

    /// A digest of the run so far: every task the scheduler picked, every
    /// jump of virtual time and every delayed message delivered. Equal
    /// runs have equal digests.
    pub(crate) fn digest(&self) -> u64 {
        self.shared.digest.load(Ordering::SeqCst)
    }

    pub(super) fn mix(&self, value: u64) {
        let mut hash = self.shared.digest.load(Ordering::Relaxed);
        for byte in value.to_le_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
        self.shared.digest.store(hash, Ordering::Relaxed);
    }

    /// A number in `[0, 1)` drawn from the simulation's seed: the 53 bits
    /// an `f64` holds.
    pub(crate) fn chance(&self) -> f64 {
        (self.draw() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number drawn from the simulation's seed.
    pub(crate) fn draw(&self) -> u64 {
        lock(&self.shared.state).rng.u64(..)
    }

    /// The simulation this thread drives, while it drives one.
    pub(crate) fn driving() -> Option<Simulation> {
        DRIVING
            .try_with(|driving| driving.borrow().clone())
            .ok()
            .flatten()
    }

    /// Adds a task, ready to run; `enter` runs around each of its polls.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        group: u64,
        enter: Option<EnterHook>,
    ) -> Arc<dyn Runnable>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut state = lock(&self.shared.state);
        let id = state.next_task;
        state.next_task += 1;
        // Initial priorities sit above every lowered one (PCT).
        let priority = u64::MAX / 2 + state.rng.u64(..u64::MAX / 4);
        let simulation = Arc::downgrade(&self.shared);
        let task: Arc<dyn Runnable> =
            Arc::new(SimTask::new(future, id, priority, enter, simulation));
        state.ready.push_back(task.clone());
        let tasks = state.tasks.entry(group).or_default();
        if tasks.len() == tasks.capacity() {
            tasks.retain(|task| task.strong_count() > 0);
        }
        tasks.push(Arc::downgrade(&task));
        task
    }

    /// A new group of tasks: one system's.
    pub(crate) fn next_group(&self) -> u64 {
        let mut state = lock(&self.shared.state);
        state.next_group += 1;
        state.next_group
    }

    /// Drops the future of every task of `group` at once, running nothing
    /// more of them: a node that crashed.
    pub(crate) fn abort_group(&self, group: u64) {
        // Its messages in flight hold references to its actors.
        self.shared.clock.drop_sends(group);
        let tasks = lock(&self.shared.state)
            .tasks
            .remove(&group)
            .unwrap_or_default();
        for task in tasks.iter().filter_map(Weak::upgrade) {
            task.kill();
        }
    }

    /// Drops every task's future (their wakers hold each other, so they
    /// would otherwise keep each other alive): the end of a simulated
    /// system, as dropping a Tokio runtime drops its tasks.
    pub(crate) fn close(&self) {
        // Messages in flight hold references to actors.
        self.shared.clock.drop_all_sends();
        loop {
            let groups = std::mem::take(&mut lock(&self.shared.state).tasks);
            if groups.is_empty() {
                break;
            }
            for task in groups.values().flatten().filter_map(Weak::upgrade) {
                task.kill();
            }
        }
        lock(&self.shared.state).ready.clear();
    }

    /// Runs the simulation until `main` completes, and returns its output.
    ///
    /// `main` is polled whenever it was woken, before any task; the seed
    /// picks among the tasks. When nothing can run, virtual time jumps to
    /// the next wait that is due.
    ///
    /// # Errors
    ///
    /// [`Error::Stalled`] if nothing can run and nothing is due while
    /// `main` has not completed: it waits for what can never happen.
    pub(crate) fn block_on<F: Future>(&self, main: F) -> Result<F::Output, Error> {
        let _driving = Driving::enter(self);
        let main_woken = Arc::new(Flag(AtomicBool::new(true)));
        let waker = Waker::from(main_woken.clone());
        let mut cx = Context::from_waker(&waker);
        let mut main = std::pin::pin!(main);
        // After `main`: dropped first, so that `main` is dropped outside
        // every system this loop entered.
        let _nested = Nested::begin();
        loop {
            // Looked at before it is cleared: between two steps `main`
            // is seldom woken, and a look is not an atomic write.
            if main_woken.0.load(Ordering::SeqCst) && main_woken.0.swap(false, Ordering::SeqCst) {
                leave();
                if let Poll::Ready(output) = main.as_mut().poll(&mut cx) {
                    return Ok(output);
                }
            }
            if let Some(task) = self.pick() {
                task.run(self);
                continue;
            }
            // `main` runs outside every system (above). Time moves inside
            // the one last entered (by the task polled last, or the last
            // delivery), if any: leaving it here and entering it again for
            // the first delivery cost a boxed guard and two clock swaps
            // per step of time, about 5 % of a Chord run's instructions
            // (`docs/BENCHMARKS.md`). Waking and expiring run no system's
            // code, only destructors (an expired ask's answer nobody
            // collected), which ran inside a system already when a
            // delivery came before them in the step. A delayed message
            // delivered as time moves enters its own system, and leaves
            // it entered for what fires after it and the task polled
            // next.
            if main_woken.0.load(Ordering::SeqCst) {
                continue;
            }
            let clock = &self.shared.clock;
            let advanced = entered::advancing(|| clock.advance_to_next());
            match advanced {
                // Mixed after what it fired: wake-ups draw nothing from the
                // digest, delayed messages' deliveries mix in first, in
                // the order they fire, which is the same in every run.
                Some(by) => self.mix(u64::try_from(by.as_nanos()).unwrap_or(u64::MAX)),
                None => {
                    return Err(Error::Stalled {
                        at: clock.elapsed(),
                    });
                }
            }
        }
    }

    /// Takes the next task to run, as the strategy and the seed choose.
    fn pick(&self) -> Option<Arc<dyn Runnable>> {
        let mut state = lock(&self.shared.state);
        let state = &mut *state;
        if state.ready.is_empty() {
            return None;
        }
        state.steps += 1;
        let index = match self.shared.strategy {
            Exploration::Random => state.rng.usize(..state.ready.len()),
            Exploration::Pct { .. } => highest(&state.ready),
        };
        let task = state.ready.swap_remove_back(index)?;
        let header = task.header();
        header.queued.store(false, Ordering::SeqCst);
        self.mix(header.id);
        Some(task)
    }

    /// PCT: at a change point, the task that just ran drops below all.
    /// Called only under PCT.
    fn lower_if_due(&self, task: &Header) {
        let mut state = lock(&self.shared.state);
        if state
            .change_points
            .last()
            .is_some_and(|at| *at <= state.steps)
        {
            state.change_points.pop();
            let low = state.next_low;
            state.next_low += 1;
            task.priority.store(low, Ordering::SeqCst);
        }
    }
}

/// The index of the ready task with the highest priority (ties: lowest id).
fn highest(ready: &VecDeque<Arc<dyn Runnable>>) -> usize {
    let mut best = 0;
    for (index, task) in ready.iter().enumerate() {
        let (task, other) = (task.header(), ready[best].header());
        let (p, q) = (&task.priority, &other.priority);
        let (p, q) = (p.load(Ordering::Relaxed), q.load(Ordering::Relaxed));
        if p > q || (p == q && task.id < other.id) {
            best = index;
        }
    }
    best
}

/// The main future's waker: a flag the loop checks.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Marks this thread as driving a simulation while it lives.
struct Driving {
    previous: Option<Simulation>,
}

impl Driving {
    fn enter(simulation: &Simulation) -> Self {
        let previous = DRIVING.with(|driving| driving.replace(Some(simulation.clone())));
        Driving { previous }
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _exiting = DRIVING.try_with(|driving| driving.replace(previous));
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("seed", &self.shared.seed)
            .field("strategy", &self.shared.strategy)
            .finish_non_exhaustive()
    }
}
