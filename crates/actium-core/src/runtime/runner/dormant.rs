//! A dormant actor: its task not started until its first delivery.

use std::marker::PhantomData;
use std::sync::Arc;

use super::{Reentry, run};
use crate::actor::{Birth, Cell, Handler, PanicPolicy};

/// A dormant actor: a waker, parked in its mailbox, that starts the actor's
/// task on the first delivery — a message, a signal or a stop request.
///
/// Until then the actor costs its cell and this waker, not a task: a
/// system can hold a million idle actors in a few hundred megabytes. It
/// holds the cell weakly (the system's table holds it strongly), so a
/// mailbox never keeps its own cell alive.
pub(crate) fn dormant<A: Handler, R: Reentry<A>>(
    birth: Birth<A>,
    cell: &Arc<Cell<A>>,
    policy: Option<PanicPolicy>,
) -> std::task::Waker {
    std::task::Waker::from(Arc::new(Dormant::<A, R> {
        birth: std::sync::Mutex::new(Some(birth)),
        cell: Arc::downgrade(cell),
        policy,
        reentry: PhantomData,
    }))
}

struct Dormant<A: Handler, R> {
    birth: std::sync::Mutex<Option<Birth<A>>>,
    cell: std::sync::Weak<Cell<A>>,
    policy: Option<PanicPolicy>,
    /// How the task will keep its reentrant loop (see [`Reentry`]).
    reentry: PhantomData<fn() -> R>,
}

impl<A: Handler, R: Reentry<A>> Dormant<A, R> {
    /// Starts the actor's task, if `birth` is still to come and the cell
    /// still lives.
    fn start(
        birth: Option<Birth<A>>,
        cell: &std::sync::Weak<Cell<A>>,
        policy: Option<PanicPolicy>,
    ) {
        // Born already (a copy of the waker woken before): nothing to do,
        // and no count of the cell to take.
        let Some(birth) = birth else {
            return;
        };
        if let Some(cell) = cell.upgrade() {
            let system = cell.core.system.clone();
            system.start_task(run::<A, R>(birth, cell, policy));
        }
    }
}

impl<A: Handler, R: Reentry<A>> std::task::Wake for Dormant<A, R> {
    /// The mailbox wakes its parked waker by value, and holds its only
    /// count: the waker is then taken apart (one compare-and-swap) rather
    /// than locked and released and its count given back (three), two
    /// atomic instructions fewer for every actor's start.
    fn wake(self: Arc<Self>) {
        match Arc::try_unwrap(self) {
            Ok(Dormant {
                birth,
                cell,
                policy,
                reentry: _,
            }) => {
                let birth = birth
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                Self::start(birth, &cell, policy);
            }
            Err(shared) => shared.wake_by_ref(),
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let birth = self
            .birth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        Self::start(birth, &self.cell, self.policy);
    }
}
