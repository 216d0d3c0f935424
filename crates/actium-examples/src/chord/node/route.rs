//! How a Chord node reaches the others: the lookup path of Fig. 4
//! (`find_successor`, `find_predecessor`), and the latency each message
//! takes when nodes share one system ([`Config::latency`]).

use std::time::Duration;

use actium::prelude::*;

use super::{ChordNode, Found, LookupError, Peer};
use crate::chord::id::Id;

impl ChordNode {
    /// How long a message from this node to node `to` takes: a draw from
    /// [`Config::latency`], or `None` to send at once.
    pub(super) fn delay(&self, ctx: &mut Context<Self>, to: Id) -> Option<Duration> {
        let (least, most) = self.config.latency?;
        if to == self.id {
            return None;
        }
        let spread = u64::try_from(most.saturating_sub(least).as_nanos()).unwrap_or(u64::MAX);
        Some(least + Duration::from_nanos(ctx.rng().u64(0..=spread)))
    }

    /// Sends a one-way message to `to`, which arrives after the latency
    /// [`delay`](Self::delay) draws: `tell` runs then, from a timer.
    pub(super) fn send<R>(
        &self,
        ctx: &mut Context<Self>,
        to: &Peer,
        tell: impl FnOnce(&ActorRef<ChordNode>) -> R + Send + 'static,
    ) {
        match self.delay(ctx, to.id) {
            None => {
                let _sent = tell(&to.node);
            }
            Some(delay) => {
                let node = to.node.clone();
                let _timer = ctx.later(delay, move |_| tell(&node));
            }
        }
    }
}

/// n.find_successor(id) (Fig. 4): n' = find_predecessor(id); return
/// n'.successor, from the node `this` is. Each call to another node waits
/// at most the node's call timeout.
pub(super) async fn find_successor(
    this: &mut Reentrant<ChordNode>,
    id: Id,
) -> Result<Found, LookupError> {
    let (_n1, successor, hops) = find_predecessor(this, id).await?;
    Ok(Found { successor, hops })
}

/// n.find_predecessor(id) (Fig. 4): from n' = n, move to
/// n'.closest_preceding_finger(id) until id ∈ (n', n'.successor]. Returns
/// n', n'.successor and how many moves it took.
///
/// A finger that does not answer is skipped for the next best one, as §5.2
/// says: "a list of alternate nodes, easily found in the finger table
/// entries preceding that of the failed node" — the closest finger of n'
/// that precedes the failed one.
async fn find_predecessor(
    this: &mut Reentrant<ChordNode>,
    id: Id,
) -> Result<(Peer, Peer, u32), LookupError> {
    let unreachable = |peer: &Peer| LookupError::Unreachable(peer.id);
    let (mut n1, timeout) = this.with(|node| (node.me().clone(), node.config.call_timeout));
    let successor = call(this, n1.id, || n1.node.successor().timeout(timeout)).await;
    let mut successor = successor.map_err(|_| unreachable(&n1))?;
    let mut hops = 0;
    // while (id ∉ (n', n'.successor])
    while !id.between_incl(n1.id, successor.id) {
        // n' = n'.closest_preceding_finger(id)
        let mut before = id;
        loop {
            let next = call(this, n1.id, || {
                n1.node.closest_preceding_finger(before).timeout(timeout)
            });
            let next = next.await.map_err(|_| unreachable(&n1))?;
            if next == n1 {
                return Err(LookupError::NoRoute { at: n1.id, id });
            }
            match call(this, next.id, || next.node.successor().timeout(timeout)).await {
                Ok(next_successor) => {
                    (n1, successor) = (next, next_successor);
                    break;
                }
                Err(_failed) => before = next.id,
            }
        }
        hops += 1;
    }
    Ok((n1, successor, hops))
}

/// A call from the node `this` is to node `to`: the request takes the
/// configured latency to arrive, and the answer as long again to come
/// back (see [`Config::latency`]; nothing when none is set, or `to` is
/// the caller itself).
pub(super) async fn call<F: Future>(
    this: &mut Reentrant<ChordNode>,
    to: Id,
    request: impl FnOnce() -> F,
) -> F::Output {
    travel(this, to).await;
    let answer = request().await;
    travel(this, to).await;
    answer
}

/// Waits as long as one message from the node `this` is to node `to` takes.
async fn travel(this: &mut Reentrant<ChordNode>, to: Id) {
    if let Some(delay) = this.with_context(|node, ctx| node.delay(ctx, to)) {
        actium::sleep(delay).await;
    }
}
