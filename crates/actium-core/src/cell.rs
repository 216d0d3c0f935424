//! The actor cell: what an actor's references and its running loop share.
//!
//! A cell holds the mailbox and the actor's lifecycle state. References hold
//! the cell through an `Arc`; the system's actor table holds it (as an
//! [`ErasedCell`]) until the actor exits, so an actor lives until it stops,
//! whether or not anyone still holds a reference (as in Erlang and Akka).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::actor::Actor;
use crate::exit::ExitReason;
use crate::id::ActorLabel;
use crate::mailbox::Mailbox;
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
            core: CellCore {
                label,
                system,
                lifecycle: Mutex::new(Lifecycle::Running {
                    requested: None,
                    waiters: Vec::new(),
                }),
            },
            mailbox: Mailbox::new(capacity),
        }
    }
}

/// The parts of a cell that do not depend on the actor's type.
pub(crate) struct CellCore {
    pub(crate) label: ActorLabel,
    pub(crate) system: Arc<SystemShared>,
    lifecycle: Mutex<Lifecycle>,
}

enum Lifecycle {
    Running {
        /// The first stop request's reason; later requests do not replace it.
        requested: Option<ExitReason>,
        /// Tasks waiting for the exit.
        waiters: Vec<Waker>,
    },
    Exited(ExitReason),
}

impl CellCore {
    fn lock(&self) -> MutexGuard<'_, Lifecycle> {
        // Only plain field updates run under this lock.
        self.lifecycle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a stop request; returns whether it is the first one.
    fn record_stop_request(&self, reason: ExitReason) -> bool {
        match &mut *self.lock() {
            Lifecycle::Running { requested, .. } if requested.is_none() => {
                *requested = Some(reason);
                true
            }
            _ => false,
        }
    }

    /// The reason of the pending stop request, for the loop that honours it.
    pub(crate) fn requested_reason(&self) -> ExitReason {
        match &*self.lock() {
            Lifecycle::Running {
                requested: Some(reason),
                ..
            } => reason.clone(),
            Lifecycle::Running { .. } => ExitReason::Stopped,
            Lifecycle::Exited(reason) => reason.clone(),
        }
    }

    /// Marks the actor exited, wakes everyone waiting, and removes it from
    /// its system. Called exactly once per started actor.
    pub(crate) fn exited(&self, reason: ExitReason) {
        let waiters = match std::mem::replace(&mut *self.lock(), Lifecycle::Exited(reason)) {
            Lifecycle::Running { waiters, .. } => waiters,
            Lifecycle::Exited(_) => Vec::new(),
        };
        for waker in waiters {
            waker.wake();
        }
        self.system.forget(self.label.id());
    }

    /// The exit reason, or `None` while the actor runs.
    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        match &*self.lock() {
            Lifecycle::Exited(reason) => Some(reason.clone()),
            Lifecycle::Running { .. } => None,
        }
    }

    /// Resolves with the exit reason once the actor has exited.
    pub(crate) fn poll_exit(&self, cx: &mut Context<'_>) -> Poll<ExitReason> {
        match &mut *self.lock() {
            Lifecycle::Exited(reason) => Poll::Ready(reason.clone()),
            Lifecycle::Running { waiters, .. } => {
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

/// A cell seen without its actor type: what the system table, the registry
/// and the remote layer hold.
pub(crate) trait ErasedCell: Send + Sync + 'static {
    fn core(&self) -> &CellCore;
    /// Asks the actor to stop after its current message.
    fn request_stop(&self, reason: ExitReason);
}

impl<A: Actor> ErasedCell for Cell<A> {
    fn core(&self) -> &CellCore {
        &self.core
    }

    fn request_stop(&self, reason: ExitReason) {
        if self.core.record_stop_request(reason) {
            self.mailbox.request_stop();
        }
    }
}
