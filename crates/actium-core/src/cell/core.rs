//! The core of an actor cell: what an actor's references and its running
//! loop share, without the actor's type (the typed `Cell<A>`, which adds
//! the mailbox, is in `actor/cell.rs`).
//!
//! A cell holds the mailbox and the actor's lifecycle: its exit reason once
//! it has one, who waits for it, and its relations — links, monitors,
//! registered names, its supervisor. Relations are allocated on first use,
//! so an actor that has none pays one pointer for them.
//!
//! References hold the cell through an `Arc`; the system's actor table
//! holds it (as an [`ErasedCell`]) until the actor exits, so an actor lives
//! until it stops, whether or not anyone still holds a reference (as in
//! Erlang and Akka).

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::relations::{Relations, add_link_once};
use crate::base::{ActorId, ActorLabel, Exit, ExitReason};
use crate::cell::SystemShared;

/// The parts of a cell that do not depend on the actor's type.
pub(crate) struct CellCore {
    pub(crate) label: ActorLabel,
    pub(crate) system: Arc<SystemShared>,
    traps_exits: AtomicBool,
    /// What the loop runs now: see [`Doing`]. Written by the loop before
    /// each message (one relaxed store), read only by a shutdown that has
    /// to say what it waits for.
    doing: AtomicU16,
    lifecycle: Mutex<Lifecycle>,
}

/// What an actor's loop is running, as [`CellCore`] keeps it: a method's
/// index in `Actor::METHODS` plus one, or one of these.
pub(crate) struct Doing;

impl Doing {
    /// Nothing known (waiting for a message, or an actor without methods).
    pub(crate) const NOTHING: u16 = 0;
    /// The `on_start` hook.
    pub(crate) const STARTING: u16 = u16::MAX;
    /// The `on_stop` hook.
    pub(crate) const STOPPING: u16 = u16::MAX - 1;
    /// An `on_exit` or `on_down` hook.
    pub(crate) const SIGNAL: u16 = u16::MAX - 2;

    /// The marker for method `index` of `Actor::METHODS`.
    #[inline]
    pub(crate) fn method(index: u16) -> u16 {
        index.saturating_add(1).min(Self::SIGNAL - 1)
    }

    /// What `doing` says, in words, given the actor's method names.
    pub(crate) fn describe(doing: u16, methods: &'static [&'static str]) -> Option<&'static str> {
        match doing {
            Self::NOTHING => None,
            Self::STARTING => Some("on_start"),
            Self::STOPPING => Some("on_stop"),
            Self::SIGNAL => Some("a signal hook"),
            index => methods.get(usize::from(index - 1)).copied(),
        }
    }
}

pub(crate) struct Lifecycle {
    pub(crate) phase: Phase,
    /// Whether the current incarnation got past `on_start`; tracked for
    /// supervised children, whose supervisor starts them one at a time.
    pub(crate) started: bool,
    /// Between the phase becoming `Exited` and the end of what exiting
    /// does (the name freed, links and monitors fired): waiting for the
    /// exit is not over yet.
    pub(crate) settling: bool,
    pub(crate) relations: Option<Box<Relations>>,
}

pub(crate) enum Phase {
    Running {
        /// The reason of the first stop request (a kill overrides it).
        requested: Option<ExitReason>,
    },
    /// An incarnation ended; its supervisor decides what comes next.
    /// Boxed: rare, and it would double every cell's lifecycle.
    Deciding(Box<Deciding>),
    Exited(ExitReason),
}

pub(crate) struct Deciding {
    /// Why the incarnation ended.
    pub(crate) ended: ExitReason,
    pub(crate) decision: Option<Decision>,
}

/// A supervisor's verdict on an ended incarnation.
#[derive(Debug, Clone)]
pub(crate) enum Decision {
    Restart,
    Exit(ExitReason),
}

impl CellCore {
    pub(crate) fn new(label: ActorLabel, system: Arc<SystemShared>) -> Self {
        CellCore {
            label,
            system,
            traps_exits: AtomicBool::new(false),
            doing: AtomicU16::new(Doing::NOTHING),
            lifecycle: Mutex::new(Lifecycle {
                phase: Phase::Running { requested: None },
                started: false,
                settling: false,
                relations: None,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Lifecycle> {
        // Only plain field updates run under this lock.
        self.lifecycle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn relations(lifecycle: &mut Lifecycle) -> &mut Relations {
        lifecycle.relations.get_or_insert_with(Box::default)
    }

    pub(crate) fn id(&self) -> ActorId {
        self.label.id()
    }

    /// Notes what the loop runs now (a [`Doing`] value).
    #[inline]
    pub(crate) fn set_doing(&self, doing: u16) {
        self.doing.store(doing, Ordering::Relaxed);
    }

    pub(crate) fn doing(&self) -> u16 {
        self.doing.load(Ordering::Relaxed)
    }

    pub(crate) fn traps_exits(&self) -> bool {
        self.traps_exits.load(Ordering::Acquire)
    }

    pub(crate) fn set_trap_exits(&self, trap: bool) {
        self.traps_exits.store(trap, Ordering::Release);
    }

    /// Records a stop request; returns whether the actor still runs.
    pub(crate) fn record_stop(&self, reason: ExitReason, overriding: bool) -> bool {
        match &mut self.lock().phase {
            Phase::Running { requested } => {
                if overriding || requested.is_none() {
                    *requested = Some(reason);
                }
                true
            }
            Phase::Deciding(deciding) => {
                // A decision already made stands: the supervisor that ended
                // this actor named its reason.
                deciding.decision.get_or_insert(Decision::Exit(reason));
                true
            }
            Phase::Exited(_) => false,
        }
    }

    /// The reason of the pending stop request, for the loop that honours it.
    pub(crate) fn requested_reason(&self) -> ExitReason {
        match &self.lock().phase {
            Phase::Running {
                requested: Some(reason),
            } => reason.clone(),
            Phase::Deciding(deciding) => match &deciding.decision {
                Some(Decision::Exit(reason)) => reason.clone(),
                _ => ExitReason::Stopped,
            },
            Phase::Exited(reason) => reason.clone(),
            Phase::Running { requested: None } => ExitReason::Stopped,
        }
    }

    /// The exit reason, or `None` while the actor runs (or restarts).
    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        match &self.lock().phase {
            Phase::Exited(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    /// Resolves with the exit reason once the actor has exited for good.
    /// `key` is the waiter's place among the waiters: pass
    /// [`forget_waiter`](Self::forget_waiter) what it holds when giving up.
    pub(crate) fn poll_exit(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<u64>,
    ) -> Poll<ExitReason> {
        let mut lifecycle = self.lock();
        if let Phase::Exited(reason) = &lifecycle.phase {
            // Exited, but its name may still be held and its links and
            // monitors unfired: `exited` wakes this waiter once they are.
            if !lifecycle.settling {
                return Poll::Ready(reason.clone());
            }
        }
        let replaced = Self::wait(&mut lifecycle, cx, key);
        drop(lifecycle);
        drop(replaced);
        Poll::Pending
    }

    /// Removes a waiter that gave up (its future was dropped before the
    /// event), so that its waker, and whatever the waker keeps alive, does
    /// not stay until the actor exits.
    pub(crate) fn forget_waiter(&self, key: u64) {
        let removed = {
            let mut lifecycle = self.lock();
            let Some(relations) = lifecycle.relations.as_mut() else {
                return;
            };
            let at = relations.waiters.iter().position(|(k, _)| *k == key);
            at.map(|at| relations.waiters.swap_remove(at))
        };
        // The waker is dropped here, outside the lock: dropping it may run
        // code of the executor that made it.
        drop(removed);
    }

    /// Ends an incarnation of a supervised actor: fires its links and
    /// monitors as an exit would (the supervisor hears of it through its
    /// link), then waits for the supervisor's decision. Does nothing if the
    /// actor has already exited for good (its supervisor gave up on it: see
    /// [`abandon`](ErasedCell::abandon)).
    pub(crate) fn incarnation_ended(&self, reason: &ExitReason) {
        let (links, watchers, monitoring, waiters, supervisor) = {
            let mut lifecycle = self.lock();
            if matches!(lifecycle.phase, Phase::Exited(_)) {
                return;
            }
            // As in Erlang, the supervisor decides about every exit of its
            // child, whatever ended it; stop requests from now on mean "exit".
            lifecycle.phase = Phase::Deciding(Box::new(Deciding {
                ended: reason.clone(),
                decision: None,
            }));
            lifecycle.started = false;
            let relations = Self::relations(&mut lifecycle);
            let mut links = std::mem::take(&mut relations.links);
            let supervisor = relations.supervisor.clone();
            if let Some(supervisor) = &supervisor {
                // The supervisor hears of every incarnation's end, and stays
                // linked to the next one.
                add_link_once(&mut links, supervisor.clone());
                relations.links.push(supervisor.clone());
            }
            (
                links,
                std::mem::take(&mut relations.watchers),
                std::mem::take(&mut relations.monitoring),
                std::mem::take(&mut relations.waiters),
                supervisor,
            )
        };
        // The next incarnation is linked to its supervisor again; everyone
        // else linked to or watching this one hears it ended, and what this
        // one monitored it monitors no more (the next starts afresh).
        let keep = supervisor.as_ref().map(|s| s.core().id());
        self.notify(links, watchers, reason, keep, keep);
        Self::drop_monitors(monitoring);
        for (_, waker) in waiters {
            waker.wake();
        }
    }

    /// Resolves once the current incarnation has ended (or the actor has
    /// exited): what a supervisor waits for after ending one.
    pub(crate) fn poll_incarnation_end(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<u64>,
    ) -> Poll<()> {
        let mut lifecycle = self.lock();
        if !matches!(lifecycle.phase, Phase::Running { .. }) {
            return Poll::Ready(());
        }
        let replaced = Self::wait(&mut lifecycle, cx, key);
        drop(lifecycle);
        drop(replaced);
        Poll::Pending
    }

    /// Keeps `cx`'s waker under `key` (a new key if it has none yet, or if
    /// its entry was taken by a wake-up).
    ///
    /// Returns the waker it replaced, for the caller to drop once the lock
    /// is released (dropping a waker may run the executor's code, which may
    /// come back to this cell).
    #[must_use = "drop the replaced waker after releasing the lock"]
    fn wait(
        lifecycle: &mut Lifecycle,
        cx: &mut Context<'_>,
        key: &mut Option<u64>,
    ) -> Option<Waker> {
        let relations = Self::relations(lifecycle);
        if let Some(key) = *key {
            if let Some((_, waker)) = relations.waiters.iter_mut().find(|(k, _)| *k == key) {
                if waker.will_wake(cx.waker()) {
                    return None;
                }
                return Some(std::mem::replace(waker, cx.waker().clone()));
            }
        }
        // Process-wide keys: a stale key can never name another waiter,
        // and cells pay nothing for them.
        static NEXT_WAITER: AtomicU64 = AtomicU64::new(0);
        let next = NEXT_WAITER.fetch_add(1, Ordering::Relaxed);
        relations.waiters.push((next, cx.waker().clone()));
        *key = Some(next);
        None
    }

    /// Records that the current incarnation got past `on_start`, and wakes
    /// the supervisor waiting for it.
    pub(crate) fn mark_started(&self) {
        let waiters = {
            let mut lifecycle = self.lock();
            lifecycle.started = true;
            lifecycle
                .relations
                .as_mut()
                .map(|r| std::mem::take(&mut r.waiters))
        };
        for (_, waker) in waiters.into_iter().flatten() {
            waker.wake();
        }
    }

    /// Resolves once the current incarnation has started (got past
    /// `on_start`), or with the reason it ended before it did.
    pub(crate) fn poll_started(
        &self,
        cx: &mut Context<'_>,
        key: &mut Option<u64>,
    ) -> Poll<Result<(), ExitReason>> {
        let mut lifecycle = self.lock();
        if lifecycle.started {
            return Poll::Ready(Ok(()));
        }
        match &lifecycle.phase {
            // Running, or restarting as soon as the loop takes the decision.
            Phase::Running { .. } => {}
            Phase::Deciding(deciding) if matches!(deciding.decision, Some(Decision::Restart)) => {}
            Phase::Deciding(deciding) => return Poll::Ready(Err(deciding.ended.clone())),
            Phase::Exited(reason) => return Poll::Ready(Err(reason.clone())),
        }
        let replaced = Self::wait(&mut lifecycle, cx, key);
        drop(lifecycle);
        drop(replaced);
        Poll::Pending
    }

    /// Whether an incarnation runs (neither ended nor exited).
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.lock().phase, Phase::Running { .. })
    }

    /// Why the last incarnation ended, while nobody has decided about it
    /// yet.
    pub(crate) fn undecided_reason(&self) -> Option<ExitReason> {
        match &self.lock().phase {
            Phase::Deciding(deciding) if deciding.decision.is_none() => {
                Some(deciding.ended.clone())
            }
            _ => None,
        }
    }

    /// Asks a running incarnation to end with `reason` (a kill's overrides
    /// an earlier request); does nothing when it has already ended (then its
    /// supervisor is about to decide, and a stop request must not pre-empt
    /// that decision).
    pub(crate) fn end_running_incarnation(&self, reason: ExitReason, overriding: bool) -> bool {
        match &mut self.lock().phase {
            Phase::Running { requested } => {
                if overriding || requested.is_none() {
                    *requested = Some(reason);
                }
                true
            }
            _ => false,
        }
    }

    /// Delivers a supervisor's decision to the waiting loop.
    pub(crate) fn decide(&self, verdict: Decision) {
        let waker = {
            let mut lifecycle = self.lock();
            match &mut lifecycle.phase {
                Phase::Deciding(deciding) if deciding.decision.is_none() => {
                    deciding.decision = Some(verdict);
                }
                _ => return,
            }
            lifecycle.relations.as_mut().and_then(|r| r.deciding.take())
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Decides that an ended incarnation is the last, with the reason it
    /// ended with: a crashed child that is not restarted keeps its crash
    /// as its exit reason.
    pub(crate) fn conclude(&self) {
        let ended = match &self.lock().phase {
            Phase::Deciding(deciding) => deciding.ended.clone(),
            _ => return,
        };
        self.decide(Decision::Exit(ended));
    }

    /// Resolves with the supervisor's decision.
    pub(crate) fn poll_decision(&self, cx: &mut Context<'_>) -> Poll<Decision> {
        let mut lifecycle = self.lock();
        let decision = match &lifecycle.phase {
            Phase::Deciding(deciding) => deciding.decision.clone(),
            // Abandoned by its supervisor meanwhile: nothing to decide.
            Phase::Exited(reason) => Some(Decision::Exit(reason.clone())),
            Phase::Running { .. } => None,
        };
        if let Some(decision) = decision {
            if let Decision::Restart = decision {
                lifecycle.phase = Phase::Running { requested: None };
                lifecycle.started = false;
            }
            return Poll::Ready(decision);
        }
        Self::relations(&mut lifecycle).deciding = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Marks a stand-in that never ran (`ExitedCell`) as exited: nothing
    /// links to or waits for it yet, and no actor ended to be recorded.
    pub(crate) fn born_exited(&self, reason: ExitReason) {
        self.lock().phase = Phase::Exited(reason);
    }

    /// Marks the actor exited for good, wakes everyone waiting, fires links
    /// and monitors, removes the monitors it held, drops its name, and
    /// removes it from its system. Only the first call does anything: the
    /// loop calls it once when it ends, and a supervisor may have called it
    /// before, abandoning a child that would not stop.
    pub(crate) fn exited(&self, reason: ExitReason) {
        let relations = {
            let mut lifecycle = self.lock();
            if matches!(lifecycle.phase, Phase::Exited(_)) {
                return;
            }
            lifecycle.phase = Phase::Exited(reason.clone());
            lifecycle.settling = true;
            lifecycle.relations.take()
        };
        crate::cell::stopped(self, &reason);
        let mut waiting = Vec::new();
        if let Some(relations) = relations {
            let Relations {
                waiters,
                links,
                watchers,
                monitoring,
                name,
                supervisor,
                ..
            } = *relations;
            if let Some(name) = &name {
                self.system.registry.remove_if(name, self.id());
            }
            // The supervisor is linked too; make sure it hears of the exit.
            let mut links = links;
            let supervisor_id = supervisor.as_ref().map(|s| s.core().id());
            if let Some(supervisor) = supervisor {
                add_link_once(&mut links, supervisor);
            }
            self.notify(links, watchers, &reason, None, supervisor_id);
            Self::drop_monitors(monitoring);
            waiting = waiters;
        }
        // The exit is over: its name is free and its links and monitors
        // have fired. Whoever began waiting meanwhile waits in relations
        // made afresh.
        let late = {
            let mut lifecycle = self.lock();
            lifecycle.settling = false;
            lifecycle.relations.take()
        };
        for (_, waker) in waiting
            .into_iter()
            .chain(late.into_iter().flat_map(|late| late.waiters))
        {
            waker.wake();
        }
        self.system.forget(self.id());
    }
}

/// Adds `cell` to `links` unless it is there already: a link is one link,
/// however often it is made (`link/1` is idempotent).
/// Drops what an actor leaves behind — the messages still queued when its
/// mailbox closes (their callers are answered `ActorStopped` as they go),
/// or its state — where a panic in a user `Drop` must not take the loop or
/// the runtime down with it: the panic is logged and the rest still dropped.
pub(crate) fn drop_contained<T>(leftover: T, actor: ActorLabel, what: &'static str) {
    if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(leftover)))
    {
        tracing::error!(
            %actor,
            message = %crate::base::panic_message(&*payload),
            "a Drop of {what} panicked"
        );
    }
}

/// A wait on a cell's lifecycle that removes its waker when dropped, so a
/// supervisor that stops waiting for a child leaves nothing behind.
pub(crate) struct Waiter<'a> {
    core: &'a CellCore,
    key: Option<u64>,
}

impl<'a> Waiter<'a> {
    pub(crate) fn new(core: &'a CellCore) -> Self {
        Waiter { core, key: None }
    }

    /// See [`CellCore::poll_started`].
    pub(crate) fn poll_started(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitReason>> {
        self.core.poll_started(cx, &mut self.key)
    }

    /// See [`CellCore::poll_incarnation_end`].
    pub(crate) fn poll_incarnation_end(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.core.poll_incarnation_end(cx, &mut self.key)
    }

    /// See [`CellCore::poll_exit`].
    pub(crate) fn poll_exit(&mut self, cx: &mut Context<'_>) -> Poll<ExitReason> {
        self.core.poll_exit(cx, &mut self.key)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.core.forget_waiter(key);
        }
    }
}

impl CellCore {
    /// If `exit` is this actor's supervisor's and the actor waits for its
    /// decision, makes the supervisor's reason the decision.
    pub(crate) fn supervisor_gone(&self, exit: &Exit) {
        let waker = {
            let mut lifecycle = self.lock();
            let Lifecycle {
                phase, relations, ..
            } = &mut *lifecycle;
            let (Phase::Deciding(deciding), Some(relations)) = (phase, relations) else {
                return;
            };
            let from_supervisor = relations
                .supervisor
                .as_ref()
                .is_some_and(|s| s.core().id() == exit.actor.id());
            if !from_supervisor || deciding.decision.is_some() {
                return;
            }
            deciding.decision = Some(Decision::Exit(exit.reason.clone()));
            relations.deciding.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) fn wake_decision(&self) {
        let waker = self
            .lock()
            .relations
            .as_mut()
            .and_then(|r| r.deciding.take());
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
