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
    /// [`delay`](Self::delay) draws: `tell` runs then
    /// ([`Context::send_after`]: in a simulation, one entry of the virtual
    /// clock).
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
            Some(delay) => ctx.send_after(delay, &to.node, tell),
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
///
/// The messages take their latency as [`call`]'s do, but each answer's
/// way back is waited together with the next request's way out (see
/// [`Trip`]): the same virtual times, half the waits.
async fn find_predecessor(
    this: &mut Reentrant<ChordNode>,
    id: Id,
) -> Result<(Peer, Peer, u32), LookupError> {
    let mut trip = Trip::default();
    let found = walk(this, &mut trip, id).await;
    trip.arrive().await;
    found
}

/// The moves of [`find_predecessor`], the last answer's way back owed in
/// `trip`.
async fn walk(
    this: &mut Reentrant<ChordNode>,
    trip: &mut Trip,
    id: Id,
) -> Result<(Peer, Peer, u32), LookupError> {
    let unreachable = |peer: &Peer| LookupError::Unreachable(peer.id);
    let (mut n1, timeout) = this.with(|node| (node.me().clone(), node.config.call_timeout));
    let successor = trip.call(this, &n1, move |n1| n1.successor().timeout(timeout));
    let mut successor = successor.await.map_err(|_| unreachable(&n1))?;
    let mut hops = 0;
    // while (id ∉ (n', n'.successor])
    while !id.between_incl(n1.id, successor.id) {
        // n' = n'.closest_preceding_finger(id)
        let mut before = id;
        loop {
            let next = trip.call(this, &n1, move |n1| {
                n1.closest_preceding_finger(before).timeout(timeout)
            });
            let next = next.await.map_err(|_| unreachable(&n1))?;
            if next == n1 {
                return Err(LookupError::NoRoute { at: n1.id, id });
            }
            let next_successor =
                trip.call(this, &next, move |next| next.successor().timeout(timeout));
            match next_successor.await {
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

/// The latency a run of calls owes: the last answer's way back, not yet
/// waited. A lookup reads and writes none of the caller's state between
/// an answer's arrival and its next request, so waiting the two together
/// — one timer rather than two — sends every request and uses every
/// answer at the same virtual instant as waiting each apart would. (The
/// latencies are drawn in another order, so a seed's run differs from one
/// that waits them apart, but replays as well.)
#[derive(Default)]
struct Trip {
    owed: Duration,
}

impl Trip {
    /// A call from the node `this` is to node `to`: its request leaves
    /// after the previous answer's way back and its own way out, and its
    /// answer's way back is owed.
    async fn call<T, F>(
        &mut self,
        this: &mut Reentrant<ChordNode>,
        to: &Peer,
        request: impl FnOnce(&ActorRef<ChordNode>) -> F + Send + 'static,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Unpin + Send + 'static,
        T: Send + 'static,
    {
        // The request leaves after the way back still owed and its own way
        // out ([`Context::ask_after`]: in a simulation, from an entry of the
        // virtual clock, the caller woken only by the answer), or at once.
        let delay = std::mem::take(&mut self.owed) + latency(this, to.id);
        let answer = if delay.is_zero() {
            request(&to.node).await
        } else {
            let delayed = this.with_context(|_, ctx| ctx.ask_after(delay, &to.node, request));
            delayed.await
        };
        self.owed = latency(this, to.id);
        answer
    }

    /// Waits what is still owed: the last answer arrives.
    async fn arrive(self) {
        wait(self.owed).await;
    }
}

/// How long one message from the node `this` is to node `to` takes (zero
/// without [`Config::latency`](super::Config::latency)).
fn latency(this: &mut Reentrant<ChordNode>, to: Id) -> Duration {
    this.with_context(|node, ctx| node.delay(ctx, to))
        .unwrap_or_default()
}

/// Sleeps `duration` of the system's time, unless it is zero.
async fn wait(duration: Duration) {
    if !duration.is_zero() {
        actium::sleep(duration).await;
    }
}

/// The nearest successor n can reach from `successor` by walking back:
/// stabilize's step of Fig. 7 — `x = successor.predecessor; if (x ∈ (n,
/// successor)) successor = x` — repeated until no predecessor lies
/// between, a call a step.
///
/// Fig. 7 takes one step a period. A newcomer whose join was answered by
/// a node whose own successor skipped k newer nodes (a young ring, many
/// joining into one gap) then needed k periods to reach its place, and
/// meanwhile its predecessor did not know it and it answered lookups for
/// keys that were not its: at 10,000 nodes and 30-second periods one
/// newcomer was still 8 nodes off its place 400 virtual seconds after
/// joining. Walking back costs one call a node skipped, in one run.
///
/// Returns `None` if `successor` itself does not answer; a closer node
/// that does not answer is passed over for the last one that did.
pub(super) async fn nearest_successor(
    this: &mut Reentrant<ChordNode>,
    n: Id,
    successor: Peer,
) -> Option<Peer> {
    let timeout = this.with(|node| node.config.call_timeout);
    // The last node that answered: a nearer one it named that does not
    // answer is passed over, and the next run starts from there.
    let mut answered = None;
    let mut nearest = successor;
    // Each answer's way back is waited with the next request's way out,
    // as a lookup's are (see [`Trip`]).
    let mut trip = Trip::default();
    let found = loop {
        let x = trip.call(this, &nearest, move |nearest| {
            nearest.predecessor().timeout(timeout)
        });
        match x.await {
            // Each step is strictly nearer n, so the walk ends.
            Ok(Some(x)) if x.id.between(n, nearest.id) => {
                answered = Some(std::mem::replace(&mut nearest, x));
            }
            Ok(_) => break Some(nearest),
            Err(_failed) => break answered,
        }
    };
    trip.arrive().await;
    found
}

/// A call from the node `this` is to node `to`: the request takes the
/// configured latency to arrive, and the answer as long again to come
/// back (see [`Config::latency`]; nothing when none is set, or `to` is
/// the caller itself).
pub(super) async fn call<T, F>(
    this: &mut Reentrant<ChordNode>,
    to: &Peer,
    request: impl FnOnce(&ActorRef<ChordNode>) -> F + Send + 'static,
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>> + Unpin + Send + 'static,
    T: Send + 'static,
{
    let mut trip = Trip::default();
    let answer = trip.call(this, to, request).await;
    trip.arrive().await;
    answer
}
