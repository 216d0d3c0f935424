//! The ambient "current actor" of the running task.
//!
//! Calls on an `ActorRef` are plain method calls with no context argument,
//! yet an ask made from inside an actor must carry that actor's call chain.
//! The actor loop therefore runs inside a [`Scoped`] future that publishes
//! its [`Frame`] — which actor runs, on behalf of which chain — in a
//! thread-local for exactly the duration of each poll; `ActorRef`'s ask path
//! reads it. Outside any actor there is no frame, and asks carry no chain.
//!
//! Why not `tokio::task_local!`: it moves the whole value into and out of a
//! `RefCell` on every poll. Publishing a pointer to the pinned frame costs
//! two thread-local writes, and the loop is polled once per batch of
//! messages.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::base::ActorLabel;
use crate::call::{Awaiting, Chain, ChainLink, current};
use crate::observe::{Handling, Recorder, Stamp};

thread_local! {
    /// The frame of the `Scoped` future being polled on this thread, or null.
    static FRAME: Cell<*const Frame> = const { Cell::new(ptr::null()) };
    /// Whether a `blocking` method's body runs on this thread.
    static IN_BLOCKING_BODY: Cell<bool> = const { Cell::new(false) };
    /// Whether an `async` method's future is being polled by its actor's
    /// loop on this thread (and no caller runs another actor's request
    /// here): only then may an ask run its callee's request itself.
    static IN_METHOD_POLL: Cell<bool> = const { Cell::new(false) };
    /// The slot (`Receiver::id`) of the last ask sent on this thread that
    /// may run its callee's request itself.
    static LAST_SENT: Cell<usize> = const { Cell::new(0) };
}

/// What the running code is: which actor, and on whose behalf.
pub(crate) struct Frame {
    actor: ActorLabel,
    /// Whether the running method keeps the actor from serving others while
    /// it awaits (a plain method) — then its own asks mark it blocked in the
    /// chain.
    blocking: bool,
    /// The chain of the request being handled.
    incoming: RefCell<Chain>,
    /// While recording: the message being handled and where events go.
    /// Boxed: only actors of recording systems need it.
    observed: RefCell<Option<Box<Handling>>>,
    /// The link of an ask of this frame that ended while the frame was
    /// polled (its `Awaiting` hands it back, see [`keep_spare`]), kept to
    /// be used again: once the callee has let go of the chain too, nobody
    /// else holds it, and the next ask on behalf of the same request
    /// renews it rather than allocating one.
    spare: Cell<Option<Arc<ChainLink>>>,
}

impl Frame {
    pub(crate) fn new(actor: ActorLabel, blocking: bool, incoming: Chain) -> Self {
        Frame {
            actor,
            blocking,
            incoming: RefCell::new(incoming),
            observed: RefCell::new(None),
            spare: Cell::new(None),
        }
    }

    fn incoming(&self) -> Chain {
        self.incoming.borrow().clone()
    }

    /// The chain of an ask sent from here: a new link for this actor, and
    /// the note that keeps it awaited until the ask ends. A parallel
    /// method's link is not blocking (its actor keeps serving), but it still
    /// ends the chain once its ask ends, and names the actor in a cycle.
    fn outgoing(&self) -> (Chain, Option<Awaiting>) {
        let incoming = self.incoming.borrow();
        let link = match self.spare.take() {
            Some(spare) if ChainLink::renew(&spare, &incoming) => spare,
            _ => Arc::new(ChainLink::new(self.actor, incoming.clone(), self.blocking)),
        };
        (Some(link.clone()), Some(Awaiting::new(link)))
    }

    /// Keeps `link`, whose ask ended here, as the spare if this frame
    /// made it and has none.
    fn keep(&self, link: Arc<ChainLink>) {
        if !link.made_by(self.actor, self.blocking) {
            return;
        }
        // A spare kept already stays; `link` is then dropped.
        let spare = self.spare.take().or(Some(link));
        self.spare.set(spare);
    }
}

pin_project! {
    /// A future run with a frame published for the duration of each poll.
    pub(crate) struct Scoped<F> {
        frame: Frame,
        #[pin]
        future: F,
    }
}

/// Runs `future` with `frame` as its ambient frame.
pub(crate) fn scope<F: Future>(frame: Frame, future: F) -> Scoped<F> {
    Scoped { frame, future }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // The frame lives inside this pinned future, so its address is
        // stable for the whole poll; the guard restores the outer frame
        // (nested scopes: a loop polling its parallel methods) even if the
        // poll unwinds.
        let _restore = Restore(FRAME.replace(ptr::from_ref(this.frame)));
        this.future.poll(cx)
    }
}

/// Runs `f` with `frame` as this thread's frame: a request of another
/// actor run synchronously, on the thread of a caller waiting for it (see
/// `call::Help`). The caller's frame, if any, is restored afterwards, even
/// if `f` unwinds.
#[inline]
pub(crate) fn within<R>(frame: &Frame, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(FRAME.replace(ptr::from_ref(frame)));
    f()
}

struct Restore(*const Frame);

impl Drop for Restore {
    fn drop(&mut self) {
        FRAME.set(self.0);
    }
}

/// Runs `f` on the frame being polled on this thread, if any.
#[inline]
fn with_frame<R>(f: impl FnOnce(&Frame) -> R) -> Option<R> {
    let frame = FRAME.try_with(Cell::get).ok()?;
    // SAFETY: a non-null pointer was published by `Scoped::poll` on this
    // thread and points into that future, which is pinned and being polled
    // right now (the pointer is restored before `poll` returns or unwinds).
    // The reference does not outlive this call: `f` gets it only for the
    // call, and `Frame` is accessed from this thread only.
    let frame = unsafe { frame.as_ref()? };
    Some(f(frame))
}

/// The chain an ask sent from here must carry, and, if it extends it with
/// this actor, the note the ask holds while it is awaited.
#[inline]
pub(crate) fn outgoing_chain() -> (Chain, Option<Awaiting>) {
    with_frame(Frame::outgoing).unwrap_or((None, None))
}

/// Hands the link of an ask that ended to the frame polled here, to be
/// renewed by its next ask (see [`Awaiting`]); dropped if there is no
/// frame or another made it.
#[inline]
pub(crate) fn keep_spare(link: Arc<ChainLink>) {
    with_frame(|frame| frame.keep(link));
}

/// Whether code here, waiting for an answer, may run the callee's request
/// itself (see `call::Help`): only a plain method of an actor, polled by
/// its loop, whose actor serves nothing else until it returns.
///
/// - Not a parallel method: its actor serves other requests while it
///   waits, which its callee might be waiting for.
/// - Not code outside any actor, nor a `blocking` method's body: they may
///   poll the ask by hand (`block_on`, on a thread of the blocking pool)
///   while they hold a lock the callee's method takes, and the caller's
///   thread would then wait for itself. A method's future is `Send`, so it
///   holds no `std` lock guard across the ask's await.
#[inline]
pub(crate) fn waits_plainly() -> bool {
    with_frame(|frame| frame.blocking).unwrap_or(false) && !IN_BLOCKING_BODY.get()
}

/// Whether code here, waiting for an answer, may run the callee's request
/// itself now: [`waits_plainly`], inside a poll of an `async` method's
/// future by its loop ([`polling_method`]), and outside any request run
/// for a caller.
///
/// Not in a synchronous method, which may hold a `std` lock while it
/// waits by hand (`futures::executor::block_on`) for an ask whose callee
/// takes that lock: run on this thread, the callee would wait for its
/// own caller.
#[inline]
pub(crate) fn may_run_callee() -> bool {
    IN_METHOD_POLL.get() && waits_plainly()
}

/// Notes that the ask with slot `id` was sent from here and may run its
/// callee's request itself (see [`may_run_now`]).
#[inline]
pub(crate) fn sent(id: usize) {
    LAST_SENT.set(id);
}

/// Whether the ask with slot `id` may run its callee's request here, at
/// its first poll: as [`may_run_callee`], and only if no other such ask
/// was sent on this thread since. A method that sends several asks and
/// then awaits them together (`join`, `select!`) runs at most the last
/// one's callee here: the others' loops, woken by their pushes, run
/// meanwhile, on other workers if they are free, as without this. Asks
/// sent and awaited one after another each run their callee here. (A
/// slot's address names it only while it lives, and this ask's lives: a
/// match on another thread is an older, freed slot's address reused,
/// which can make one ask of a join run its callee here, as the last one
/// would.)
#[inline]
pub(crate) fn may_run_now(id: usize) -> bool {
    LAST_SENT.get() == id && may_run_callee()
}

/// Polls an `async` method's future (`poll`) as its loop does: asks it
/// awaits may run their callees' requests on this thread (see
/// [`may_run_callee`]).
#[inline]
pub(crate) fn polling_method<R>(poll: impl FnOnce() -> R) -> R {
    let _restore = RestoreMethodPoll(IN_METHOD_POLL.replace(true));
    poll()
}

/// Runs `f`, a request run on a caller's thread (see `call::Help`), during
/// which no ask runs another callee's request here: the methods run so are
/// synchronous, and may wait by hand.
#[inline]
pub(crate) fn running_for_caller<R>(f: impl FnOnce() -> R) -> R {
    let _restore = RestoreMethodPoll(IN_METHOD_POLL.replace(false));
    f()
}

struct RestoreMethodPoll(bool);

impl Drop for RestoreMethodPoll {
    fn drop(&mut self) {
        IN_METHOD_POLL.set(self.0);
    }
}

/// Runs a `blocking` method's body `f`, during which asks it makes never
/// run their callee's requests on this thread (see [`waits_plainly`]).
pub(crate) fn blocking_body<R>(f: impl FnOnce() -> R) -> R {
    let _restore = RestoreBlocking(IN_BLOCKING_BODY.replace(true));
    f()
}

struct RestoreBlocking(bool);

impl Drop for RestoreBlocking {
    fn drop(&mut self) {
        IN_BLOCKING_BODY.set(self.0);
    }
}

/// Records that the frame now handles a request with `chain`.
pub(crate) fn set_incoming(chain: Chain) {
    with_frame(|frame| *frame.incoming.borrow_mut() = chain);
}

/// The frame for a parallel method started from the current frame: the same
/// actor and incoming chain, but not blocking — while it awaits, its actor
/// serves others, so its own asks do not mark the actor blocked.
pub(crate) fn for_parallel() -> Option<Frame> {
    derived(Some(false))
}

/// A copy of the current frame, if any — the same actor, incoming chain,
/// blocking or not, and recorded message — for a call made later on its
/// behalf, outside its poll (`Context::ask_after`, from an entry of the
/// clock), under [`within`].
pub(crate) fn copy() -> Option<Frame> {
    derived(None)
}

/// A frame of the current one's actor, chain and recorded message, blocking
/// as `blocking` says, or as the current one is.
fn derived(blocking: Option<bool>) -> Option<Frame> {
    with_frame(|frame| {
        let blocking = blocking.unwrap_or(frame.blocking);
        let derived = Frame::new(frame.actor, blocking, frame.incoming());
        if let Some(observed) = frame.observed.borrow().as_deref() {
            set_observed(&derived, observed.stamp, observed.recorder.as_ref());
        }
        derived
    })
}

/// Records, while recording, which message the frame now handles (`None`
/// for an unrecorded one) and the recorder of the actor's system.
pub(crate) fn set_handling(stamp: Option<Stamp>, recorder: Option<&Arc<dyn Recorder>>) {
    with_frame(|frame| set_observed(frame, stamp, recorder));
}

fn set_observed(frame: &Frame, stamp: Option<Stamp>, recorder: Option<&Arc<dyn Recorder>>) {
    let mut observed = frame.observed.borrow_mut();
    if stamp.is_none() && recorder.is_none() && observed.is_none() {
        return;
    }
    let observed = observed.get_or_insert_with(|| {
        Box::new(Handling {
            stamp: None,
            recorder: None,
        })
    });
    observed.stamp = stamp;
    // Cloned once per actor, not per message.
    if observed.recorder.is_none() {
        observed.recorder = recorder.cloned();
    }
}

/// Runs `f` with the running actor and what it handles, if code runs in an
/// actor's frame.
pub(crate) fn observing<R>(f: impl FnOnce(ActorLabel, &Handling) -> R) -> Option<R> {
    const NOTHING: Handling = Handling {
        stamp: None,
        recorder: None,
    };
    with_frame(|frame| {
        let observed = frame.observed.borrow();
        f(frame.actor, observed.as_deref().unwrap_or(&NOTHING))
    })
}

/// The recorder and message of the running method, when there is one to
/// record against.
pub(crate) fn handling() -> Option<(ActorLabel, Stamp, Arc<dyn Recorder>)> {
    current::observing(|actor, handling| Some((actor, handling.stamp?, handling.recorder.clone()?)))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{ActorId, NodeId};
    use std::task::Waker;

    fn label(n: u64) -> ActorLabel {
        ActorLabel::new(ActorId::new(NodeId::from_u64(1), n), "T")
    }

    /// The actor at the head of the chain an ask from here would carry.
    fn outgoing() -> Option<ActorLabel> {
        outgoing_chain().0.map(|link| link.actor)
    }

    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        let mut future = std::pin::pin!(future);
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_frame_is_visible_only_while_its_future_is_polled() {
        assert!(outgoing().is_none());
        let seen = poll_once(scope(Frame::new(label(1), true, None), async {
            outgoing()
        }));
        assert_eq!(seen, Poll::Ready(Some(label(1))));
        assert!(outgoing().is_none(), "restored after the poll");
    }

    #[test]
    fn nested_frames_restore_the_outer_one() {
        let outer = scope(Frame::new(label(1), true, None), async {
            let inner = poll_once(scope(Frame::new(label(2), true, None), async {
                outgoing()
            }));
            (inner, outgoing())
        });
        assert_eq!(
            poll_once(outer),
            Poll::Ready((Poll::Ready(Some(label(2))), Some(label(1))))
        );
    }

    #[test]
    fn a_synchronous_frame_is_visible_inside_and_restored_after() {
        let seen = poll_once(scope(Frame::new(label(1), true, None), async {
            let inner = within(&Frame::new(label(2), true, None), outgoing);
            (inner, outgoing())
        }));
        assert_eq!(seen, Poll::Ready((Some(label(2)), Some(label(1)))));
        assert!(outgoing().is_none());
    }

    #[test]
    fn a_panicking_poll_restores_the_frame() {
        let result = std::panic::catch_unwind(|| {
            poll_once(scope(Frame::new(label(3), true, None), async {
                panic!("inside the scope")
            }))
        });
        assert!(result.is_err());
        assert!(outgoing().is_none());
    }

    #[test]
    fn a_parallel_frame_does_not_block_its_actor_in_the_chain() {
        let incoming = Some(Arc::new(ChainLink::new(label(9), None, true)));
        let checks = poll_once(scope(Frame::new(label(1), false, incoming), async {
            let (chain, _awaiting) = outgoing_chain();
            let head = chain.as_ref().map(|link| link.actor);
            (
                head,
                crate::call::check(&chain, label(1), "m").is_ok(),
                crate::call::check(&chain, label(9), "m").is_err(),
            )
        }));
        assert_eq!(checks, Poll::Ready((Some(label(1)), true, true)));
    }

    #[test]
    fn a_frame_reuses_the_link_of_an_ended_ask_and_only_that() {
        use crate::call::chain::CREATED;
        let made = || CREATED.get();
        let links = poll_once(scope(Frame::new(label(1), true, None), async {
            let before = made();
            let (first, awaiting) = outgoing_chain();
            // Still awaited: the next ask needs a link of its own.
            let (second, second_awaiting) = outgoing_chain();
            let two = made() - before;
            drop((first, awaiting, second, second_awaiting));
            // Both ended and let go: the first to end is renewed, awaited again.
            let (third, _awaiting) = outgoing_chain();
            let renewed = made() - before == two;
            let awaited = crate::call::check(&third, label(1), "m").is_err();
            // Another request's chain: a new link, for the new parent.
            set_incoming(Some(Arc::new(ChainLink::new(label(9), None, true))));
            let (fourth, _awaiting) = outgoing_chain();
            let parent = fourth
                .as_ref()
                .and_then(|link| link.parent.as_ref())
                .map(|parent| parent.actor);
            (two, renewed, awaited, parent)
        }));
        assert_eq!(links, Poll::Ready((2, true, true, Some(label(9)))));
    }

    #[test]
    fn an_ended_asks_link_goes_back_only_to_a_frame_that_made_it() {
        use crate::call::chain::CREATED;
        let made = || CREATED.get();
        // Ended outside any frame, in another actor's frame, and in a
        // parallel frame of the same actor: not kept, so the frame's next
        // ask makes a new link each time; ended in its frame: renewed.
        let counts = poll_once(scope(Frame::new(label(1), true, None), async {
            let before = made();
            let (chain, awaiting) = outgoing_chain();
            drop(chain);
            let elsewhere = std::thread::spawn(move || drop(awaiting));
            elsewhere.join().expect("dropped on another thread");
            let (chain, awaiting) = outgoing_chain();
            drop(chain);
            within(&Frame::new(label(2), true, None), || drop(awaiting));
            let (chain, awaiting) = outgoing_chain();
            drop(chain);
            within(&Frame::new(label(1), false, None), || drop(awaiting));
            let (chain, awaiting) = outgoing_chain();
            let new_links = made() - before;
            drop((chain, awaiting));
            let (_chain, _awaiting) = outgoing_chain();
            (new_links, made() - before)
        }));
        assert_eq!(counts, Poll::Ready((4, 4)));
    }
}
