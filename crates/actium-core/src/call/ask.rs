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

use crate::base::{ActorLabel, Error};
use crate::call::{Awaiting, current};
use crate::host;
use crate::observe::{Event, EventKind, MessageId, Recorder, emit};
use crate::sync::{Answerer, Outcome, Receiver, slot};

/// The slot through which an actor answers one request.
///
/// Dropping it unanswered (the actor stopped, or the message was never
/// handled) gives the caller [`Error::ActorStopped`].
pub struct Reply<R: Send> {
    to: Option<ReplyTo<R>>,
}

/// Where an answer goes.
enum ReplyTo<R: Send> {
    /// A caller in this process, waiting on the slot.
    Slot(Answerer<R>),
    /// A caller on another node: the remote layer encodes the outcome and
    /// sends it back over the connection the request came on. Boxed once
    /// more, so that the pointer is thin: every message of an actor with a
    /// request-reply method carries a `Reply`'s room, and a fat pointer
    /// here made it three words instead of two.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    Remote(Box<Box<dyn Forward<R>>>),
}

/// Hands an outcome to a caller on another node.
pub(crate) trait Forward<R>: Send {
    fn respond(self: Box<Self>, outcome: Outcome<R>);
}

impl<R: Send> Reply<R> {
    pub(crate) fn channel() -> (Self, Receiver<R>) {
        let (answerer, receiver) = slot::channel();
        (
            Reply {
                to: Some(ReplyTo::Slot(answerer)),
            },
            receiver,
        )
    }

    /// A reply slot nobody waits on: for multicasts of request-reply
    /// methods, whose answers are discarded.
    pub(crate) fn detached() -> Self {
        Reply { to: None }
    }

    /// The reply of a request that came from another node.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn remote(respond: Box<dyn Forward<R>>) -> Self {
        Reply {
            to: Some(ReplyTo::Remote(Box::new(respond))),
        }
    }

    fn complete(&mut self, outcome: Outcome<R>) {
        match self.to.take() {
            Some(ReplyTo::Slot(slot)) => {
                let _answered_in_time = slot.complete(outcome);
            }
            Some(ReplyTo::Remote(respond)) => (*respond).respond(outcome),
            None => {}
        }
    }

    /// Answers the request. A caller that gave up (its deadline passed, or
    /// it dropped its [`Ask`]) is not the actor's problem: the value is
    /// dropped.
    pub(crate) fn send(mut self, value: R) {
        self.complete(Outcome::Value(value));
    }

    pub(crate) fn panicked(mut self, message: String) {
        self.complete(Outcome::Panicked(Box::new(message)));
    }

    /// Fails the request with `error` (its call could not be delivered).
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn fail(mut self, error: Error) {
        self.complete(Outcome::Failed(Box::new(error)));
    }

    /// Whether nobody waits for the answer any more: its deadline passed,
    /// or it was answered already.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn is_abandoned(&self) -> bool {
        match &self.to {
            Some(ReplyTo::Slot(slot)) => slot.is_complete(),
            Some(ReplyTo::Remote(_)) => false,
            None => true,
        }
    }
}

impl<R: Send> Drop for Reply<R> {
    fn drop(&mut self) {
        // Answered replies (the usual case) have nothing left to do.
        if self.to.is_some() {
            self.complete(Outcome::Dropped);
        }
    }
}

/// The pending answer of a request-reply call.
///
/// Resolves to the method's return value, or to an [`Error`] if the actor
/// stopped, the method panicked, the deadline passed, or the call could not
/// be sent. The deadline is the method's `#[ask(timeout = "..")]`, else the
/// system's default (5 s unless configured), unless
/// [`timeout`](Ask::timeout) overrides it. It never fires early; a short
/// one (under 200 ms) fires on time, give or take the thread scheduler, and
/// a longer one up to 100 ms late (the deadline sweeper looks at long
/// deadlines every 50 ms: see `docs/ARCHITECTURE.md`).
///
/// `Ask` needs no particular runtime: it can be awaited from any executor,
/// or waited for from plain threads with [`wait`](Ask::wait).
///
/// # Cancel safety
///
/// Dropping an `Ask` does not recall the message: the actor still runs the
/// method and its answer is discarded.
#[must_use = "the call is sent, but its answer is lost unless awaited; use a #[tell] method for fire-and-forget"]
pub struct Ask<R: Send> {
    state: State<R>,
    actor: ActorLabel,
    method: &'static str,
    timeout: Duration,
    /// For an ask from a plain method: keeps the caller's link in the call
    /// chain marked as waiting until this ask ends (see `chain`).
    awaiting: Option<Awaiting>,
    /// While a recorder recorded the request: what recording the caller
    /// giving up on it needs. `None` (one word) otherwise.
    trace: Option<Box<AskTrace>>,
    /// The callee, when its loop stood idle as the call was sent from one
    /// of its system's workers: the first poll may run the request itself
    /// rather than wait for the loop to be woken (see [`Help`]).
    help: Option<Arc<dyn Help>>,
}

/// A callee whose idle loop lets a waiting caller run its request on the
/// caller's thread: the callee's method runs at once, one at a time and
/// in order as ever, and the caller is not suspended and woken. (In tasks
/// mode, waking it costs more than a small method: each wake-up may move
/// a task to the other worker.)
pub(crate) trait Help: Send + Sync {
    /// Runs the caller's request, queued for the callee, while its loop
    /// stands idle, for one unit of the caller's cooperative budget (`cx`).
    /// Does nothing if the loop is busy, this thread is not one of the
    /// callee system's, the request is not the only message queued or not
    /// a plain synchronous method. Returns how long running it took at
    /// least on the callee system's clock (real or virtual, so that a
    /// simulation stays deterministic), for the caller's deadline of
    /// `timeout`: exactly for a short one, coarsely for a long one
    /// (see `host::Stopwatch`), never more than it took.
    fn help(&self, cx: &mut Context<'_>, timeout: Duration) -> Duration;
}

/// A recorded request, as its caller knows it: enough to record the
/// caller's timeout against the request's id.
pub(crate) struct AskTrace {
    pub(crate) id: MessageId,
    pub(crate) from: Option<ActorLabel>,
    pub(crate) recorder: Arc<dyn Recorder>,
}

impl AskTrace {
    /// Records that the caller stopped waiting for the answer.
    #[cold]
    #[inline(never)]
    fn timed_out(&self, to: ActorLabel, method: &'static str, timeout: Duration) {
        let mut event = Event::new(EventKind::Timeout, self.id, method);
        event.from = self.from;
        event.to = Some(to);
        emit(&*self.recorder, event, || {
            Some(format!("no answer in {timeout:?}"))
        });
    }
}

/// A local request's parts besides its callee, from building its envelope
/// until it is queued: the [`Ask`] is made once, whole, when it is known
/// whether the caller may run the request itself (at once for an ask that
/// waits for room, which the caller never runs). An `Ask` made early and
/// moved on is copied wide just after it was written narrow, and the copy
/// waits for those stores (`docs/BENCHMARKS.md`).
pub(crate) struct Sent<R> {
    pub(crate) slot: Receiver<R>,
    pub(crate) timeout: Duration,
    /// Keeps the caller's link in the call chain marked as waiting for as
    /// long as the ask is.
    pub(crate) awaiting: Option<Awaiting>,
    /// The recorded request, so that its timeout is recorded too.
    pub(crate) trace: Option<Box<AskTrace>>,
}

impl<R: Send + 'static> Sent<R> {
    /// The ask of this request to `actor`. With `help`, the first poll
    /// may run the request on the caller's thread if the callee's loop
    /// still stands idle then, and no other such ask was sent on this
    /// thread since (see `current::may_run_now`).
    #[inline(always)]
    pub(crate) fn ask(
        self,
        actor: ActorLabel,
        method: &'static str,
        help: Option<Arc<dyn Help>>,
    ) -> Ask<R> {
        if help.is_some() {
            current::sent(self.slot.id());
        }
        Ask {
            state: State::Sent {
                deadline: host::Registration::default(),
                slot: self.slot,
            },
            actor,
            method,
            timeout: self.timeout,
            awaiting: self.awaiting,
            trace: self.trace,
            help,
        }
    }
}

enum State<R: Send> {
    /// Sent; `deadline` registered once the caller waits (a field rather
    /// than a second variant, so that registering moves nothing). Before
    /// `slot`, so dropped first: a clock that held the deadline lets go of
    /// its reference to the slot while the ask still holds one, and the
    /// slot (with an answer nobody took) is freed by the ask's own drop,
    /// not by the clock.
    Sent {
        deadline: host::Registration,
        slot: Receiver<R>,
    },
    /// Boxed: failures are rare, and keep every `Ask` small.
    Failed(Option<Box<Error>>),
}

impl<R: Send + 'static> Ask<R> {
    /// The ask of a request already queued to `actor` (a remote one, or
    /// the probe's), with no chain link, trace or help.
    pub(crate) fn sent(
        slot: Receiver<R>,
        actor: ActorLabel,
        method: &'static str,
        timeout: Duration,
    ) -> Self {
        let sent = Sent {
            slot,
            timeout,
            awaiting: None,
            trace: None,
        };
        sent.ask(actor, method, None)
    }

    /// Remembers the recorded request, so that its timeout is recorded too.
    pub(crate) fn traced(mut self, trace: Option<Box<AskTrace>>) -> Self {
        self.trace = trace;
        self
    }

    pub(crate) fn failed(error: Error, actor: ActorLabel, method: &'static str) -> Self {
        Ask {
            state: State::Failed(Some(Box::new(error))),
            actor,
            method,
            timeout: Duration::ZERO,
            awaiting: None,
            trace: None,
            help: None,
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
    pub fn wait(mut self) -> Result<R, Error> {
        // Never runs the callee's request on this thread: a synchronous
        // method waiting here may hold a lock the callee's method takes.
        self.help = None;
        // A simulation has one thread: waiting is running it until the
        // answer comes.
        if let Some(simulation) = host::Simulation::driving() {
            return simulation.block_on(self).and_then(|answer| answer);
        }
        // This thread may go on as one of the blocking pool's once it
        // returns (Tokio may move the worker's core away meanwhile): from
        // now on it holds no deadline back (see `host::stop_batching`).
        host::stop_batching();
        tokio::task::block_in_place(|| {
            let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
            let mut cx = Context::from_waker(&waker);
            loop {
                if let Poll::Ready(answer) = self.poll_answer(&mut cx) {
                    return answer;
                }
                // This thread sleeps outside the runtime's park hook. It
                // holds nothing back since `stop_batching` above, unless
                // that found the thread's buffer in use (a drop inside the
                // deadline code that waits): then hand the sweeper what it
                // holds, or no deadline held here fires until it returns.
                host::publish();
                std::thread::park();
            }
        })
    }

    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, Error>> {
        if let State::Failed(error) = &mut self.state {
            let error = error.take();
            return Poll::Ready(Err(error.map_or_else(|| self.stopped(), |error| *error)));
        }
        // Before the slot holds the caller's waker: a request answered here
        // must not wake the task that runs it.
        if self.help.is_some() {
            if let Some(answer) = self.run_callee(cx) {
                return Poll::Ready(answer);
            }
        }
        let State::Sent { slot, deadline } = &mut self.state else {
            return Poll::Pending;
        };
        let outcome = match slot.poll_take(cx) {
            Poll::Ready(outcome) => {
                deadline.end();
                // The caller no longer waits on this call. (A failed ask
                // never carried a chain link.)
                if self.awaiting.is_some() {
                    self.awaiting = None;
                }
                outcome
            }
            Poll::Pending => {
                if !deadline.is_registered() {
                    deadline.register(slot.expiry(), self.timeout);
                }
                return Poll::Pending;
            }
        };
        Poll::Ready(self.answer(outcome))
    }

    /// What the caller gets for `outcome`.
    #[inline(always)]
    fn answer(&mut self, outcome: Outcome<R>) -> Result<R, Error> {
        match outcome {
            Outcome::Value(value) => Ok(value),
            Outcome::Panicked(message) => Err(Error::Panicked {
                actor: self.actor,
                method: self.method,
                message: *message,
            }),
            Outcome::Dropped => Err(self.stopped()),
            Outcome::Expired => {
                if let Some(trace) = self.trace.take() {
                    trace.timed_out(self.actor, self.method, self.timeout);
                }
                Err(Error::Timeout {
                    actor: self.actor,
                    method: self.method,
                    timeout: self.timeout,
                })
            }
            Outcome::Failed(error) => Err(*error),
        }
    }

    /// Runs the request on this thread if the callee's loop still stands
    /// idle (see [`Help`]), and returns the answer if it is in then.
    /// Looked at again here: the ask may be polled elsewhere than where it
    /// was sent (handed to a `block_on`, say), or after others were sent.
    ///
    /// A method run here cannot be cut short at the caller's deadline as
    /// the sweeper cuts a wait: if it ran past the deadline (on the
    /// callee system's clock), the caller gets the timeout it would have
    /// had (a late answer is dropped, as a late answer always is; a panic
    /// or a failure is still told); if no answer came in time, the
    /// deadline is registered for what is left of it.
    #[cold]
    #[inline(never)]
    fn run_callee(&mut self, cx: &mut Context<'_>) -> Option<Result<R, Error>> {
        let (Some(help), State::Sent { slot, deadline }) = (self.help.take(), &mut self.state)
        else {
            return None;
        };
        if slot.is_complete() || !current::may_run_now(slot.id()) {
            return None;
        }
        let took = help.help(cx, self.timeout);
        let late = took > self.timeout;
        let outcome = match slot.poll_take(cx) {
            Poll::Ready(Outcome::Value(_)) if late => Outcome::Expired,
            Poll::Ready(outcome) => outcome,
            Poll::Pending if late => Outcome::Expired,
            Poll::Pending => {
                deadline.register(slot.expiry(), self.timeout.saturating_sub(took));
                return None;
            }
        };
        // The caller no longer waits on this call.
        self.awaiting = None;
        Some(self.answer(outcome))
    }

    fn stopped(&self) -> Error {
        Error::ActorStopped {
            actor: self.actor,
            method: self.method,
        }
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl<R: Send + 'static> Future for Ask<R> {
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `Ask` holds no self-references, so it is `Unpin`.
        self.get_mut().poll_answer(cx)
    }
}
