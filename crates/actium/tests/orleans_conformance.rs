//! Orleans' request scheduling, as Actium maps it ("Reentrant methods",
//! "Compared with Orleans" and "Deadlock detection" in
//! docs/ARCHITECTURE.md).
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

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actium::prelude::*;
use futures_util::future::join_all;
use support::{Event, Gate};

/// The longest any one step of these tests may take: far above what the
/// work needs, so it only turns a hang into a failure.
const BOUND: Duration = Duration::from_secs(20);

/// How long a test watches for something that must *not* happen (a message
/// admitted while the actor is held). Not a speed check: a correct runtime
/// passes however slow the machine is.
const GRACE: Duration = Duration::from_millis(100);

/// Awaits `future`, failing the test if it takes longer than [`BOUND`].
async fn bounded<F: std::future::IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(BOUND, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not finish within {BOUND:?}"),
    }
}

/// Fails the test if `event` fires within [`GRACE`].
async fn stays_unfired(what: &str, event: &Event) {
    let fired = tokio::time::timeout(GRACE, event.wait()).await.is_ok();
    assert!(!fired, "{what}");
}

/// Suspends once, waking itself at once: unlike `tokio::task::yield_now`,
/// which defers its wake-up inside a Tokio worker, this one is ready again
/// before its poll returns, in both execution models.
async fn bounce() {
    let mut bounced = false;
    std::future::poll_fn(|cx| {
        if bounced {
            std::task::Poll::Ready(())
        } else {
            bounced = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}

/// What happened, in order, across the actors of one test.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: impl Into<String>) {
        self.0.lock().expect("log").push(entry.into());
    }

    fn entries(&self) -> Vec<String> {
        self.0.lock().expect("log").clone()
    }
}

/// The actor under test: plain methods (Orleans' default, non-reentrant
/// requests) and parallel ones (interleaving requests).
#[derive(Default)]
struct Grain {
    log: Log,
    n: u64,
    /// The parallel request inside a turn that must not be interleaved.
    owner: Option<u64>,
    /// Plain messages that found a parallel request inside its turn.
    overlaps: u32,
    /// Parallel requests started and not yet finished, and the most at once.
    active: u32,
    most_active: u32,
    /// What ran, as (sender, sequence number), in the order it ran.
    seen: Vec<(u64, u64)>,
}

impl Grain {
    fn logging(log: &Log) -> Self {
        Grain {
            log: log.clone(),
            ..Grain::default()
        }
    }
}

#[actor]
impl Grain {
    /// Plain: holds the grain while it waits for another actor.
    #[ask]
    async fn hold_on(&mut self, gate: ActorRef<Gate>) -> Result<u64, Error> {
        self.log.push("plain starts");
        let handled = gate.hold().await;
        self.log.push("plain ends");
        handled
    }

    /// Parallel: logs, tells the test it is in, awaits `go`, logs again.
    #[ask(parallel)]
    async fn wait_for(mut this: Reentrant<Self>, name: &'static str, entered: Event, go: Event) {
        this.with(|grain| grain.log.push(format!("{name} starts")));
        entered.fire();
        go.wait().await;
        this.with(|grain| grain.log.push(format!("{name} ends")));
    }

    /// Parallel: awaits another actor's plain method.
    #[ask(parallel)]
    async fn ask_gate(mut this: Reentrant<Self>, gate: ActorRef<Gate>) -> Result<u64, Error> {
        let handled = gate.hold().await?;
        this.with(|grain| grain.n += 1);
        Ok(handled)
    }

    /// Parallel: asks another grain to wait, and reports how that ended.
    #[ask(parallel)]
    async fn ask_grain(
        _this: Reentrant<Self>,
        other: ActorRef<Grain>,
        entered: Event,
        go: Event,
    ) -> Result<(), Error> {
        other.wait_for("callee", entered, go).await
    }

    /// Parallel, in turns: several sections with no await between them (one
    /// turn, which nothing may interleave), then an await (where others
    /// may). Answers how many times another request was found inside one
    /// of its turns.
    #[ask(parallel)]
    async fn turns(mut this: Reentrant<Self>, id: u64, rounds: u32) -> u32 {
        let mut intrusions = 0;
        this.with(|grain| {
            grain.active += 1;
            grain.most_active = grain.most_active.max(grain.active);
        });
        for _ in 0..rounds {
            this.with(|grain| {
                intrusions += u32::from(grain.owner.is_some());
                grain.owner = Some(id);
            });
            for _ in 0..3 {
                if this.with(|grain| grain.owner) != Some(id) {
                    intrusions += 1;
                }
            }
            this.with(|grain| grain.owner = None);
            tokio::task::yield_now().await;
        }
        this.with(|grain| grain.active -= 1);
        intrusions
    }

    /// Parallel, one-way: yields a few times, then counts.
    #[tell(parallel)]
    async fn churn(mut this: Reentrant<Self>) {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        this.with(|grain| grain.n += 1);
    }

    /// Parallel, one-way: keeps the grain's parallel side busy (it wakes
    /// itself at every await) until `until` fires.
    #[tell(parallel)]
    async fn spin(mut this: Reentrant<Self>, until: Event) {
        while !until.has_fired() {
            this.with(|grain| grain.n += 1);
            bounce().await;
        }
    }

    /// Parallel, one-way: records its arrival in its first section.
    #[tell(parallel)]
    async fn enter(mut this: Reentrant<Self>, sender: u64, seq: u64) {
        this.with(|grain| grain.seen.push((sender, seq)));
        tokio::task::yield_now().await;
    }

    /// Parallel: takes a ticket after an await; the tickets of concurrent
    /// calls must be distinct.
    #[ask(parallel)]
    async fn ticket(mut this: Reentrant<Self>) -> u64 {
        tokio::task::yield_now().await;
        this.with(|grain| {
            grain.n += 1;
            grain.n
        })
    }

    /// Parallel: panics after an await, or in the middle of a section.
    #[ask(parallel)]
    async fn explode(mut this: Reentrant<Self>, inside_section: bool) -> u64 {
        tokio::task::yield_now().await;
        if inside_section {
            this.with(|grain| {
                grain.n += 100;
                panic!("boom in a section")
            })
        } else {
            panic!("boom between sections")
        }
    }

    /// Parallel: calls `peer`, which calls back into this grain.
    #[ask(parallel)]
    async fn call_via(
        mut this: Reentrant<Self>,
        peer: ActorRef<Peer>,
        back_to_parallel: bool,
    ) -> Result<u64, Error> {
        this.with(|grain| grain.log.push("call starts"));
        let me = this.myself();
        let answer = peer.call_back(me, back_to_parallel).await??;
        this.with(|grain| grain.log.push("call ends"));
        Ok(answer)
    }

    /// Plain: the same, holding the grain.
    #[ask]
    async fn call_via_plain(
        &mut self,
        ctx: &mut Context<Self>,
        peer: ActorRef<Peer>,
        back_to_parallel: bool,
    ) -> Result<u64, Error> {
        self.log.push("plain call starts");
        let answer = peer.call_back(ctx.myself(), back_to_parallel).await?;
        self.log.push("plain call ends");
        answer
    }

    /// Plain: sends `peer` a one-way callback, then waits for `gate`.
    #[ask]
    async fn tell_then_hold(
        &mut self,
        ctx: &mut Context<Self>,
        peer: ActorRef<Peer>,
        gate: ActorRef<Gate>,
    ) -> Result<u64, Error> {
        self.log.push("plain starts");
        peer.note_back(ctx.myself())?;
        let handled = gate.hold().await;
        self.log.push("plain ends");
        handled
    }

    /// Plain, one-way.
    #[tell]
    fn note(&mut self, entry: &'static str) {
        self.log.push(entry);
    }

    /// Plain, one-way: records a sender's message, and whether it found a
    /// parallel request inside its turn.
    #[tell]
    fn record(&mut self, sender: u64, seq: u64) {
        self.overlaps += u32::from(self.owner.is_some());
        self.seen.push((sender, seq));
    }

    /// Plain: logs and answers the count.
    #[ask]
    fn callback(&mut self, entry: &'static str) -> u64 {
        self.log.push(entry);
        self.n
    }

    /// Parallel: the same.
    #[ask(parallel)]
    async fn callback_parallel(mut this: Reentrant<Self>, entry: &'static str) -> u64 {
        this.with(|grain| {
            grain.log.push(entry);
            grain.n
        })
    }

    #[tell]
    fn incr(&mut self) {
        self.overlaps += u32::from(self.owner.is_some());
        self.n += 1;
    }

    #[ask]
    fn n(&self) -> u64 {
        self.n
    }

    /// (plain messages that overlapped a turn, most parallel requests at once)
    #[ask]
    fn report(&self) -> (u32, u32) {
        (self.overlaps, self.most_active)
    }

    #[ask]
    fn seen(&self) -> Vec<(u64, u64)> {
        self.seen.clone()
    }
}

/// Calls back the grain that called it, from a plain method.
struct Peer;

#[actor]
impl Peer {
    #[ask]
    async fn call_back(&self, grain: ActorRef<Grain>, to_parallel: bool) -> Result<u64, Error> {
        if to_parallel {
            grain.callback_parallel("callback").await
        } else {
            grain.callback("callback").await
        }
    }

    #[tell]
    fn note_back(&self, grain: ActorRef<Grain>) {
        let _ = grain.note("one-way callback");
    }

    #[ask]
    fn ping(&self) {}
}

fn deadlock_cycle(error: &Error) -> String {
    match error {
        Error::Deadlock { cycle, .. } => cycle.to_string(),
        other => panic!("expected Error::Deadlock, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Plain methods: Orleans' non-reentrant requests.

#[actium::test]
async fn a_plain_method_awaiting_another_actor_admits_nothing_else() -> actium::Result<()> {
    let log = Log::default();
    let grain = Grain::logging(&log).spawn();
    let (gate, open, gate_entered) = Gate::new();
    let plain = grain.hold_on(gate.spawn());
    bounded("the plain method to reach its await", gate_entered.wait()).await;

    // Sent while `hold_on` is suspended: a parallel ask, a plain tell, a
    // plain ask. Orleans would admit none of them into a non-reentrant
    // grain; Actium admits no parallel one either (departure 12).
    let (parallel_entered, go) = (Event::new(), Event::new());
    go.fire();
    let parallel = grain.wait_for("parallel", parallel_entered.clone(), go);
    grain.note("tell")?;
    let ask = grain.callback("ask");
    stays_unfired(
        "a parallel method started while a plain one awaited",
        &parallel_entered,
    )
    .await;
    assert_eq!(log.entries(), ["plain starts"]);

    open.fire();
    assert_eq!(bounded("the plain method", plain).await??, 1);
    bounded("the parallel method", parallel).await?;
    bounded("the plain ask", ask).await?;
    let entries = log.entries();
    assert_eq!(entries[..2], ["plain starts", "plain ends"]);
    let mut rest = entries[2..].to_vec();
    rest.sort();
    assert_eq!(rest, ["ask", "parallel ends", "parallel starts", "tell"]);
    Ok(())
}

#[actium::test]
async fn a_one_way_callback_during_a_plain_await_runs_after_it() -> actium::Result<()> {
    // A → B → A with a one-way callback: no request waits on A, so no
    // deadlock; the callback is queued and runs once A's method returns.
    let log = Log::default();
    let grain = Grain::logging(&log).spawn();
    let peer = Peer.spawn();
    let (gate, open, gate_entered) = Gate::new();
    let held = grain.tell_then_hold(peer.clone(), gate.spawn());
    bounded("the plain method to reach its await", gate_entered.wait()).await;
    // Once the peer answers this, its callback is in A's mailbox.
    bounded("the peer", peer.ping()).await?;
    stays_unfired_in(&log, "one-way callback").await;
    open.fire();
    assert_eq!(bounded("the plain method", held).await??, 1);
    bounded("a probe", grain.callback("probe")).await?;
    assert_eq!(
        log.entries(),
        ["plain starts", "plain ends", "one-way callback", "probe"]
    );
    Ok(())
}

/// Fails the test if `entry` is logged within [`GRACE`].
async fn stays_unfired_in(log: &Log, entry: &str) {
    let _ = tokio::time::timeout(GRACE, std::future::pending::<()>()).await;
    assert!(
        !log.entries().iter().any(|logged| logged == entry),
        "`{entry}` ran while a plain method awaited: {:?}",
        log.entries()
    );
}

#[actium::test]
async fn each_senders_plain_messages_run_in_order_beside_parallel_ones() -> actium::Result<()> {
    let grain = Grain::default().spawn();
    let senders: Vec<_> = (0..4u64)
        .map(|sender| {
            let grain = grain.clone();
            tokio::spawn(async move {
                for seq in 0..250 {
                    grain.record(sender, seq)?;
                    // Parallel work in flight around the plain messages.
                    grain.churn()?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for sender in senders {
        bounded("a sender", sender).await.expect("sender task")?;
    }
    let seen = bounded("seen", grain.seen()).await?;
    assert_eq!(seen.len(), 1000);
    for sender in 0..4 {
        let order: Vec<u64> = seen
            .iter()
            .filter(|(from, _)| *from == sender)
            .map(|(_, seq)| *seq)
            .collect();
        assert_eq!(order, (0..250).collect::<Vec<_>>(), "sender {sender}");
    }
    Ok(())
}

#[actium::test]
async fn a_parallel_method_starts_before_its_senders_next_message() -> actium::Result<()> {
    // Requests start in the order they arrive, as in Orleans: a parallel
    // method's first turn runs before the sender's next message, even when
    // other parallel methods keep the actor busy.
    let grain = Grain::default().spawn();
    let until = Event::new();
    for _ in 0..3 {
        grain.spin(until.clone())?;
    }
    for seq in 0..200 {
        if seq % 2 == 0 {
            grain.enter(0, seq)?;
        } else {
            grain.record(0, seq)?;
        }
    }
    let seen = bounded("seen", grain.seen()).await;
    until.fire();
    let order: Vec<u64> = seen?.into_iter().map(|(_, seq)| seq).collect();
    assert_eq!(order, (0..200).collect::<Vec<_>>());
    Ok(())
}

// ---------------------------------------------------------------------------
// Parallel methods: Orleans' interleaving requests.

#[actium::test]
async fn parallel_methods_interleave_at_their_awaits() -> actium::Result<()> {
    let log = Log::default();
    let grain = Grain::logging(&log).spawn();
    let (a_in, a_go, b_in, b_go) = (Event::new(), Event::new(), Event::new(), Event::new());
    let a = grain.wait_for("a", a_in.clone(), a_go.clone());
    bounded("a to reach its await", a_in.wait()).await;
    let b = grain.wait_for("b", b_in.clone(), b_go.clone());
    bounded("b to start while a awaits", b_in.wait()).await;
    // A plain method runs between their sections too (departure 14).
    bounded("a plain ask", grain.callback("plain")).await?;
    b_go.fire();
    bounded("b", b).await?;
    a_go.fire();
    bounded("a", a).await?;
    assert_eq!(
        log.entries(),
        ["a starts", "b starts", "plain", "b ends", "a ends"]
    );
    Ok(())
}

#[actium::test]
async fn between_two_awaits_a_parallel_method_runs_alone() -> actium::Result<()> {
    let grain = Grain::default().spawn();
    let callers: Vec<_> = (0..4u64)
        .map(|caller| {
            let grain = grain.clone();
            tokio::spawn(async move {
                let turns = join_all((0..25).map(|i| grain.turns(caller * 100 + i, 20)));
                for _ in 0..50 {
                    grain.incr()?;
                }
                let intrusions: Result<Vec<u32>, Error> = turns.await.into_iter().collect();
                Ok::<u32, Error>(intrusions?.into_iter().sum())
            })
        })
        .collect();
    for caller in callers {
        let intrusions = bounded("a caller", caller).await.expect("caller task")?;
        assert_eq!(intrusions, 0, "a turn was interleaved");
    }
    let (overlaps, most_active) = bounded("report", grain.report()).await?;
    assert_eq!(overlaps, 0, "a plain message ran inside a parallel turn");
    assert!(
        most_active > 1,
        "the parallel requests never interleaved ({most_active} at most)"
    );
    assert_eq!(bounded("n", grain.n()).await?, 200);
    Ok(())
}

#[actium::test]
async fn a_thousand_concurrent_parallel_calls_complete_consistently() -> actium::Result<()> {
    let grain = Grain::default().spawn();
    let calls = join_all((0..1000).map(|_| grain.ticket()));
    for _ in 0..100 {
        grain.incr()?;
    }
    let tickets: Result<Vec<u64>, Error> = bounded("the calls", calls).await.into_iter().collect();
    let mut tickets = tickets?;
    tickets.sort_unstable();
    tickets.dedup();
    assert_eq!(tickets.len(), 1000, "two calls took the same ticket");
    assert_eq!(bounded("n", grain.n()).await?, 1100);
    Ok(())
}

// ---------------------------------------------------------------------------
// Call chains: A → B → A.

#[actium::test]
async fn a_callback_into_a_suspended_parallel_method_is_served_at_its_await() -> actium::Result<()>
{
    // Orleans' call-chain reentrancy: A's request waits on B, B calls A,
    // and A serves the callback while its request is suspended.
    for back_to_parallel in [false, true] {
        let log = Log::default();
        let grain = Grain::logging(&log).spawn();
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
    let log = Log::default();
    let grain = Grain::logging(&log).spawn();
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
        let log = Log::default();
        let grain = Grain::logging(&log).spawn();
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
    let asked = Event::new();
    let slow = Slow {
        asked: asked.clone(),
        outcome: None,
    }
    .spawn();
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
    let asked = Event::new();
    let slow = Slow {
        asked: asked.clone(),
        outcome: None,
    }
    .spawn();
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

// ---------------------------------------------------------------------------
// Failures inside and around parallel methods.

#[actium::test]
async fn a_panicking_parallel_method_answers_panicked_and_the_actor_serves_on() -> actium::Result<()>
{
    // Nobody links to or monitors the grain, so it resumes after a panic
    // (departure 2), as an Orleans grain survives an exception.
    for inside_section in [false, true] {
        let log = Log::default();
        let grain = Grain::logging(&log).spawn();
        let (entered, go) = (Event::new(), Event::new());
        let other = grain.wait_for("other", entered.clone(), go.clone());
        bounded("the other call to start", entered.wait()).await;

        let error = bounded("explode", grain.explode(inside_section))
            .await
            .expect_err("panics");
        assert!(
            matches!(&error, Error::Panicked { method: "explode", message, .. } if message.starts_with("boom")),
            "{error:?}"
        );
        // The other parallel call in flight is unharmed, and the state is
        // still lent to it after a panic inside a section.
        go.fire();
        bounded("the other call", other).await?;
        assert_eq!(log.entries(), ["other starts", "other ends"]);
        let expected = if inside_section { 100 } else { 0 };
        assert_eq!(bounded("a plain call", grain.n()).await?, expected);
        assert_eq!(
            bounded("a parallel call", grain.ticket()).await?,
            expected + 1
        );
    }
    Ok(())
}

#[actium::test]
async fn a_parallel_panic_under_a_stop_policy_answers_every_caller() -> actium::Result<()> {
    let grain = Grain::default()
        .spawner()
        .on_panic(PanicPolicy::Stop)
        .spawn();
    let (entered, go) = (Event::new(), Event::new());
    let other = grain.wait_for("other", entered.clone(), go.clone());
    bounded("the other call to start", entered.wait()).await;
    let error = bounded("explode", grain.explode(false))
        .await
        .expect_err("panics");
    assert!(matches!(error, Error::Panicked { .. }), "{error:?}");
    // The call in flight is answered, not left hanging.
    let error = bounded("the other call", other).await.expect_err("stopped");
    assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    assert!(matches!(
        bounded("the exit", grain.stopped()).await,
        ExitReason::Panicked(_)
    ));
    go.fire();
    Ok(())
}

#[actium::test]
async fn a_parallel_method_whose_callee_stops_gets_actor_stopped() -> actium::Result<()> {
    let grain = Grain::default().spawn();
    let callee = Grain::default().spawn();
    let (entered, go) = (Event::new(), Event::new());
    let waiting = grain.ask_grain(callee.clone(), entered.clone(), go.clone());
    bounded("the callee to be waited on", entered.wait()).await;
    callee.stop();
    let outcome = bounded("the caller", waiting).await?;
    assert!(
        matches!(outcome, Err(Error::ActorStopped { .. })),
        "{outcome:?}"
    );
    // A callee that had already stopped answers the same, at once.
    let outcome = bounded("the caller", grain.ask_grain(callee, Event::new(), go)).await?;
    assert!(
        matches!(outcome, Err(Error::ActorStopped { .. })),
        "{outcome:?}"
    );
    // The caller's actor is unharmed.
    assert_eq!(bounded("n", grain.n()).await?, 0);
    Ok(())
}

#[actium::test]
async fn stopping_an_actor_answers_its_parallel_calls_in_flight() -> actium::Result<()> {
    let grain = Grain::default().spawn();
    let (gate, open, gate_entered) = Gate::new();
    let gate = gate.spawn();
    let mut in_flight = Vec::new();
    for _ in 0..10 {
        let entered = Event::new();
        in_flight.push(grain.wait_for("waiting", entered.clone(), Event::new()));
        bounded("a call to start", entered.wait()).await;
    }
    // One more awaits another actor (its ask must not outlive the stop).
    let asking = grain.ask_gate(gate.clone());
    bounded("the ask to reach the gate", gate_entered.wait()).await;
    grain.stop();
    for call in in_flight {
        let error = bounded("a call in flight", call)
            .await
            .expect_err("stopped");
        assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    }
    let error = bounded("the asking call", asking)
        .await
        .expect_err("stopped");
    assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    assert_eq!(
        bounded("the exit", grain.stopped()).await,
        ExitReason::Stopped
    );
    // Calls after the stop are refused the same way.
    let late = bounded("a late call", grain.ticket()).await;
    assert!(matches!(late, Err(Error::ActorStopped { .. })), "{late:?}");
    open.fire();
    assert_eq!(bounded("the gate", gate.handled()).await?, 1);
    Ok(())
}

#[actium::test]
async fn a_stop_lets_a_running_plain_method_finish_but_abandons_parallel_ones() -> actium::Result<()>
{
    // Departure 16: Orleans' deactivation waits for the requests running
    // in the grain; Actium's stop waits only for a plain method that is
    // running, and answers the parallel ones in flight `ActorStopped`.
    let log = Log::default();
    let grain = Grain::logging(&log).spawn();
    let (entered, go) = (Event::new(), Event::new());
    let parallel = grain.wait_for("parallel", entered.clone(), go.clone());
    bounded("the parallel call to start", entered.wait()).await;
    let (gate, open, gate_entered) = Gate::new();
    let plain = grain.hold_on(gate.spawn());
    bounded("the plain call to reach its await", gate_entered.wait()).await;
    grain.stop();
    open.fire();
    assert_eq!(bounded("the plain call", plain).await??, 1);
    let error = bounded("the parallel call", parallel)
        .await
        .expect_err("abandoned");
    assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    assert_eq!(
        bounded("the exit", grain.stopped()).await,
        ExitReason::Stopped
    );
    go.fire();
    assert_eq!(
        log.entries(),
        ["parallel starts", "plain starts", "plain ends"]
    );
    Ok(())
}

/// Stops itself from a parallel method.
struct Quitter;

#[actor]
impl Quitter {
    /// Asks to stop, then awaits `go` before it answers.
    #[ask(parallel)]
    async fn quit_after(mut this: Reentrant<Self>, go: Event) -> u64 {
        this.with_context(|_, ctx| ctx.stop());
        go.wait().await;
        5
    }

    #[ask]
    fn ping(&self) -> u64 {
        1
    }
}

#[actium::test]
async fn a_parallel_method_that_stops_its_actor_still_returns() -> actium::Result<()> {
    // `Context::stop` stops the actor once the current method returns: for
    // a parallel method, once *it* returns — not after whatever the actor
    // happens to handle next, abandoning the method that asked.
    let quitter = Quitter.spawn();
    let go = Event::new();
    let quitting = quitter.quit_after(go.clone());
    // Until then the actor serves as before.
    assert_eq!(bounded("a ping", quitter.ping()).await?, 1);
    go.fire();
    assert_eq!(bounded("the stopping call", quitting).await?, 5);
    assert_eq!(
        bounded("the exit", quitter.stopped()).await,
        ExitReason::Normal
    );
    let late = bounded("a late call", quitter.ping()).await;
    assert!(matches!(late, Err(Error::ActorStopped { .. })), "{late:?}");
    Ok(())
}
