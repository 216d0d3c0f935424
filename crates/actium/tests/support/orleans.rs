//! What the Orleans conformance tests (`orleans_*.rs`) share: bounded
//! waits, the log the actors of a test write to, and the grain under test
//! with the peer that calls it back.
// Each test file that includes this uses only a part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Event, Gate};
use actium::prelude::*;

/// The longest any one step of these tests may take: far above what the
/// work needs, so it only turns a hang into a failure.
pub const BOUND: Duration = Duration::from_secs(20);

/// How long a test watches for something that must *not* happen (a message
/// admitted while the actor is held). Not a speed check: a correct runtime
/// passes however slow the machine is.
pub const GRACE: Duration = Duration::from_millis(100);

/// Awaits `future`, failing the test if it takes longer than [`BOUND`].
pub async fn bounded<F: std::future::IntoFuture>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(BOUND, future.into_future()).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not finish within {BOUND:?}"),
    }
}

/// Fails the test if `event` fires within [`GRACE`].
pub async fn stays_unfired(what: &str, event: &Event) {
    let fired = tokio::time::timeout(GRACE, event.wait()).await.is_ok();
    assert!(!fired, "{what}");
}

/// Suspends once, waking itself at once: unlike `tokio::task::yield_now`,
/// which defers its wake-up inside a Tokio worker, this one is ready again
/// before its poll returns, in both execution models.
pub async fn bounce() {
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
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.lock().expect("log").push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().expect("log").clone()
    }
}

/// The actor under test: plain methods (Orleans' default, non-reentrant
/// requests) and parallel ones (interleaving requests).
#[derive(Default)]
pub struct Grain {
    pub log: Log,
    pub n: u64,
    /// The parallel request inside a turn that must not be interleaved.
    pub owner: Option<u64>,
    /// Plain messages that found a parallel request inside its turn.
    pub overlaps: u32,
    /// Parallel requests started and not yet finished, and the most at once.
    pub active: u32,
    pub most_active: u32,
    /// What ran, as (sender, sequence number), in the order it ran.
    pub seen: Vec<(u64, u64)>,
}

impl Grain {
    /// Spawns a grain that writes to a fresh log, and returns both.
    pub fn spawn_logging() -> (ActorRef<Grain>, Log) {
        let log = Log::default();
        let grain = Grain {
            log: log.clone(),
            ..Grain::default()
        };
        (grain.spawn(), log)
    }
}

#[actor]
impl Grain {
    /// Plain: holds the grain while it waits for another actor.
    #[ask]
    pub async fn hold_on(&mut self, gate: ActorRef<Gate>) -> Result<u64, Error> {
        self.log.push("plain starts");
        let handled = gate.hold().await;
        self.log.push("plain ends");
        handled
    }

    /// Parallel: logs, tells the test it is in, awaits `go`, logs again.
    #[ask(parallel)]
    pub async fn wait_for(
        mut this: Reentrant<Self>,
        name: &'static str,
        entered: Event,
        go: Event,
    ) {
        this.with(|grain| grain.log.push(format!("{name} starts")));
        entered.fire();
        go.wait().await;
        this.with(|grain| grain.log.push(format!("{name} ends")));
    }

    /// Parallel: awaits another actor's plain method.
    #[ask(parallel)]
    pub async fn ask_gate(mut this: Reentrant<Self>, gate: ActorRef<Gate>) -> Result<u64, Error> {
        let handled = gate.hold().await?;
        this.with(|grain| grain.n += 1);
        Ok(handled)
    }

    /// Parallel: asks another grain to wait, and reports how that ended.
    #[ask(parallel)]
    pub async fn ask_grain(
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
    pub async fn turns(mut this: Reentrant<Self>, id: u64, rounds: u32) -> u32 {
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
    pub async fn churn(mut this: Reentrant<Self>) {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        this.with(|grain| grain.n += 1);
    }

    /// Parallel, one-way: keeps the grain's parallel side busy (it wakes
    /// itself at every await) until `until` fires.
    #[tell(parallel)]
    pub async fn spin(mut this: Reentrant<Self>, until: Event) {
        while !until.has_fired() {
            this.with(|grain| grain.n += 1);
            bounce().await;
        }
    }

    /// Parallel, one-way: records its arrival in its first section.
    #[tell(parallel)]
    pub async fn enter(mut this: Reentrant<Self>, sender: u64, seq: u64) {
        this.with(|grain| grain.seen.push((sender, seq)));
        tokio::task::yield_now().await;
    }

    /// Parallel: takes a ticket after an await; the tickets of concurrent
    /// calls must be distinct.
    #[ask(parallel)]
    pub async fn ticket(mut this: Reentrant<Self>) -> u64 {
        tokio::task::yield_now().await;
        this.with(|grain| {
            grain.n += 1;
            grain.n
        })
    }

    /// Parallel: panics after an await, or in the middle of a section.
    #[ask(parallel)]
    pub async fn explode(mut this: Reentrant<Self>, inside_section: bool) -> u64 {
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
    pub async fn call_via(
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
    pub async fn call_via_plain(
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
    pub async fn tell_then_hold(
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
    pub fn note(&mut self, entry: &'static str) {
        self.log.push(entry);
    }

    /// Plain, one-way: records a sender's message, and whether it found a
    /// parallel request inside its turn.
    #[tell]
    pub fn record(&mut self, sender: u64, seq: u64) {
        self.overlaps += u32::from(self.owner.is_some());
        self.seen.push((sender, seq));
    }

    /// Plain: logs and answers the count.
    #[ask]
    pub fn callback(&mut self, entry: &'static str) -> u64 {
        self.log.push(entry);
        self.n
    }

    /// Parallel: the same.
    #[ask(parallel)]
    pub async fn callback_parallel(mut this: Reentrant<Self>, entry: &'static str) -> u64 {
        this.with(|grain| {
            grain.log.push(entry);
            grain.n
        })
    }

    #[tell]
    pub fn incr(&mut self) {
        self.overlaps += u32::from(self.owner.is_some());
        self.n += 1;
    }

    #[ask]
    pub fn n(&self) -> u64 {
        self.n
    }

    /// (plain messages that overlapped a turn, most parallel requests at once)
    #[ask]
    pub fn report(&self) -> (u32, u32) {
        (self.overlaps, self.most_active)
    }

    #[ask]
    pub fn seen(&self) -> Vec<(u64, u64)> {
        self.seen.clone()
    }
}

/// Calls back the grain that called it, from a plain method.
pub struct Peer;

#[actor]
impl Peer {
    #[ask]
    pub async fn call_back(&self, grain: ActorRef<Grain>, to_parallel: bool) -> Result<u64, Error> {
        if to_parallel {
            grain.callback_parallel("callback").await
        } else {
            grain.callback("callback").await
        }
    }

    #[tell]
    pub fn note_back(&self, grain: ActorRef<Grain>) {
        let _ = grain.note("one-way callback");
    }

    #[ask]
    pub fn ping(&self) {}
}

pub fn deadlock_cycle(error: &Error) -> String {
    match error {
        Error::Deadlock { cycle, .. } => cycle.to_string(),
        other => panic!("expected Error::Deadlock, got {other:?}"),
    }
}
