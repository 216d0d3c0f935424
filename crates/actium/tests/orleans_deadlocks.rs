//! Orleans' call chains, as Actium maps them ("Deadlock detection" in
//! docs/ARCHITECTURE.md): callbacks into suspended methods, cycles of
//! plain methods, and asks that stop counting once dropped. The rest of
//! Orleans' request scheduling is in `orleans_conformance.rs`.
//!
//! Orleans runs a grain's requests one turn at a time: a non-reentrant
//! request holds the grain across its awaits, a reentrant one lets others
//! in at its awaits, and a call-chain cycle into a non-reentrant grain
//! deadlocks. Actium's plain methods are the non-reentrant requests, its
//! `parallel` methods the interleaving ones, and a cycle of plain calls
//! fails at once with `Error::Deadlock`. Where Actium departs on purpose
//! (departures 12–16), these tests pin Actium's side.
//!
//! Every wait is bounded: a hang fails the test instead of stalling it.

#[path = "support/orleans.rs"]
mod orleans;
mod support;

use std::time::Duration;

use actium::prelude::*;
use futures_util::future::join_all;
use orleans::*;
use support::{Event, Gate};

// ---------------------------------------------------------------------------
// Call chains: A → B → A.

#[actium::test]
async fn a_callback_into_a_suspended_parallel_method_is_served_at_its_await() -> actium::Result<()>
{
    // Orleans' call-chain reentrancy: A's request waits on B, B calls A,
    // and A serves the callback while its request is suspended.
    for back_to_parallel in [false, true] {
        let (grain, log) = Grain::spawn_logging();
        grain.incr()?;
        let answer = bounded("A → B → A", grain.call_via(Peer.spawn(), back_to_parallel)).await;
        assert_eq!(answer??, 1);
        assert_eq!(log.entries(), ["call starts", "callback", "call ends"]);
    }
    Ok(())
}

#[actium::test]
async fn many_concurrent_callbacks_into_suspended_parallel_methods_complete() -> actium::Result<()>
{
    let (grain, log) = Grain::spawn_logging();
    let peers: Vec<_> = (0..4).map(|_| Peer.spawn()).collect();
    let calls = join_all((0..200).map(|i| grain.call_via(peers[i % 4].clone(), i % 2 == 0)));
    let answers: Result<Vec<_>, Error> = bounded("the calls", calls).await.into_iter().collect();
    for answer in answers? {
        assert_eq!(answer?, 0);
    }
    let entries = log.entries();
    for entry in ["call starts", "callback", "call ends"] {
        let count = entries.iter().filter(|logged| *logged == entry).count();
        assert_eq!(count, 200, "{entry}");
    }
    Ok(())
}

#[actium::test]
async fn a_callback_into_a_suspended_plain_method_is_a_deadlock_naming_both() -> actium::Result<()>
{
    // Orleans (without call-chain reentrancy) would hang until the call
    // timed out; Actium fails the callback at once (departures 7, 13), and
    // so whatever method it targets: plain or parallel (departure 12).
    for back_to_parallel in [false, true] {
        let (grain, log) = Grain::spawn_logging();
        let peer = Peer.spawn();
        let answer = bounded(
            "A → B → A",
            grain
                .call_via_plain(peer.clone(), back_to_parallel)
                .timeout(BOUND),
        )
        .await?;
        let error = answer.expect_err("a deadlock");
        assert_eq!(
            deadlock_cycle(&error),
            format!("{grain} → {peer} → {grain}")
        );
        // The callback never ran, and A is not wedged.
        assert_eq!(log.entries(), ["plain call starts", "plain call ends"]);
        assert_eq!(bounded("A afterwards", grain.n()).await?, 0);
    }
    Ok(())
}

/// Relays a call along a route of nodes, each hop plain or parallel.
struct Node;

#[derive(Clone, Copy, Debug)]
enum Hop {
    Plain,
    Parallel,
}

type Route = Vec<(ActorRef<Node>, Hop)>;

#[actor]
impl Node {
    #[ask]
    async fn relay(&self, route: Route) -> Result<u32, Error> {
        hop(route).await
    }

    #[ask(parallel)]
    async fn relay_parallel(_this: Reentrant<Self>, route: Route) -> Result<u32, Error> {
        hop(route).await
    }
}

async fn hop(mut route: Route) -> Result<u32, Error> {
    if route.is_empty() {
        return Ok(0);
    }
    let (next, kind) = route.remove(0);
    let hops = match kind {
        Hop::Plain => next.relay(route).await??,
        Hop::Parallel => next.relay_parallel(route).await??,
    };
    Ok(hops + 1)
}

/// Starts a route from outside any actor.
async fn walk(route: Route) -> Result<u32, Error> {
    bounded("the route", hop(route)).await
}

#[actium::test]
async fn three_actor_cycles_of_plain_methods_are_deadlocks_naming_all_three() -> actium::Result<()>
{
    use Hop::{Parallel, Plain};
    let (a, b, c) = (Node.spawn(), Node.spawn(), Node.spawn());
    let route = |kinds: [Hop; 4]| -> Route {
        vec![
            (a.clone(), kinds[0]),
            (b.clone(), kinds[1]),
            (c.clone(), kinds[2]),
            (a.clone(), kinds[3]),
        ]
    };
    let full_cycle = format!("{a} → {b} → {c} → {a}");

    let error = walk(route([Plain, Plain, Plain, Plain]))
        .await
        .expect_err("deadlock");
    assert_eq!(deadlock_cycle(&error), full_cycle);

    // A cycle through a parallel method of B or C is still a deadlock
    // (A is held by its plain method), and names every actor on it.
    for kinds in [
        [Plain, Parallel, Plain, Plain],
        [Plain, Plain, Parallel, Plain],
        [Plain, Parallel, Parallel, Plain],
        // The callback's own kind does not matter: A is held.
        [Plain, Plain, Plain, Parallel],
    ] {
        let error = walk(route(kinds)).await.expect_err("deadlock");
        assert_eq!(deadlock_cycle(&error), full_cycle, "{kinds:?}");
    }

    // Once A's waiting method is parallel, A serves the callback.
    for kinds in [
        [Parallel, Plain, Plain, Plain],
        [Parallel, Parallel, Plain, Parallel],
        [Parallel, Parallel, Parallel, Parallel],
    ] {
        assert_eq!(walk(route(kinds)).await?, 4, "{kinds:?}");
    }
    Ok(())
}

#[actium::test]
async fn a_parallel_method_does_not_put_its_actor_in_the_chain() -> actium::Result<()> {
    use Hop::{Parallel, Plain};
    let (a, b) = (Node.spawn(), Node.spawn());
    // A parallel method calling its own actor is served.
    assert_eq!(
        walk(vec![(a.clone(), Parallel), (a.clone(), Plain)]).await?,
        2
    );
    // B's parallel method waits on A, which calls B again: B serves it.
    let route = vec![
        (b.clone(), Parallel),
        (a.clone(), Plain),
        (b.clone(), Plain),
    ];
    assert_eq!(walk(route).await?, 3);
    // But the chain still runs through it: X (plain) → B (parallel) → X
    // is a deadlock, named with B on it.
    let route = vec![
        (a.clone(), Plain),
        (b.clone(), Parallel),
        (a.clone(), Plain),
    ];
    let error = walk(route).await.expect_err("deadlock");
    assert_eq!(deadlock_cycle(&error), format!("{a} → {b} → {a}"));
    Ok(())
}

/// Asks a callee that calls back once released, gives up on it after
/// `patience`, then waits on `gate` — still serving the request it came
/// with.
struct Middle;

#[actor]
impl Middle {
    #[ask(parallel)]
    async fn route(
        _this: Reentrant<Self>,
        front: ActorRef<Front>,
        slow: ActorRef<Slow>,
        release: Event,
        gave_up: Event,
        gate: ActorRef<Gate>,
    ) -> Result<u64, Error> {
        let outcome = slow
            .call_back(front, release)
            .timeout(Duration::from_millis(50))
            .await;
        assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
        gave_up.fire();
        gate.hold().await
    }
}

/// Waits, in a plain method, on whatever it is given.
#[derive(Default)]
struct Front;

#[actor]
impl Front {
    /// Waits on `middle`, which gives up on `slow` and then waits on `gate`.
    #[ask]
    async fn through_middle(
        &self,
        ctx: &mut Context<Self>,
        middle: ActorRef<Middle>,
        slow: ActorRef<Slow>,
        release: Event,
        gave_up: Event,
        gate: ActorRef<Gate>,
    ) -> Result<u64, Error> {
        middle
            .route(ctx.myself(), slow, release, gave_up, gate)
            .await?
    }

    /// Sends `slow` a request and drops it unanswered, then waits on `gate`.
    #[ask]
    async fn drop_then_hold(
        &self,
        ctx: &mut Context<Self>,
        slow: ActorRef<Slow>,
        release: Event,
        gate: ActorRef<Gate>,
    ) -> Result<u64, Error> {
        drop(slow.call_back(ctx.myself(), release));
        gate.hold().await
    }

    #[ask]
    fn get(&self) -> u64 {
        7
    }
}

/// Calls back once released; keeps the outcome.
struct Slow {
    asked: Event,
    outcome: Option<Result<u64, String>>,
}

/// Spawns a `Slow`, and returns the event it fires once it has asked.
fn spawn_slow() -> (ActorRef<Slow>, Event) {
    let asked = Event::new();
    let slow = Slow {
        asked: asked.clone(),
        outcome: None,
    };
    (slow.spawn(), asked)
}

#[actor]
impl Slow {
    #[ask]
    async fn call_back(&mut self, front: ActorRef<Front>, release: Event) -> u64 {
        release.wait().await;
        // The ask is sent here, and checked for a cycle here.
        let answer = front.get();
        self.asked.fire();
        let outcome = answer.await;
        self.outcome = Some(outcome.clone().map_err(|error| error.to_string()));
        outcome.unwrap_or_default()
    }

    #[ask]
    fn outcome(&self) -> Option<Result<u64, String>> {
        self.outcome.clone()
    }
}

#[actium::test]
async fn a_dropped_ask_no_longer_counts_in_a_cycle() -> actium::Result<()> {
    let front = Front.spawn();
    let (slow, asked) = spawn_slow();
    let (gate, open, gate_entered) = Gate::new();
    let release = Event::new();
    let held = front.drop_then_hold(slow.clone(), release.clone(), gate.spawn());
    bounded("front to wait on the gate", gate_entered.wait()).await;
    // Front no longer waits for `slow`: `slow` calling Front closes no
    // cycle; its call waits until Front's method returns.
    release.fire();
    bounded("slow to ask front", asked.wait()).await;
    open.fire();
    assert_eq!(bounded("front", held).await??, 1);
    assert_eq!(bounded("slow", slow.outcome()).await?, Some(Ok(7)));
    Ok(())
}

#[actium::test]
async fn an_ask_a_parallel_method_gave_up_on_no_longer_counts_in_a_cycle() -> actium::Result<()> {
    // Front (plain) → Middle (parallel) → Slow, and Middle's ask times out.
    // Middle goes on waiting for something else, so Front is still held;
    // but Slow's call to Front is no cycle any more: it is served once
    // Middle and then Front return.
    let front = Front.spawn();
    let (slow, asked) = spawn_slow();
    let (gate, open, gate_entered) = Gate::new();
    let (release, gave_up) = (Event::new(), Event::new());
    let held = front.through_middle(
        Middle.spawn(),
        slow.clone(),
        release.clone(),
        gave_up.clone(),
        gate.spawn(),
    );
    bounded("middle to give up on slow", gave_up.wait()).await;
    bounded("middle to wait on the gate", gate_entered.wait()).await;
    release.fire();
    bounded("slow to ask front", asked.wait()).await;
    open.fire();
    assert_eq!(bounded("front", held).await??, 1);
    assert_eq!(bounded("slow", slow.outcome()).await?, Some(Ok(7)));
    Ok(())
}
