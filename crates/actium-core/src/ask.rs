//! Request-reply: the reply slot an actor answers through, and the [`Ask`]
//! future its caller awaits.
//!
//! An ask is *sent when the method is called*, not when it is awaited, like
//! a promise: `let a = x.get(); let b = y.get();` runs both calls at once,
//! and awaiting only collects the answers. Awaiting starts the deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use crate::error::Error;
use crate::id::ActorLabel;

/// Why an actor could not produce a value for a request.
pub(crate) enum Fault {
    Panicked(String),
}

type Answer<R> = Result<R, Fault>;

/// The slot through which an actor answers one request.
///
/// Dropping it unanswered (the actor stopped, or the message was never
/// handled) gives the caller [`Error::ActorStopped`].
pub struct Reply<R> {
    tx: oneshot::Sender<Answer<R>>,
}

impl<R> Reply<R> {
    pub(crate) fn channel() -> (Self, oneshot::Receiver<Answer<R>>) {
        let (tx, rx) = oneshot::channel();
        (Reply { tx }, rx)
    }

    /// Answers the request. A caller that gave up (timed out, or dropped its
    /// [`Ask`]) is not an error for the actor, so the result is ignored.
    pub(crate) fn send(self, value: R) {
        let _caller_gone = self.tx.send(Ok(value));
    }

    pub(crate) fn fail(self, fault: Fault) {
        let _caller_gone = self.tx.send(Err(fault));
    }
}

pin_project! {
    /// The pending answer of a request-reply call.
    ///
    /// Resolves to the method's return value, or to an [`Error`] if the
    /// actor stopped, the method panicked, the deadline passed, or the call
    /// could not be sent. The deadline is the method's
    /// `#[ask(timeout = "..")]`, else the system's default (5 s unless
    /// configured), unless [`timeout`](Ask::timeout) overrides it.
    ///
    /// # Cancel safety
    ///
    /// Dropping an `Ask` does not recall the message: the actor still runs
    /// the method and its answer is discarded.
    #[must_use = "the call is sent, but its answer is lost unless awaited; use a #[tell] method for fire-and-forget"]
    pub struct Ask<R> {
        state: State<R>,
        actor: ActorLabel,
        method: &'static str,
        timeout: Duration,
        #[pin]
        sleep: Option<Sleep>,
    }
}

enum State<R> {
    Waiting(oneshot::Receiver<Answer<R>>),
    Failed(Option<Error>),
}

impl<R> Ask<R> {
    pub(crate) fn waiting(
        rx: oneshot::Receiver<Answer<R>>,
        actor: ActorLabel,
        method: &'static str,
        timeout: Duration,
    ) -> Self {
        Ask {
            state: State::Waiting(rx),
            actor,
            method,
            timeout,
            sleep: None,
        }
    }

    pub(crate) fn failed(error: Error, actor: ActorLabel, method: &'static str) -> Self {
        Ask {
            state: State::Failed(Some(error)),
            actor,
            method,
            timeout: Duration::ZERO,
            sleep: None,
        }
    }

    /// Overrides this call's deadline. It runs from the first poll.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Blocks the current thread until the answer arrives or the deadline
    /// passes — for callers outside any async code, such as a plain `fn
    /// main`.
    ///
    /// Inside a task-mode actor this hands the worker thread's other tasks
    /// to another thread first (`tokio::task::block_in_place`), so other
    /// actors keep running; prefer `.await` there all the same.
    ///
    /// # Errors
    ///
    /// The same as awaiting the call.
    pub fn wait(self) -> Result<R, Error> {
        let Ask {
            state,
            actor,
            method,
            timeout,
            ..
        } = self;
        let mut rx = match state {
            State::Waiting(rx) => rx,
            State::Failed(error) => return Err(error.unwrap_or(stopped(actor, method))),
        };
        tokio::task::block_in_place(|| {
            let deadline = std::time::Instant::now().checked_add(timeout);
            let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
            let mut cx = Context::from_waker(&waker);
            loop {
                if let Poll::Ready(answer) = Pin::new(&mut rx).poll(&mut cx) {
                    return settle(answer, actor, method);
                }
                match deadline {
                    Some(deadline) => {
                        let now = std::time::Instant::now();
                        if now >= deadline {
                            return Err(Error::Timeout {
                                actor,
                                method,
                                timeout,
                            });
                        }
                        std::thread::park_timeout(deadline - now);
                    }
                    None => std::thread::park(),
                }
            }
        })
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn stopped(actor: ActorLabel, method: &'static str) -> Error {
    Error::ActorStopped { actor, method }
}

fn settle<R>(
    answer: Result<Answer<R>, oneshot::error::RecvError>,
    actor: ActorLabel,
    method: &'static str,
) -> Result<R, Error> {
    match answer {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(Fault::Panicked(message))) => Err(Error::Panicked {
            actor,
            method,
            message,
        }),
        Err(_dropped_unanswered) => Err(stopped(actor, method)),
    }
}

impl<R> Future for Ask<R> {
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let rx = match this.state {
            State::Waiting(rx) => rx,
            State::Failed(error) => {
                return Poll::Ready(Err(error
                    .take()
                    .unwrap_or(stopped(*this.actor, this.method))));
            }
        };
        if let Poll::Ready(answer) = Pin::new(rx).poll(cx) {
            return Poll::Ready(settle(answer, *this.actor, this.method));
        }
        if this.sleep.is_none() {
            if tokio::runtime::Handle::try_current().is_err() {
                return Poll::Ready(Err(Error::NoRuntime {
                    method: this.method,
                }));
            }
            match Instant::now().checked_add(*this.timeout) {
                Some(deadline) => this.sleep.set(Some(tokio::time::sleep_until(deadline))),
                // A deadline past the end of time is no deadline.
                None => return Poll::Pending,
            }
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            if sleep.poll(cx).is_ready() {
                return Poll::Ready(Err(Error::Timeout {
                    actor: *this.actor,
                    method: this.method,
                    timeout: *this.timeout,
                }));
            }
        }
        Poll::Pending
    }
}
