//! Orleans' request scheduling, as Actium maps it ("Reentrant methods"
//! and "Compared with Orleans" in docs/ARCHITECTURE.md): plain and
//! parallel methods, and failures inside and around parallel methods.
//! The call chains and their deadlocks are in `orleans_deadlocks.rs`.
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

use actium::prelude::*;
use futures_util::future::join_all;
use orleans::*;
use support::{Event, Gate};

// ---------------------------------------------------------------------------
// Plain methods: Orleans' non-reentrant requests.

#[actium::test]
async fn a_plain_method_awaiting_another_actor_admits_nothing_else() -> actium::Result<()> {
    let (grain, log) = Grain::spawn_logging();
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
    let (grain, log) = Grain::spawn_logging();
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
    let (grain, log) = Grain::spawn_logging();
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
// Failures inside and around parallel methods.

#[actium::test]
async fn a_panicking_parallel_method_answers_panicked_and_the_actor_serves_on() -> actium::Result<()>
{
    // Nobody links to or monitors the grain, so it resumes after a panic
    // (departure 2), as an Orleans grain survives an exception.
    for inside_section in [false, true] {
        let (grain, log) = Grain::spawn_logging();
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
    let (grain, log) = Grain::spawn_logging();
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
