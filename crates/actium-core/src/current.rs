//! The ambient "current actor" of the running task.
//!
//! Calls on an `ActorRef` are plain method calls with no context argument,
//! yet an ask made from inside an actor must carry that actor's call chain.
//! The actor loop therefore runs inside a Tokio task-local [`Frame`] that
//! says which actor is running and on behalf of which chain; `ActorRef`'s
//! ask path reads it. Outside any actor there is no frame, and asks carry no
//! chain.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use crate::chain::{Chain, ChainLink};
use crate::id::ActorLabel;

tokio::task_local! {
    static FRAME: Frame;
}

/// What the running code is: which actor, and on whose behalf.
pub(crate) struct Frame {
    actor: ActorLabel,
    /// Whether the running method keeps the actor from serving others while
    /// it awaits (a plain method) — then its own asks add it to the chain.
    blocking: bool,
    /// The chain of the request being handled.
    incoming: RefCell<Chain>,
    /// `incoming` extended with this actor, built on the first nested ask.
    outgoing: RefCell<Chain>,
}

impl Frame {
    pub(crate) fn new(actor: ActorLabel, blocking: bool, incoming: Chain) -> Self {
        Frame {
            actor,
            blocking,
            incoming: RefCell::new(incoming),
            outgoing: RefCell::new(None),
        }
    }

    fn outgoing(&self) -> Chain {
        if !self.blocking {
            return self.incoming.borrow().clone();
        }
        let mut cache = self.outgoing.borrow_mut();
        if cache.is_none() {
            *cache = Some(Arc::new(ChainLink {
                actor: self.actor,
                parent: self.incoming.borrow().clone(),
            }));
        }
        cache.clone()
    }
}

/// Runs `future` with `frame` as its ambient frame.
pub(crate) fn scope<F: Future>(frame: Frame, future: F) -> impl Future<Output = F::Output> {
    FRAME.scope(frame, future)
}

/// The chain an ask sent from here must carry.
pub(crate) fn outgoing_chain() -> Chain {
    FRAME.try_with(Frame::outgoing).unwrap_or(None)
}

/// Records that the frame now handles a request with `chain`.
pub(crate) fn set_incoming(chain: Chain) {
    let _outside_any_actor = FRAME.try_with(|frame| {
        *frame.incoming.borrow_mut() = chain;
        frame.outgoing.borrow_mut().take();
    });
}

/// The frame for a parallel method started from the current frame: the same
/// actor and incoming chain, but not blocking — while it awaits, its actor
/// serves others, so its own asks do not add the actor to the chain.
pub(crate) fn for_parallel() -> Option<Frame> {
    FRAME
        .try_with(|frame| Frame::new(frame.actor, false, frame.incoming.borrow().clone()))
        .ok()
}
