//! Killing an actor at its next await: a method's future runs inside
//! [`guarded`], which ends it early once an [`ExitGuard`] says the actor was
//! killed, so a kill does not wait for a long method to finish.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::actor::{Actor, Cell};
use crate::base::ExitReason;
use crate::mailbox::Mailbox;

/// Polls `future` to completion unless the actor is killed first; a kill
/// drops it at its next await. Resolves to `None` when killed.
pub(crate) fn guarded<M, F: Future>(mailbox: &Mailbox<M>, future: F) -> Guarded<'_, M, F> {
    Guarded { mailbox, future }
}

pin_project_lite::pin_project! {
    /// The future of [`guarded`]: the method's future, pinned in place (no
    /// allocation per message).
    pub(crate) struct Guarded<'a, M, F> {
        mailbox: &'a Mailbox<M>,
        #[pin]
        future: F,
    }
}

impl<M, F: Future> Future for Guarded<'_, M, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.mailbox.is_killed() {
            return Poll::Ready(None);
        }
        // Asks the method awaits may run an idle callee's request here.
        let future = this.future;
        match crate::call::current::polling_method(|| future.poll(cx)) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending => {
                if this.mailbox.register_running(cx.waker()) {
                    Poll::Ready(None)
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

/// Makes sure a started actor is reported exited exactly once, even if its
/// loop is dropped mid-method (its runtime shut down) or unwinds.
///
/// It borrows the cell from the future that owns it (the actor's life),
/// rather than holding a count of its own: a count taken and given back
/// per actor is two atomic instructions of every spawn.
pub(crate) struct ExitGuard<'a, A: Actor> {
    cell: Option<&'a Cell<A>>,
}

impl<'a, A: Actor> ExitGuard<'a, A> {
    pub(crate) fn new(cell: &'a Cell<A>) -> Self {
        ExitGuard { cell: Some(cell) }
    }

    /// Reports the exit, closing the mailbox first unless the caller
    /// already has (`closed`): a mailbox closed twice takes its lock twice.
    pub(crate) fn exit(mut self, reason: ExitReason, closed: bool) {
        if let Some(cell) = self.cell.take() {
            if !closed {
                cell.close_mailbox();
            }
            cell.core.exited(reason);
        }
    }
}

impl<A: Actor> Drop for ExitGuard<'_, A> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            cell.close_mailbox();
            cell.core.exited(ExitReason::Killed);
        }
    }
}
