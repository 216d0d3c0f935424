//! A request that leaves after a delay: [`Context::ask_after`], the
//! request-reply counterpart of [`Context::send_after`].

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use crate::actor::{Actor, ActorRef, Context};
use crate::base::Error;
use crate::call::{current, within};

/// The answer of a request sent after a delay, from
/// [`Context::ask_after`]: resolves to what the call's future (an
/// [`Ask`](crate::Ask)) resolves to, or to [`Error::ShuttingDown`] if the
/// call could never be made.
///
/// # Cancel safety
///
/// Dropping it before the delay has passed cancels the call: nothing is
/// sent. Dropping it afterwards drops the call's future, as dropping an
/// `Ask` does: the request is not recalled and its answer is discarded.
#[must_use = "the call is sent after the delay, but its answer is lost unless awaited"]
pub struct Delayed<F: Future> {
    shared: Arc<Mutex<Stage<F>>>,
}

enum Stage<F: Future> {
    /// The delay has not passed; the waker of the caller's last poll.
    Waiting(Option<Waker>),
    /// Sent: the call's future, polled once already if the caller had
    /// polled before.
    Sent(F),
    /// The call's answer, in before the caller polled again.
    Ready(F::Output),
    /// The call panicked as it was made: the caller's next poll resumes
    /// the panic, as if the caller had made the call itself.
    Panicked(Box<dyn Any + Send>),
    /// Never made: its system ended first.
    Ended,
    /// Taken, or the caller dropped it.
    Done,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<A: Actor> Context<A> {
    /// Makes the call `call` to `to` once `delay` has passed on the
    /// system's clock, and resolves to its answer: a request that takes
    /// `delay` to leave — `ctx.ask_after(d, &peer, |peer| peer.get())` —
    /// as [`send_after`](Self::send_after) is a one-way message that takes
    /// `delay` to arrive. The call is made whether or not the caller has
    /// polled by then, on behalf of the method that called `ask_after`
    /// (its call chain, for [`Error::Deadlock`](crate::Error::Deadlock),
    /// and what it handles, for recording). Its deadline runs, as an
    /// [`Ask`](crate::Ask)'s does, from its first poll: when the call is
    /// made if the caller was waiting by then, else from the caller's
    /// first poll.
    ///
    /// In a simulation ([`Mode::Simulated`](crate::Mode::Simulated)) the
    /// call is made by an entry of the virtual clock, as `send_after`'s
    /// delivery is, and the caller is woken only when the answer is in:
    /// simulated latency costs the caller no wake-up. On the real clock a
    /// task sleeps, then makes the call.
    ///
    /// `call`'s future must be [`Unpin`], as an `Ask` is (box an `async`
    /// block), and resolve to a `Result<_, Error>`. Dropping the
    /// [`Delayed`] before the delay has passed cancels the call, though
    /// the clock keeps its (then empty) entry until it falls due.
    ///
    /// # Errors
    ///
    /// What the call's future resolves to, or [`Error::ShuttingDown`] if
    /// the call is never made: its system ended (or its simulated node
    /// crashed) before the delay passed, or the delay is past the end of
    /// time.
    ///
    /// # Panics
    ///
    /// If `call`, or the first poll of its future, panics, the caller's
    /// next poll of the [`Delayed`] resumes that panic, as if the caller
    /// had made the call itself. Polling a [`Delayed`] again after it
    /// resolved panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// #[derive(Default)]
    /// struct Far {
    ///     answered: u32,
    /// }
    ///
    /// #[actor]
    /// impl Far {
    ///     #[ask]
    ///     fn ping(&mut self) -> u32 {
    ///         self.answered += 1;
    ///         self.answered
    ///     }
    ///
    ///     /// Asks `other` across a link that takes 30 ms each way.
    ///     #[ask(parallel)]
    ///     async fn ping_far(mut this: Reentrant<Self>, other: ActorRef<Far>) -> Result<u32, Error> {
    ///         let delay = Duration::from_millis(30);
    ///         let answer = this.with_context(|_, ctx| ctx.ask_after(delay, &other, |other| other.ping()));
    ///         let answer = answer.await;
    ///         actium::sleep(delay).await; // the way back
    ///         answer
    ///     }
    /// }
    /// # actium::launch(Mode::Simulated { seed: 1 }, async {
    /// let (a, b) = (Far::default().spawn(), Far::default().spawn());
    /// let clock = SystemHandle::current().clock();
    /// let start = clock.now();
    /// assert_eq!(a.ping_far(b.clone()).await??, 1);
    /// assert_eq!(clock.now() - start, Duration::from_millis(60));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn ask_after<B: Actor, T, F>(
        &self,
        delay: Duration,
        to: &ActorRef<B>,
        call: impl FnOnce(&ActorRef<B>) -> F + Send + 'static,
    ) -> Delayed<F>
    where
        F: Future<Output = Result<T, Error>> + Unpin + Send + 'static,
        T: Send + 'static,
    {
        let shared = Arc::new(Mutex::new(Stage::Waiting(None)));
        let mut due = Unmade(Some(shared.clone()));
        let to = to.clone();
        let frame = current::copy();
        let system = &self.cell.core.system;
        system.executor.call_after(system.clock(), delay, move || {
            if let Some(shared) = due.0.take() {
                make(&shared, frame.as_ref(), || call(&to));
            }
        });
        Delayed { shared }
    }
}

/// The clock's hold on a call not made yet: dropped unused (its system
/// ended, its entry with it), it tells the caller the call will never be
/// made.
struct Unmade<F: Future>(Option<Arc<Mutex<Stage<F>>>>);

impl<F: Future> Drop for Unmade<F> {
    fn drop(&mut self) {
        let Some(shared) = self.0.take() else {
            return;
        };
        let mut stage = lock(&shared);
        if let Stage::Waiting(waker) = &mut *stage {
            let waker = waker.take();
            *stage = Stage::Ended;
            drop(stage);
            waker.into_iter().for_each(Waker::wake);
        }
    }
}

/// Makes the call (in `frame`, if the caller had one) unless the caller
/// dropped its [`Delayed`] meanwhile, and polls its future once with the
/// caller's waker, if the caller has polled: a request answered later
/// wakes the caller then, and only then. The poll runs in `frame` too (a
/// boxed `async` block may ask before its first await), and a panic in
/// either is the caller's.
fn make<F>(shared: &Mutex<Stage<F>>, frame: Option<&current::Frame>, call: impl FnOnce() -> F)
where
    F: Future + Unpin,
{
    if !matches!(*lock(shared), Stage::Waiting(_)) {
        return;
    }
    // Outside the lock: sending runs the system's code.
    let made = catch_unwind(AssertUnwindSafe(|| in_frame(frame, call)));
    let mut stage = lock(shared);
    let Stage::Waiting(waker) = &mut *stage else {
        // Dropped while it was sent: so is its future.
        return;
    };
    let waker = waker.take();
    let mut future = match made {
        Ok(future) => future,
        Err(panic) => {
            *stage = Stage::Panicked(panic);
            drop(stage);
            waker.into_iter().for_each(Waker::wake);
            return;
        }
    };
    let Some(waker) = waker else {
        // Not polled yet: the caller's first poll polls it.
        *stage = Stage::Sent(future);
        return;
    };
    let polled = catch_unwind(AssertUnwindSafe(|| {
        in_frame(frame, || {
            Pin::new(&mut future).poll(&mut TaskContext::from_waker(&waker))
        })
    }));
    match polled {
        Ok(Poll::Pending) => *stage = Stage::Sent(future),
        Ok(Poll::Ready(answer)) => {
            *stage = Stage::Ready(answer);
            drop(stage);
            waker.wake();
        }
        Err(panic) => {
            *stage = Stage::Panicked(panic);
            drop(stage);
            waker.wake();
        }
    }
}

/// Runs `f` in `frame`, if there is one.
fn in_frame<R>(frame: Option<&current::Frame>, f: impl FnOnce() -> R) -> R {
    match frame {
        Some(frame) => within(frame, f),
        None => f(),
    }
}

impl<T, F: Future<Output = Result<T, Error>> + Unpin> Future for Delayed<F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<T, Error>> {
        let mut stage = lock(&self.shared);
        match std::mem::replace(&mut *stage, Stage::Done) {
            Stage::Waiting(mut waker) => {
                match &waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => waker = Some(cx.waker().clone()),
                }
                *stage = Stage::Waiting(waker);
                Poll::Pending
            }
            Stage::Sent(mut future) => {
                let polled = Pin::new(&mut future).poll(cx);
                if polled.is_pending() {
                    *stage = Stage::Sent(future);
                }
                polled
            }
            Stage::Ready(answer) => Poll::Ready(answer),
            Stage::Ended => Poll::Ready(Err(Error::ShuttingDown)),
            Stage::Panicked(panic) => {
                drop(stage);
                resume_unwind(panic)
            }
            Stage::Done => panic!("`Delayed` polled after it completed"),
        }
    }
}

impl<F: Future> Drop for Delayed<F> {
    fn drop(&mut self) {
        // Not sent yet: never will be. Sent: its future is dropped, outside
        // the lock (dropping an `Ask` may run the system's code).
        let stage = std::mem::replace(&mut *lock(&self.shared), Stage::Done);
        drop(stage);
    }
}

impl<F: Future> std::fmt::Debug for Delayed<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match &*lock(&self.shared) {
            Stage::Waiting(_) => "waiting",
            Stage::Sent(_) => "sent",
            Stage::Ready(_) => "ready",
            Stage::Panicked(_) => "panicked",
            Stage::Ended => "ended",
            Stage::Done => "done",
        };
        f.debug_struct("Delayed").field("stage", &stage).finish()
    }
}
