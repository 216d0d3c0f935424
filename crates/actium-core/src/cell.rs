//! The actor cell: what an actor's references and its running loop share.
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

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::actor::Actor;
use crate::exit::ExitReason;
use crate::id::{ActorId, ActorLabel};
use crate::mailbox::{Mailbox, control};
use crate::observe::EventKind;
use crate::signal::{Down, Exit, MonitorRef, Signal};
use crate::system::SystemShared;

pub(crate) struct Cell<A: Actor> {
    pub(crate) core: CellCore,
    pub(crate) mailbox: Mailbox<A::Msg>,
}

impl<A: Actor> Cell<A> {
    pub(crate) fn new(
        label: ActorLabel,
        system: Arc<SystemShared>,
        capacity: Option<NonZeroUsize>,
    ) -> Self {
        Cell {
            core: CellCore::new(label, system),
            mailbox: Mailbox::new(capacity),
        }
    }
}

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

struct Lifecycle {
    phase: Phase,
    /// Whether the current incarnation got past `on_start`; tracked for
    /// supervised children, whose supervisor starts them one at a time.
    started: bool,
    relations: Option<Box<Relations>>,
}

enum Phase {
    Running {
        /// The reason of the first stop request (a kill overrides it).
        requested: Option<ExitReason>,
    },
    /// An incarnation ended; its supervisor decides what comes next.
    /// Boxed: rare, and it would double every cell's lifecycle.
    Deciding(Box<Deciding>),
    Exited(ExitReason),
}

struct Deciding {
    /// Why the incarnation ended.
    ended: ExitReason,
    decision: Option<Decision>,
}

/// A supervisor's verdict on an ended incarnation.
#[derive(Debug, Clone)]
pub(crate) enum Decision {
    Restart,
    Exit(ExitReason),
}

#[derive(Default)]
struct Relations {
    /// Tasks waiting for the final exit (or a supervisor for an
    /// incarnation's start or end), each under its own key so that a wait
    /// given up on removes its waker (see [`Waiter`]).
    waiters: Vec<(u64, Waker)>,
    /// Linked actors (links are symmetric: each side lists the other).
    links: Vec<Arc<dyn ErasedCell>>,
    /// Actors monitoring this one, with their monitor ids.
    watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// Actors this one monitors, with the monitor ids: removed when this
    /// one exits, as Erlang removes a dead process's monitors.
    monitoring: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// The name this actor is registered under (one at most, as in Erlang).
    name: Option<String>,
    /// The actor that spawned and linked this one: a supervisor ends itself
    /// when its parent's exit signal arrives, as OTP's do.
    parent: Option<ActorId>,
    /// The supervisor, which decides about restarts.
    supervisor: Option<Arc<dyn ErasedCell>>,
    /// The loop's waker while it awaits a decision.
    deciding: Option<Waker>,
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
                relations: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lifecycle> {
        // Only plain field updates run under this lock.
        self.lifecycle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn relations(lifecycle: &mut Lifecycle) -> &mut Relations {
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
    fn record_stop(&self, reason: ExitReason, overriding: bool) -> bool {
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
            return Poll::Ready(reason.clone());
        }
        Self::wait(&mut lifecycle, cx, key);
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

    /// Links this actor and `other`. If `other` has already exited, this
    /// actor gets an exit signal with [`ExitReason::NoProc`] at once, as in
    /// Erlang: a trapping actor receives it, any other is killed by it.
    pub(crate) fn link(self_cell: &Arc<dyn ErasedCell>, other: &Arc<dyn ErasedCell>) {
        if self_cell.core().id() == other.core().id() {
            return;
        }
        match other.add_link(self_cell.clone()) {
            Err(reason) => self_cell.deliver_exit(Exit {
                actor: other.core().label,
                reason,
            }),
            Ok(()) => {
                let mut mine = self_cell.core().lock();
                add_link_once(&mut Self::relations(&mut mine).links, other.clone());
            }
        }
    }

    /// This side of a link: records `other`, unless this actor has exited
    /// (then the link fails with `noproc`: the actor no longer exists).
    fn accept_link(&self, other: Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
        let mut lifecycle = self.lock();
        if let Phase::Exited(_) = &lifecycle.phase {
            return Err(ExitReason::NoProc);
        }
        add_link_once(&mut Self::relations(&mut lifecycle).links, other);
        Ok(())
    }

    /// Sends `target` an exit signal from `from` (Erlang's `exit/2`): a
    /// trapping target receives it as an `Exit`; otherwise an abnormal
    /// reason kills it and a normal one is ignored — except by `from`
    /// itself, which exits with it. `Killed` cannot be trapped: it always
    /// kills, as Erlang's `kill`.
    pub(crate) fn send_exit(from: &CellCore, target: &Arc<dyn ErasedCell>, reason: ExitReason) {
        if reason == ExitReason::Killed {
            target.kill(ExitReason::Killed);
        } else if !reason.is_abnormal() && target.core().id() == from.id() && !from.traps_exits() {
            // erlang:exit/2: "If Reason is normal, Pid does not exit, unless
            // Pid is the calling process, in which case it exits with reason
            // normal" — at once, as any process an exit signal ends (so
            // `on_stop`, like a non-trapping gen_server's `terminate`, does
            // not run).
            crate::observe::signal(from, EventKind::Exit, from.label, &reason);
            target.kill(reason);
        } else {
            target.exit_signal(Exit {
                actor: from.label,
                reason,
            });
        }
    }

    /// Removes a link in both directions.
    pub(crate) fn unlink(self_cell: &Arc<dyn ErasedCell>, other: &Arc<dyn ErasedCell>) {
        self_cell.core().forget_link(other.core().id());
        other.remove_link(self_cell.core().id());
    }

    /// Forgets this side's link with `id`; returns whether there was one.
    pub(crate) fn forget_link(&self, id: ActorId) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let before = relations.links.len();
        relations.links.retain(|l| l.core().id() != id);
        relations.links.len() != before
    }

    /// Has `watcher` receive a `Down` when this actor exits. If it has
    /// exited already, the `Down` comes at once with [`ExitReason::NoProc`],
    /// as in Erlang: the actor no longer exists.
    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) {
        let exited = {
            let mut lifecycle = self.lock();
            match &lifecycle.phase {
                Phase::Exited(_) => true,
                _ => {
                    Self::relations(&mut lifecycle)
                        .watchers
                        .push((monitor, watcher.clone()));
                    false
                }
            }
        };
        if exited {
            watcher.deliver_down(Down {
                monitor,
                actor: self.label,
                reason: ExitReason::NoProc,
            });
        }
    }

    /// Cancels a monitor; returns whether it was still active.
    fn remove_watcher(&self, monitor: MonitorRef) -> bool {
        let mut lifecycle = self.lock();
        let Some(relations) = lifecycle.relations.as_mut() else {
            return false;
        };
        let before = relations.watchers.len();
        relations.watchers.retain(|(m, _)| *m != monitor);
        relations.watchers.len() != before
    }

    /// Records that this actor monitors `target`, so that its exit removes
    /// the monitor; false if this actor has exited (then it monitors
    /// nothing).
    pub(crate) fn track_monitor(&self, monitor: MonitorRef, target: Arc<dyn ErasedCell>) -> bool {
        let mut lifecycle = self.lock();
        if matches!(lifecycle.phase, Phase::Exited(_)) {
            return false;
        }
        Self::relations(&mut lifecycle)
            .monitoring
            .push((monitor, target));
        true
    }

    /// Forgets a monitor this actor held (it fired, or was cancelled).
    pub(crate) fn untrack_monitor(&self, monitor: MonitorRef) {
        if let Some(relations) = self.lock().relations.as_mut() {
            relations.monitoring.retain(|(m, _)| *m != monitor);
        }
    }

    /// Whether a panic should end this actor when its panic policy was left
    /// to the default: it should if anyone would hear of it — a linked
    /// actor, a monitor, a supervisor — as a crash ends an Erlang process.
    pub(crate) fn is_watched(&self) -> bool {
        self.lock().relations.as_ref().is_some_and(|r| {
            !r.links.is_empty() || !r.watchers.is_empty() || r.supervisor.is_some()
        })
    }

    /// Gives this actor `name`. An actor has one name at most, as in
    /// Erlang; an exited actor has none.
    pub(crate) fn add_name(&self, name: &str) -> Result<(), NameRefused> {
        let mut lifecycle = self.lock();
        if matches!(lifecycle.phase, Phase::Exited(_)) {
            return Err(NameRefused::Exited);
        }
        let relations = Self::relations(&mut lifecycle);
        if let Some(held) = &relations.name {
            return Err(NameRefused::Named(held.clone()));
        }
        relations.name = Some(name.to_owned());
        Ok(())
    }

    pub(crate) fn remove_name(&self, name: &str) {
        if let Some(relations) = self.lock().relations.as_mut() {
            if relations.name.as_deref() == Some(name) {
                relations.name = None;
            }
        }
    }

    pub(crate) fn set_supervisor(&self, supervisor: Arc<dyn ErasedCell>) {
        let mut lifecycle = self.lock();
        Self::relations(&mut lifecycle).supervisor = Some(supervisor);
    }

    pub(crate) fn supervisor(&self) -> Option<Arc<dyn ErasedCell>> {
        self.lock()
            .relations
            .as_ref()
            .and_then(|r| r.supervisor.clone())
    }

    /// Records the actor that spawned and linked this one.
    pub(crate) fn set_parent(&self, parent: ActorId) {
        let mut lifecycle = self.lock();
        Self::relations(&mut lifecycle).parent = Some(parent);
    }

    /// The actor that spawned and linked this one, if any.
    pub(crate) fn parent(&self) -> Option<ActorId> {
        self.lock().relations.as_ref().and_then(|r| r.parent)
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
        Self::wait(&mut lifecycle, cx, key);
        Poll::Pending
    }

    /// Keeps `cx`'s waker under `key` (a new key if it has none yet, or if
    /// its entry was taken by a wake-up).
    fn wait(lifecycle: &mut Lifecycle, cx: &mut Context<'_>, key: &mut Option<u64>) {
        let relations = Self::relations(lifecycle);
        if let Some(key) = *key {
            if let Some((_, waker)) = relations.waiters.iter_mut().find(|(k, _)| *k == key) {
                if !waker.will_wake(cx.waker()) {
                    waker.clone_from(cx.waker());
                }
                return;
            }
        }
        // Process-wide keys: a stale key can never name another waiter,
        // and cells pay nothing for them.
        static NEXT_WAITER: AtomicU64 = AtomicU64::new(0);
        let next = NEXT_WAITER.fetch_add(1, Ordering::Relaxed);
        relations.waiters.push((next, cx.waker().clone()));
        *key = Some(next);
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
        Self::wait(&mut lifecycle, cx, key);
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
    fn end_running_incarnation(&self, reason: ExitReason, overriding: bool) -> bool {
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
            lifecycle.relations.take()
        };
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
            for (_, waker) in waiters {
                waker.wake();
            }
        }
        self.system.forget(self.id());
    }

    /// Removes the monitors an exiting actor held from their targets.
    fn drop_monitors(monitoring: Vec<(MonitorRef, Arc<dyn ErasedCell>)>) {
        for (monitor, target) in monitoring {
            target.remove_watcher(monitor);
        }
    }

    /// Delivers an exit to links and monitors. Links forget this actor,
    /// except `keep` (a supervisor that will see the next incarnation).
    ///
    /// A linked actor that has unlinked meanwhile — after this actor took
    /// its links, before the signal reached it — gets nothing: once
    /// `unlink` has returned, the link has no effect on its caller
    /// (`erlang:unlink/1`). Its `supervisor` hears of every exit.
    fn notify(
        &self,
        links: Vec<Arc<dyn ErasedCell>>,
        watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
        reason: &ExitReason,
        keep: Option<ActorId>,
        supervisor: Option<ActorId>,
    ) {
        for link in links {
            let id = Some(link.core().id());
            let linked = id == keep || link.drop_link(self.id()) || id == supervisor;
            if !linked {
                continue;
            }
            link.deliver_exit(Exit {
                actor: self.label,
                reason: reason.clone(),
            });
        }
        for (monitor, watcher) in watchers {
            watcher.deliver_down(Down {
                monitor,
                actor: self.label,
                reason: reason.clone(),
            });
        }
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
            message = %crate::error::panic_message(&*payload),
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
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.core.forget_waiter(key);
        }
    }
}

fn add_link_once(links: &mut Vec<Arc<dyn ErasedCell>>, cell: Arc<dyn ErasedCell>) {
    if !links.iter().any(|l| l.core().id() == cell.core().id()) {
        links.push(cell);
    }
}

/// Why an actor could not take a name.
pub(crate) enum NameRefused {
    /// It has exited.
    Exited,
    /// It already has this name.
    Named(String),
}

/// A cell seen without its actor type: what the system table, links,
/// monitors and the registry hold.
pub(crate) trait ErasedCell: Send + Sync + 'static {
    fn core(&self) -> &CellCore;
    /// What the actor's loop runs now, in words (a method's name, or a
    /// hook's), if anything is known: for a shutdown that says what it
    /// waits for.
    fn doing(&self) -> Option<&'static str> {
        Doing::describe(self.core().doing(), &[])
    }
    /// Asks the actor to stop after its current message.
    fn request_stop(&self, reason: ExitReason);
    /// Stops the actor now, abandoning its current method at its next await.
    fn kill(&self, reason: ExitReason);
    /// Ends a supervised actor's running incarnation (a supervisor's
    /// request); does nothing once it has ended.
    fn end_incarnation(&self);
    /// Kills a supervised actor's running incarnation (a supervisor's
    /// brutal kill after the shutdown timeout); does nothing once it has
    /// ended.
    fn kill_incarnation(&self) {
        self.kill(ExitReason::Killed);
    }
    /// Gives up on an actor that does not honour a kill (a method that
    /// never awaits): marks it exited with `reason` now, answers its queued
    /// callers and fires its links and monitors, while its loop runs on
    /// until the method returns, then ends without running anything more.
    fn abandon(&self, reason: ExitReason) {
        self.kill(reason);
    }
    /// A linked actor exited: trap it as a message, die with it, or ignore
    /// it, as Erlang does.
    fn deliver_exit(&self, exit: Exit) {
        crate::observe::signal(self.core(), EventKind::Exit, exit.actor, &exit.reason);
        if self.core().traps_exits() {
            self.push_signal(Signal::Exit(exit));
        } else if exit.reason.is_abnormal() {
            self.kill(exit.reason);
        }
    }
    /// A monitored actor exited (or its node was lost): the monitor has
    /// fired, so this actor no longer holds it.
    fn deliver_down(&self, down: Down) {
        crate::observe::signal(self.core(), EventKind::Down, down.actor, &down.reason);
        self.core().untrack_monitor(down.monitor);
        self.push_signal(Signal::Down(down));
    }
    /// An exit signal sent explicitly (Erlang's `exit/2`), not along a
    /// link.
    fn exit_signal(&self, exit: Exit) {
        self.deliver_exit(exit);
    }
    fn push_signal(&self, signal: Signal);
    /// This side of a link with `other`; the exit reason if this actor has
    /// already exited.
    fn add_link(&self, other: Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
        self.core().accept_link(other)
    }
    /// `other` removed its link with this actor.
    fn remove_link(&self, other: ActorId) {
        self.core().forget_link(other);
    }
    /// `other`, linked to this actor, exited: this side forgets the link.
    /// Returns whether it still had it (an actor that has unlinked
    /// meanwhile must not hear of the exit).
    fn drop_link(&self, other: ActorId) -> bool {
        self.core().forget_link(other)
    }
    /// Has `watcher` receive a `Down` when this actor exits (at once if it
    /// already has).
    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) {
        self.core().add_watcher(monitor, watcher);
    }
    /// Cancels a monitor; returns whether it was still active.
    fn remove_watcher(&self, monitor: MonitorRef) -> bool {
        self.core().remove_watcher(monitor)
    }
    /// Decodes and queues a call that came from another node. Only actor
    /// cells can; stand-ins for remote actors cannot.
    fn deliver_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::transport::Responder>,
        trace: Option<crate::transport::TraceContext>,
    ) -> Result<(), crate::error::Error> {
        let _ = (method, payload, responder, trace);
        Err(crate::error::Error::ActorStopped {
            actor: self.core().label,
            method: "?",
        })
    }
    /// For typed look-ups (`Arc::downcast` to the concrete cell).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<A: Actor> ErasedCell for Cell<A> {
    fn doing(&self) -> Option<&'static str> {
        Doing::describe(self.core.doing(), A::METHODS)
    }

    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, reason: ExitReason) {
        if self.core.record_stop(reason, false) {
            self.mailbox.signal_control(control::STOP);
            self.core.wake_decision();
        }
    }

    fn kill(&self, reason: ExitReason) {
        if self.core.record_stop(reason, true) {
            self.mailbox.signal_control(control::STOP | control::KILL);
            self.core.wake_decision();
        }
    }

    fn end_incarnation(&self) {
        if self
            .core
            .end_running_incarnation(ExitReason::Shutdown, false)
        {
            self.mailbox.signal_control(control::STOP);
        }
    }

    fn kill_incarnation(&self) {
        if self.core.end_running_incarnation(ExitReason::Killed, true) {
            self.mailbox.signal_control(control::STOP | control::KILL);
        }
    }

    fn abandon(&self, reason: ExitReason) {
        self.mailbox.signal_control(control::STOP | control::KILL);
        drop_contained(self.mailbox.close(), self.core.label, "queued messages");
        self.core.exited(reason);
        self.core.wake_decision();
    }

    fn deliver_exit(&self, exit: Exit) {
        // A child waiting for its supervisor's decision gets none once the
        // supervisor is gone: its exit is the verdict, even if the child
        // traps exits.
        self.core.supervisor_gone(&exit);
        if self.core.traps_exits() {
            self.push_signal(Signal::Exit(exit));
        } else if exit.reason.is_abnormal() {
            self.kill(exit.reason);
        }
    }

    fn push_signal(&self, signal: Signal) {
        let _closed = self.mailbox.push_signal(signal);
    }

    fn deliver_remote(
        &self,
        method: &str,
        payload: &[u8],
        responder: &mut Option<crate::transport::Responder>,
        trace: Option<crate::transport::TraceContext>,
    ) -> Result<(), crate::error::Error> {
        // Checked before decoding, so the caller hears "full" rather than
        // "stopped"; the push below ignores the bound, so a race with local
        // senders can overfill by a message rather than lose one.
        if let Some(capacity) = self.mailbox.capacity() {
            if self.mailbox.len() >= capacity {
                return Err(crate::error::Error::MailboxFull {
                    actor: self.core.label,
                    method: A::method_name(method),
                    capacity,
                });
            }
        }
        let kind = if responder.is_some() {
            crate::observe::EventKind::Ask
        } else {
            crate::observe::EventKind::Tell
        };
        let msg = A::decode_call(method, payload, responder)?;
        let envelope = crate::observe::remote_envelope(msg, trace, A::method_name(method), kind);
        self.mailbox.push_unbounded(envelope).map_err(|_refused| {
            crate::error::Error::ActorStopped {
                actor: self.core.label,
                method: A::method_name(method),
            }
        })
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl CellCore {
    /// If `exit` is this actor's supervisor's and the actor waits for its
    /// decision, makes the supervisor's reason the decision.
    fn supervisor_gone(&self, exit: &Exit) {
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

    fn wake_decision(&self) {
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

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::{Cell, CellCore, ErasedCell, Phase};
    use crate::actor::{Actor, Handled, Handler, Outcome};
    use crate::context::Context;
    use crate::exit::ExitReason;
    use crate::id::{ActorId, ActorLabel, NodeId};

    /// An actor with no methods, for unit tests of cells and loops.
    pub(crate) struct Idle;

    impl Actor for Idle {
        type Msg = ();
        type Methods<D: crate::dispatch::Dispatch<Self>> = crate::__private::NoMethods<D>;
        const NAME: &'static str = "Idle";
    }

    impl Handler for Idle {
        fn handle<'a>(&'a mut self, (): (), _: &'a mut Context<Self>) -> Handled<'a> {
            Handled::Done(Outcome::Done)
        }
    }

    /// A cell for an [`Idle`] actor of `system`, with no loop running.
    pub(crate) fn cell(system: &crate::System, local: u64) -> Arc<Cell<Idle>> {
        let label = ActorLabel::new(ActorId::new(NodeId::from_u64(1), local), "Idle");
        Arc::new(Cell::new(label, system.handle().shared().clone(), None))
    }

    fn kill_requested(cell: &Cell<Idle>) -> bool {
        !matches!(cell.core.lock().phase, Phase::Running { requested: None })
    }

    /// `erlang:unlink/1`: once it has returned, the link has no effect on
    /// the caller — even if the other actor had already taken its links to
    /// fire them when the caller unlinked.
    #[test]
    fn an_exit_fired_after_the_unlink_does_not_reach_the_unlinked() {
        let system = crate::System::builder().start().expect("system");
        let (a, b) = (cell(&system, 1), cell(&system, 2));
        let (a_dyn, b_dyn): (Arc<dyn ErasedCell>, Arc<dyn ErasedCell>) = (a.clone(), b.clone());
        CellCore::link(&a_dyn, &b_dyn);
        // B starts exiting: it takes its links...
        let links = std::mem::take(&mut CellCore::relations(&mut b.core.lock()).links);
        assert_eq!(links.len(), 1);
        // ...A unlinks meanwhile...
        CellCore::unlink(&a_dyn, &b_dyn);
        // ...and B fires what it took.
        let reason = ExitReason::Panicked("crashed".into());
        b.core.notify(links, Vec::new(), &reason, None, None);
        assert!(
            !kill_requested(&a),
            "the exit reached an actor that had unlinked"
        );

        // Still linked: the same exit kills.
        let c = cell(&system, 3);
        let c_dyn: Arc<dyn ErasedCell> = c.clone();
        CellCore::link(&c_dyn, &b_dyn);
        let links = std::mem::take(&mut CellCore::relations(&mut b.core.lock()).links);
        b.core.notify(links, Vec::new(), &reason, None, None);
        assert!(
            kill_requested(&c),
            "a linked actor survived an abnormal exit"
        );
    }
}
