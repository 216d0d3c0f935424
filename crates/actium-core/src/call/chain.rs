//! Causal call chains, for detecting deadlocks before they happen.
//!
//! Every ask carries the chain of requests waiting for it, and marks the
//! actors among them that are *blocked*: an actor running a plain
//! (non-reentrant) method that awaits an answer cannot serve anything else
//! until that answer comes. If a new ask targets an actor blocked in its
//! own chain, the cycle can never resolve, so the ask fails at once with
//! [`Error::Deadlock`] naming the cycle, instead of hanging until its
//! deadline.
//!
//! A parallel method's ask adds a link too, marked not blocking: a call
//! into its actor is served, so it closes no cycle, but the link names the
//! actor in a cycle that runs through it and, once its ask ends, ends the
//! chain like any other.
//!
//! Chains are linked lists shared with `Arc`, immutable while shared.
//! Each link stands for one ask made from an actor's method, and carries a
//! flag that says whether that ask is still awaited: the caller's
//! [`Ask`](crate::call::Ask) clears it when it is answered, times out, or
//! is dropped. A link whose ask is no longer awaited ends the chain — that
//! request has moved on — so a caller that gave up is never reported in a
//! cycle. Extending a chain costs at most one small allocation per ask
//! made from an actor's method: the first of a method's asks to end hands
//! its link back to the method's frame, and the next ask renews it if
//! nobody else holds it any more ([`ChainLink::renew`]: as when the caller
//! ran the request itself; a loop that served it keeps the chain until its
//! next message). Asks
//! sent from outside any actor, and one-way messages, carry no chain at
//! all.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};

use crate::base::{ActorLabel, Cycle, Error};

/// The chain of blocked actors behind a request; `None` when nobody waits
/// in an actor (a call from outside, or a one-way message).
pub(crate) type Chain = Option<Arc<ChainLink>>;

/// One ask made from an actor's method, and the chain that led to it.
#[derive(Debug)]
pub(crate) struct ChainLink {
    pub(crate) actor: ActorLabel,
    pub(crate) parent: Chain,
    /// Whether `actor` serves nothing else while this ask is awaited (a
    /// plain method's ask), so that a call into it would close a cycle.
    blocking: bool,
    /// Whether the ask this link stands for is still awaited.
    awaited: AtomicBool,
}

impl ChainLink {
    /// The link of a new ask by `actor` on behalf of `parent`; `blocking`
    /// if `actor` serves nothing else until it is answered.
    pub(crate) fn new(actor: ActorLabel, parent: Chain, blocking: bool) -> Self {
        #[cfg(test)]
        CREATED.set(CREATED.get() + 1);
        ChainLink {
            actor,
            parent,
            blocking,
            awaited: AtomicBool::new(true),
        }
    }

    /// Makes `link` stand for a new ask on behalf of `parent`, if nobody
    /// else holds it (its last ask ended and its callee let go of the
    /// chain) and it already extends `parent`: a link nobody else can see
    /// is as good as a new one. Returns whether it did.
    ///
    /// Looks at the count rather than calling `Arc::get_mut`, whose
    /// compare-and-swap is one of the few atomic writes left on an ask's
    /// path: no `Weak` to a link is ever made, so a count of one is the
    /// caller's own reference, and what renewing writes (the awaited flag)
    /// is atomic anyway.
    #[inline]
    pub(crate) fn renew(link: &Arc<ChainLink>, parent: &Chain) -> bool {
        if Arc::strong_count(link) != 1 {
            return false;
        }
        // As `Arc`'s drop does: what the other holders did with the link
        // happened before they let go of it.
        fence(Ordering::Acquire);
        let same_parent = match (&link.parent, parent) {
            (None, None) => true,
            (Some(kept), Some(parent)) => Arc::ptr_eq(kept, parent),
            _ => false,
        };
        if same_parent {
            link.awaited.store(true, Ordering::Relaxed);
        }
        same_parent
    }

    /// Whether this is the link of an ask made from a frame of `actor`
    /// that is `blocking` or not, so that that frame may renew it.
    pub(crate) fn made_by(&self, actor: ActorLabel, blocking: bool) -> bool {
        self.actor.id() == actor.id() && self.blocking == blocking
    }

    /// Whether a call to `target` would wait on this link's actor.
    fn blocks(&self, target: ActorLabel) -> bool {
        self.blocking && self.actor.id() == target.id()
    }

    fn is_awaited(&self) -> bool {
        self.awaited.load(Ordering::Acquire)
    }
}

#[cfg(test)]
thread_local! {
    /// Links made on this thread, for tests of renewal.
    pub(crate) static CREATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Held by the [`Ask`](crate::call::Ask) whose link this is: dropping it (the
/// ask was answered, expired, failed or was dropped) ends the chain there,
/// and hands the link to the frame it is dropped in, if that frame made it
/// (`current::keep_spare`), for its next ask to renew: the link goes back
/// without a count taken and given back.
#[derive(Debug)]
pub(crate) struct Awaiting(Option<Arc<ChainLink>>);

impl Awaiting {
    pub(crate) fn new(link: Arc<ChainLink>) -> Self {
        Awaiting(Some(link))
    }
}

impl Drop for Awaiting {
    fn drop(&mut self) {
        if let Some(link) = self.0.take() {
            link.awaited.store(false, Ordering::Release);
            crate::call::current::keep_spare(link);
        }
    }
}

/// The links of `chain` whose asks are still awaited, innermost first.
fn awaited(chain: &Chain) -> impl Iterator<Item = &ChainLink> {
    std::iter::successors(chain.as_deref(), |link| link.parent.as_deref())
        .take_while(|link| link.is_awaited())
}

/// Fails if `target` is blocked in `chain`, naming the cycle in call order
/// (the target first and last).
#[inline]
pub(crate) fn check(chain: &Chain, target: ActorLabel, method: &'static str) -> Result<(), Error> {
    // Asks from outside any actor carry no chain: no call, no `Error` to
    // write back.
    if chain.is_none() {
        return Ok(());
    }
    check_links(chain, target, method)
}

#[inline(never)]
fn check_links(chain: &Chain, target: ActorLabel, method: &'static str) -> Result<(), Error> {
    if awaited(chain).any(|link| link.blocks(target)) {
        return Err(Error::Deadlock {
            cycle: cycle_through(chain, target),
            method,
        });
    }
    Ok(())
}

fn cycle_through(chain: &Chain, target: ActorLabel) -> Cycle {
    // The chain runs from the innermost caller outwards; the cycle reads in
    // call order, so collect up to the target and reverse.
    let mut actors = Vec::new();
    for link in awaited(chain) {
        actors.push(link.actor);
        if link.blocks(target) {
            break;
        }
    }
    actors.reverse();
    actors.push(target);
    Cycle::new(actors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{ActorId, NodeId};

    fn label(n: u64, name: &'static str) -> ActorLabel {
        ActorLabel::new(ActorId::new(NodeId::from_u64(1), n), name)
    }

    fn link(actor: ActorLabel, parent: Chain) -> Chain {
        Some(Arc::new(ChainLink::new(actor, parent, true)))
    }

    #[test]
    fn empty_chain_never_deadlocks() {
        assert!(check(&None, label(1, "A"), "m").is_ok());
    }

    #[test]
    fn three_actor_cycle_is_named_in_call_order() {
        let (a, b, c) = (label(1, "A"), label(2, "B"), label(3, "C"));
        // A waits on B, B waits on C; C now asks A.
        let chain = link(c, link(b, link(a, None)));
        let err = check(&chain, a, "ping").expect_err("cycle");
        assert_eq!(
            err.to_string(),
            "deadlock: `ping` would close the cycle A#1 → B#2 → C#3 → A#1"
        );
        assert!(check(&chain, label(4, "D"), "ping").is_ok());
    }

    #[test]
    fn a_caller_that_stopped_waiting_ends_the_chain() {
        let (a, b, c) = (label(1, "A"), label(2, "B"), label(3, "C"));
        let a_link = Arc::new(ChainLink::new(a, None, true));
        let chain = link(c, link(b, Some(a_link.clone())));
        assert!(check(&chain, a, "ping").is_err());
        // A's ask timed out: A no longer waits for B, so C asking A closes
        // no cycle (B and C still do wait on each other).
        drop(Awaiting::new(a_link));
        assert!(check(&chain, a, "ping").is_ok());
        assert!(check(&chain, b, "ping").is_err());
    }

    #[test]
    fn a_link_is_renewed_only_when_nobody_else_holds_it_and_for_the_same_parent() {
        let (a, b) = (label(1, "A"), label(2, "B"));
        let parent = link(a, None);
        let kept = Arc::new(ChainLink::new(b, parent.clone(), true));
        let awaiting = Awaiting::new(kept.clone());
        assert!(
            !ChainLink::renew(&kept, &parent),
            "its ask is still awaited"
        );
        drop(awaiting);
        assert!(!kept.is_awaited());
        let held = kept.clone();
        assert!(!ChainLink::renew(&kept, &parent), "a callee holds it");
        drop(held);
        assert!(!ChainLink::renew(&kept, &None), "another parent");
        assert!(!ChainLink::renew(&kept, &link(a, None)), "another parent");
        assert!(ChainLink::renew(&kept, &parent));
        assert!(kept.is_awaited(), "awaited again, as a new link is");
        // Renewed, it closes cycles as a new link would.
        let chain = Some(kept.clone());
        assert!(check(&chain, b, "ping").is_err());
        assert!(check(&chain, a, "ping").is_err());
    }

    #[test]
    fn a_parallel_methods_link_is_named_but_closes_no_cycle() {
        let (a, b, c) = (label(1, "A"), label(2, "B"), label(3, "C"));
        // A (plain) waits on B's parallel method, which waits on C.
        let b_link = Arc::new(ChainLink::new(b, link(a, None), false));
        let chain = link(c, Some(b_link.clone()));
        // B serves calls while its method awaits: no cycle.
        assert!(check(&chain, b, "ping").is_ok());
        // A does not, and the cycle runs through B.
        let err = check(&chain, a, "ping").expect_err("cycle");
        assert_eq!(
            err.to_string(),
            "deadlock: `ping` would close the cycle A#1 → B#2 → C#3 → A#1"
        );
        // B's method gave up on C: C's calls no longer wait on A's behalf.
        drop(Awaiting::new(b_link));
        assert!(check(&chain, a, "ping").is_ok());
    }
}
