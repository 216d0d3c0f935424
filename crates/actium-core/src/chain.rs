//! Causal call chains, for detecting deadlocks before they happen.
//!
//! Every ask carries the chain of actors that are *blocked* waiting for it:
//! an actor running a plain (non-reentrant) method that awaits an answer
//! cannot serve anything else until that answer comes. If a new ask targets
//! an actor already in its own chain, the cycle can never resolve, so the ask
//! fails at once with [`Error::Deadlock`] naming the cycle, instead of
//! hanging until its deadline.
//!
//! Chains are immutable linked lists shared with `Arc`, so extending one
//! costs one small allocation per handled request that makes nested asks,
//! and asks sent from outside any actor carry no chain at all.

use std::sync::Arc;

use crate::error::{Cycle, Error};
use crate::id::ActorLabel;

/// The chain of blocked actors behind a request; `None` when nobody waits
/// in an actor (a call from outside, or a one-way message).
pub(crate) type Chain = Option<Arc<ChainLink>>;

/// One blocked actor and the chain that led to it.
#[derive(Debug)]
pub(crate) struct ChainLink {
    pub(crate) actor: ActorLabel,
    pub(crate) parent: Chain,
}

/// Fails if `target` is already waiting in `chain`, naming the cycle in call
/// order (the target first and last).
pub(crate) fn check(chain: &Chain, target: ActorLabel, method: &'static str) -> Result<(), Error> {
    let mut link = chain.as_deref();
    while let Some(l) = link {
        if l.actor.id() == target.id() {
            return Err(Error::Deadlock {
                cycle: cycle_through(chain, target),
                method,
            });
        }
        link = l.parent.as_deref();
    }
    Ok(())
}

fn cycle_through(chain: &Chain, target: ActorLabel) -> Cycle {
    // The chain runs from the innermost caller outwards; the cycle reads in
    // call order, so collect up to the target and reverse.
    let mut actors = Vec::new();
    let mut link = chain.as_deref();
    while let Some(l) = link {
        actors.push(l.actor);
        if l.actor.id() == target.id() {
            break;
        }
        link = l.parent.as_deref();
    }
    actors.reverse();
    actors.push(target);
    Cycle::new(actors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{ActorId, NodeId};

    fn label(n: u64, name: &'static str) -> ActorLabel {
        ActorLabel::new(ActorId::new(NodeId::from_u64(1), n), name)
    }

    fn link(actor: ActorLabel, parent: Chain) -> Chain {
        Some(Arc::new(ChainLink { actor, parent }))
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
}
