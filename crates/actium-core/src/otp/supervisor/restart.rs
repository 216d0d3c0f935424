//! The restart machinery of a [`Supervisor`](super::Supervisor): starting
//! children in order, terminating them in reverse, and deciding, when one
//! exits, whether and what to restart under the strategy and intensity.

use std::future::poll_fn;
use std::sync::Arc;

use super::{Restart, Strategy, Supervisor};
use crate::actor::Context;
use crate::base::{ActorId, Error, Exit, ExitReason};
use crate::cell::{Decision, ErasedCell, Waiter};
use crate::runtime::KILL_GRACE;

/// Resolves once `cell`'s current incarnation got past `on_start`, or
/// with the reason it ended first.
pub(crate) async fn started(cell: &Arc<dyn ErasedCell>) -> Result<(), ExitReason> {
    let mut waiter = Waiter::new(cell.core());
    poll_fn(|cx| waiter.poll_started(cx)).await
}

/// Resolves once `cell`'s current incarnation has ended.
async fn ended(cell: &Arc<dyn ErasedCell>) {
    let mut waiter = Waiter::new(cell.core());
    poll_fn(|cx| waiter.poll_incarnation_end(cx)).await;
}

/// Resolves once `cell` has exited for good, with its reason.
async fn gone(cell: &Arc<dyn ErasedCell>) -> ExitReason {
    let mut waiter = Waiter::new(cell.core());
    poll_fn(|cx| waiter.poll_exit(cx)).await
}

impl Supervisor {
    fn index_of(&self, id: ActorId) -> Option<usize> {
        self.children
            .iter()
            .position(|child| child.last_id == Some(id))
    }

    pub(crate) fn index_named(&self, name: &str) -> Result<usize, Error> {
        self.children
            .iter()
            .position(|child| child.spec.name == name)
            .ok_or_else(|| Error::NoSuchChild {
                name: name.to_owned(),
            })
    }

    /// Starts the children in order, each once the previous has started.
    pub(crate) async fn start_all(&mut self, ctx: &mut Context<Self>) -> Result<(), String> {
        for (index, child) in self.children.iter().enumerate() {
            let name = &child.spec.name;
            if self.children[..index].iter().any(|c| c.spec.name == *name) {
                return Err(format!("two children are named `{name}`"));
            }
        }
        for index in 0..self.children.len() {
            if let Err(reason) = self.start(index, ctx).await {
                let name = self.children[index].spec.name.clone();
                self.terminate_all().await;
                return Err(format!("child `{name}` failed to start: {reason}"));
            }
        }
        Ok(())
    }

    /// Spawns child `index` in a new cell and waits until it got past its
    /// `on_start`. One that ends first stays down with its own reason,
    /// which is returned.
    pub(crate) async fn start(
        &mut self,
        index: usize,
        ctx: &Context<Self>,
    ) -> Result<(), ExitReason> {
        let (system, me) = (ctx.system(), ctx.erased_cell());
        let child = &mut self.children[index];
        let cell = (child.spec.start)(&system, &me)
            .map_err(|error| ExitReason::Error(error.to_string()))?;
        child.last_id = Some(cell.core().id());
        child.cell = Some(cell.clone());
        let result = started(&cell).await;
        if let Err(reason) = &result {
            let child = &mut self.children[index];
            child.cell = None;
            child.last_exit = Some(reason.clone());
            cell.core().conclude();
        }
        result
    }

    /// Brings a running child's incarnation to its end (it then waits for
    /// a decision): a stop request, then after its shutdown timeout a kill,
    /// then after [`KILL_GRACE`] abandonment. A zero timeout kills at once.
    async fn end(&mut self, index: usize) {
        let child = &self.children[index];
        let Some(cell) = child.cell.clone() else {
            return;
        };
        let clock = cell.core().system.clock().clone();
        if !cell.core().is_running() {
            return;
        }
        // OTP's `brutal_kill` is `exit(Child, kill)` with no `shutdown`
        // first: a stop request would let the child stop gracefully (and
        // run `on_stop`) in the moment a zero timeout takes to elapse.
        if !child.spec.shutdown.is_zero() {
            cell.end_incarnation();
            if clock
                .timeout(child.spec.shutdown, ended(&cell))
                .await
                .is_ok()
            {
                return;
            }
        }
        cell.kill_incarnation();
        if clock.timeout(KILL_GRACE, ended(&cell)).await.is_err() {
            tracing::warn!(
                child = %cell.core().label,
                "the child did not honour a kill (it never awaits); abandoned"
            );
            cell.abandon(ExitReason::Killed);
        }
    }

    /// Ends a child for good: it exits with the reason its incarnation
    /// ended with.
    pub(crate) async fn terminate(&mut self, index: usize) {
        self.end(index).await;
        let Some(cell) = self.children[index].cell.take() else {
            return;
        };
        let ended = cell.core().undecided_reason();
        cell.core().conclude();
        // As OTP's `terminate_child`, return once the child is gone: its
        // name is free again and its links and monitors have fired. Its
        // loop only has its exit left to do; the grace bounds the wait.
        let clock = cell.core().system.clock().clone();
        let exited = clock.timeout(KILL_GRACE, gone(&cell)).await.ok();
        if let Some(reason) = ended.or(exited) {
            self.children[index].last_exit = Some(reason);
        }
    }

    /// Terminates every child, in reverse start order.
    pub(crate) async fn terminate_all(&mut self) {
        for index in (0..self.children.len()).rev() {
            self.terminate(index).await;
        }
    }

    /// Starts an ended child's next incarnation and waits until it got past
    /// its `on_start`. If it fails to, it waits for a decision again and
    /// its exit signal, queued meanwhile, counts as a new failure.
    async fn restart(&mut self, index: usize, ctx: &Context<Self>) {
        let child = &mut self.children[index];
        let Some(cell) = child.cell.clone() else {
            return;
        };
        child.restarts += 1;
        if let Some(reason) = cell.core().undecided_reason() {
            child.last_exit = Some(reason);
        }
        if let Some(reason) = cell.core().exit_reason() {
            // Abandoned, so its cell is gone: a new one.
            child.last_exit = Some(reason);
            let _ = self.start(index, ctx).await;
            return;
        }
        cell.core().decide(Decision::Restart);
        let _ = started(&cell).await;
    }

    /// Records one restart; returns whether the intensity still allows it.
    fn allow_restart(&mut self) -> bool {
        let now = crate::host::thread_clock().now();
        self.restarts.push_back(now);
        while self
            .restarts
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.period)
        {
            self.restarts.pop_front();
        }
        self.restarts.len() <= self.max_restarts
    }

    /// A linked actor's exit signal: a child's failure, the parent's exit,
    /// or something to ignore.
    pub(crate) async fn exited(&mut self, ctx: &mut Context<Self>, exit: Exit) {
        let Some(index) = self.index_of(exit.actor.id()) else {
            if ctx.parent() == Some(exit.actor.id()) {
                ctx.stop_with(exit.reason);
            }
            return;
        };
        let child = &mut self.children[index];
        let Some(cell) = child.cell.clone() else {
            // Terminated already: its final exit.
            return;
        };
        if cell.core().exit_reason().is_some() {
            // Gone for good without a decision of ours (killed while it
            // waited for one).
            child.cell = None;
            child.last_exit = Some(exit.reason);
            if child.spec.restart == Restart::Temporary {
                self.children.remove(index);
            }
            return;
        }
        // Decide about the incarnation's own end: the signal may be an
        // older one (a child ended by this supervisor and restarted since).
        let Some(reason) = cell.core().undecided_reason() else {
            return;
        };
        let restart = child.spec.restart;
        child.last_exit = Some(reason.clone());
        if !restart.wants(&reason) || ctx.system().is_shutting_down() {
            child.cell = None;
            cell.core().conclude();
            if restart == Restart::Temporary {
                self.children.remove(index);
            }
            return;
        }
        if !self.allow_restart() {
            tracing::error!(
                supervisor = %ctx.myself(),
                child = %exit.actor,
                "too many restarts; the supervisor gives up"
            );
            self.children[index].cell = None;
            cell.core().conclude();
            self.terminate_all().await;
            ctx.stop_with(ExitReason::Shutdown);
            return;
        }
        let group: Vec<usize> = match self.strategy {
            Strategy::OneForOne => vec![index],
            Strategy::OneForAll => (0..self.children.len()).collect(),
            Strategy::RestForOne => (index..self.children.len()).collect(),
        };
        for &other in group.iter().rev().filter(|&&other| other != index) {
            self.end(other).await;
        }
        let mut forgotten = Vec::new();
        for &member in &group {
            if member != index && self.children[member].spec.restart == Restart::Temporary {
                self.terminate(member).await;
                forgotten.push(member);
            } else {
                self.restart(member, ctx).await;
            }
        }
        for member in forgotten.into_iter().rev() {
            self.children.remove(member);
        }
    }
}
