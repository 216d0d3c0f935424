//! The deadline sweeper's alarm: when it looks at deadlines next, and how
//! a thread whose new deadline needs it sooner wakes it.
//!
//! The sweeper (see `deadline`) works in passes: it looks at what threads
//! published (queues under locks, and a count of threads holding
//! registrations back), expires what is due, and sleeps until the earliest
//! deadline it knows, its next tick, or for good when nothing is left. A
//! thread that registers a deadline publishes it and then asks the alarm
//! whether the sweeper would look too late ([`Alarm::call`]); at most one
//! caller per sleep is told to wake it.
//!
//! # Protocol
//!
//! One word, `at`, with times in the caller's unit (nanoseconds from an
//! epoch), below `CALLED`:
//! - [`LOOKING`]: the sweeper is in a pass;
//! - `CALLED | d`: a caller whose registration is due at `d` came during
//!   the pass (or woke the sweeper): the sweeper looks again by `d`, at
//!   once if its plan is later; `d` is the earliest such deadline;
//! - any other value: the sweeper sleeps until then, [`NEVER`] for good.
//!
//! The sweeper swaps in `LOOKING` before it looks, and ends a pass with a
//! compare-exchange from `LOOKING` (or a `CALLED | d` its plan meets) to
//! its plan, which fails if a caller needs it sooner. A caller reads `at`
//! after publishing, and calls unless the sweeper will look by the caller's
//! deadline anyway: so a long timeout ([`ANY_TIME`]) registered while the
//! sweeper ticks costs no extra pass, however busy the process. Every write
//! of `at` is a read-modify-write, so a release by one party reaches every
//! later acquire of `at` (release sequences do not break).
//!
//! No lost wake-up: take a caller that published, and the sweeper's look
//! that missed it. If the caller published under a lock the sweeper takes
//! to look, the sweeper took it first, so its swap to `LOOKING` happened
//! before the caller's read of `at`: the caller reads `LOOKING` or a later
//! value, and marks the pass or wakes the sweeper if the plan is too late.
//! If instead the caller published by counting itself in an atomic the
//! sweeper reads after its swap, it reads `at` with a read-modify-write
//! ([`Alarm::call_held`]): if that precedes the swap, the swap acquires it
//! and the count is seen; if it follows, it reads `LOOKING` or later, as
//! above. `loom_tests` checks both; with a plain load in `call_held`, loom
//! finds the sweeper asleep beside a held registration.

use crate::sync::{AtomicU64, Ordering};

/// The sweeper is in a pass.
pub(crate) const LOOKING: u64 = 0;
/// Marks a call during a pass, with the caller's deadline in the other
/// bits.
const CALLED: u64 = 1 << 63;
/// The sweeper sleeps until woken.
pub(crate) const NEVER: u64 = CALLED - 1;
/// A deadline the sweeper need not be woken for while it ticks: only a
/// sweeper asleep for good is woken for it.
pub(crate) const ANY_TIME: u64 = NEVER - 1;

/// When the sweeper looks next (see the module docs).
#[derive(Debug)]
pub(crate) struct Alarm {
    at: AtomicU64,
}

impl Alarm {
    /// An alarm whose sweeper is not running: the first caller is told to
    /// wake (start) it.
    pub(crate) fn new() -> Self {
        Alarm {
            at: AtomicU64::new(NEVER),
        }
    }

    /// The sweeper starts a pass: from here to
    /// [`sleep_until`](Self::sleep_until), callers mark the pass instead of
    /// waking it.
    #[inline]
    pub(crate) fn look(&self) {
        self.at.swap(LOOKING, Ordering::AcqRel);
    }

    /// The sweeper ends a pass, planning to sleep until `plan` (its unit;
    /// [`NEVER`]: until woken). Returns false if a caller that came during
    /// the pass needs it sooner: the sweeper must look again first.
    #[inline]
    pub(crate) fn sleep_until(&self, plan: u64) -> bool {
        let plan = plan.clamp(LOOKING + 1, NEVER);
        let mut current = LOOKING;
        loop {
            match self
                .at
                .compare_exchange(current, plan, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                // A caller due no sooner than the plan is looked at then.
                Err(called) if called & CALLED != 0 && called & !CALLED >= plan => {
                    current = called;
                }
                Err(_) => return false,
            }
        }
    }

    /// After a thread published a registration due at `deadline` (at most
    /// [`ANY_TIME`]) where the sweeper's next look will find it: whether
    /// this caller must wake the sweeper (true for at most one caller per
    /// sleep). Costs one load when the sweeper will look in time.
    #[inline]
    pub(crate) fn call(&self, deadline: u64) -> bool {
        self.call_from(self.at.load(Ordering::Acquire), deadline)
    }

    /// [`call`](Self::call) for a thread that did not publish its
    /// registration but counted itself among threads holding some back, in
    /// an atomic the sweeper reads after [`look`](Self::look): reads `at`
    /// with a read-modify-write, so that either the sweeper's next look
    /// sees the count or this call sees the look.
    #[inline]
    pub(crate) fn call_held(&self, deadline: u64) -> bool {
        self.call_from(self.at.fetch_add(0, Ordering::AcqRel), deadline)
    }

    fn call_from(&self, mut at: u64, deadline: u64) -> bool {
        // Must not reach the `CALLED` bit; not clamped here, on every
        // registration's path: `deadline` keeps its times within it.
        debug_assert!(deadline <= ANY_TIME);
        loop {
            let waking = at != LOOKING && at & CALLED == 0;
            let by = if at & CALLED != 0 { at & !CALLED } else { at };
            // The sweeper looks by `by` anyway (a pass looks again at once).
            if at != LOOKING && deadline >= by {
                return false;
            }
            match self.at.compare_exchange_weak(
                at,
                CALLED | deadline,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                // A sweeper in a pass finds the mark when it ends the pass;
                // a sleeping one is woken by this caller.
                Ok(_) => return waking,
                Err(actual) => at = actual,
            }
        }
    }

    /// The sweeper is gone (it panicked, or could not be started): the
    /// next caller is told to start one.
    pub(crate) fn reset(&self) {
        self.at.swap(NEVER, Ordering::AcqRel);
    }
}

#[cfg(all(test, not(actium_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_call_during_a_pass_makes_the_sweeper_look_again_only_if_it_needs_it_sooner() {
        let alarm = Alarm::new();
        // Not running: the first caller starts it, the next ones need not.
        assert!(alarm.call(ANY_TIME));
        assert!(!alarm.call(ANY_TIME));
        assert!(!alarm.call(5));
        // A long registration during a ticking pass: no second pass.
        alarm.look();
        assert!(!alarm.call(ANY_TIME));
        assert!(alarm.sleep_until(100));
        // ...but one before a sleep for good is looked at first.
        alarm.look();
        assert!(!alarm.call(ANY_TIME));
        assert!(!alarm.sleep_until(NEVER));
        // A deadline before the plan: look again; after it: sleep.
        alarm.look();
        assert!(!alarm.call(150));
        assert!(!alarm.call(50));
        assert!(!alarm.sleep_until(100));
        alarm.look();
        assert!(!alarm.call(150));
        assert!(alarm.sleep_until(100));
        // Asleep until 100: a deadline at 150 waits, one at 50 wakes it,
        // once.
        assert!(!alarm.call(150));
        assert!(alarm.call(50));
        assert!(!alarm.call(20));
    }
}

#[cfg(all(test, actium_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Mutex;
    use loom::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// What the model's sweeper looks at: a queue under a lock, and a count
    /// of threads holding registrations back.
    struct Published {
        queue: Mutex<Vec<u64>>,
        holding: AtomicUsize,
    }

    impl Published {
        fn new() -> Arc<Self> {
            Arc::new(Published {
                queue: Mutex::new(Vec::new()),
                holding: AtomicUsize::new(0),
            })
        }
    }

    /// How a pass of the model's sweeper ends.
    #[derive(Clone, Copy)]
    enum Sleep {
        /// Sleeps until the plan, and its time runs out (no park).
        Elapses(u64),
        /// Sleeps until the plan, which is later than anything the model's
        /// callers need: it must be woken (it parks).
        Past(u64),
    }

    /// The sweeper's loop as `deadline` runs it: it looks (the count
    /// first, then the queue) until it has seen `want` registrations, a
    /// count above zero standing for one, ending its passes as `plans` say
    /// (the last one over and over). A lost wake-up leaves it parked for
    /// good, which loom reports as a deadlock. Returns how often it parked.
    fn sweeper(alarm: &Alarm, published: &Published, plans: &[Sleep], want: usize) -> usize {
        let (mut seen, mut passes, mut sleeps) = (0, 0, 0);
        loop {
            alarm.look();
            let held = published.holding.load(Ordering::SeqCst) > 0;
            let mut queue = published.queue.lock().unwrap_or_else(|e| e.into_inner());
            seen += queue.len();
            queue.clear();
            drop(queue);
            if seen + usize::from(held) >= want {
                return sleeps;
            }
            let plan = plans[passes.min(plans.len() - 1)];
            passes += 1;
            match plan {
                Sleep::Elapses(at) => {
                    alarm.sleep_until(at);
                }
                Sleep::Past(at) => {
                    if alarm.sleep_until(at) {
                        sleeps += 1;
                        loom::thread::park();
                    }
                }
            }
        }
    }

    /// Publishes a registration due at `at` under the queue's lock, and
    /// calls the sweeper; returns whether this call woke it.
    fn publish(
        alarm: &Alarm,
        published: &Published,
        sweeper: &loom::thread::Thread,
        at: u64,
    ) -> bool {
        published
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(at);
        let wake = alarm.call(at);
        if wake {
            sweeper.unpark();
        }
        wake
    }

    fn spawn_sweeper(
        alarm: &Arc<Alarm>,
        published: &Arc<Published>,
        plans: &'static [Sleep],
        want: usize,
    ) -> loom::thread::JoinHandle<usize> {
        let (alarm, published) = (alarm.clone(), published.clone());
        loom::thread::spawn(move || sweeper(&alarm, &published, plans, want))
    }

    /// A sweeper that ticks once (something else was pending), then has
    /// nothing left and sleeps for good.
    const TICK_THEN_SLEEP: &[Sleep] = &[Sleep::Elapses(100), Sleep::Past(NEVER)];

    /// A registration published (under the queue's lock) at any point of
    /// the sweeper's passes is seen before it sleeps for good, or wakes it.
    #[test]
    fn a_registration_published_during_a_pass_is_never_slept_beside() {
        loom::model(|| {
            let (alarm, published) = (Arc::new(Alarm::new()), Published::new());
            let sweeper = spawn_sweeper(&alarm, &published, TICK_THEN_SLEEP, 1);
            publish(&alarm, &published, sweeper.thread(), ANY_TIME);
            sweeper.join().expect("sweeper");
        });
    }

    /// A thread that holds its registration back and only counts itself
    /// keeps the sweeper from sleeping for good, even when the plan it
    /// reads is a tick the sweeper has already passed.
    #[test]
    fn a_held_registration_keeps_the_sweeper_looking() {
        loom::model(|| {
            let (alarm, published) = (Arc::new(Alarm::new()), Published::new());
            let sweeper = spawn_sweeper(&alarm, &published, TICK_THEN_SLEEP, 1);
            published.holding.fetch_add(1, Ordering::SeqCst);
            if alarm.call_held(ANY_TIME) {
                sweeper.thread().unpark();
            }
            sweeper.join().expect("sweeper");
        });
    }

    /// A deadline earlier than the sweeper's planned wake-up wakes it (the
    /// model's sweeper sleeps until woken, standing for a sleep until its
    /// plan, later than the deadline).
    #[test]
    fn an_earlier_deadline_wakes_a_sweeper_that_plans_to_sleep_longer() {
        loom::model(|| {
            let (alarm, published) = (Arc::new(Alarm::new()), Published::new());
            let sweeper = spawn_sweeper(&alarm, &published, &[Sleep::Past(100)], 1);
            publish(&alarm, &published, sweeper.thread(), 50);
            sweeper.join().expect("sweeper");
        });
    }

    /// Two threads publish at once: the sweeper sees both, and is woken at
    /// most once per sleep (plus once to start it: the alarm starts as if
    /// it slept for good).
    #[test]
    fn concurrent_callers_wake_the_sweeper_at_most_once_per_sleep() {
        loom::model(|| {
            let (alarm, published) = (Arc::new(Alarm::new()), Published::new());
            let sweeper = spawn_sweeper(&alarm, &published, &[Sleep::Past(NEVER)], 2);
            let other = {
                let (alarm, published) = (alarm.clone(), published.clone());
                let thread = sweeper.thread().clone();
                loom::thread::spawn(move || publish(&alarm, &published, &thread, ANY_TIME))
            };
            let woke = publish(&alarm, &published, sweeper.thread(), ANY_TIME);
            let other_woke = other.join().expect("other");
            let sleeps = sweeper.join().expect("sweeper");
            assert!(usize::from(woke) + usize::from(other_woke) <= sleeps + 1);
        });
    }
}
