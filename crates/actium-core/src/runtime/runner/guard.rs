//! Killing an actor at its next await: a method's future runs inside
//! [`guarded`], which ends it early once an [`ExitGuard`] says the actor was
//! killed, so a kill does not wait for a long method to finish.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
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
pub(crate) struct ExitGuard<A: Actor> {
    cell: Option<Arc<Cell<A>>>,
}

impl<A: Actor> ExitGuard<A> {
    pub(crate) fn new(cell: Arc<Cell<A>>) -> Self {
        ExitGuard { cell: Some(cell) }
    }

    pub(crate) fn exit(mut self, reason: ExitReason) {
        if let Some(cell) = self.cell.take() {
            crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
            cell.core.exited(reason);
        }
    }
}

impl<A: Actor> Drop for ExitGuard<A> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            crate::cell::drop_contained(cell.mailbox.close(), cell.core.label, "queued messages");
            cell.core.exited(ExitReason::Killed);
        }
    }
}
