//! The workloads on Actium, in either execution model.

use std::time::Instant;

use actium::prelude::*;
use tokio::sync::mpsc;

use crate::workload::{Measurement, Workload, check, gather, rss_bytes, rss_per_actor};

#[derive(Default)]
pub struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    pub fn incr(&mut self) {
        self.n += 1;
    }

    #[ask]
    pub fn get(&self) -> u64 {
        self.n
    }
}

/// A pingpong player, or a ring node: passes a counter to its peer until
/// it reaches zero, then reports.
pub struct Hop {
    next: Option<ActorRef<Hop>>,
    done: mpsc::UnboundedSender<()>,
}

#[actor]
impl Hop {
    #[tell]
    pub fn connect(&mut self, next: ActorRef<Hop>) {
        self.next = Some(next);
    }

    #[tell]
    pub fn token(&mut self, remaining: u64) {
        if remaining == 0 {
            let _ = self.done.send(());
        } else if let Some(next) = &self.next {
            let _ = next.token(remaining - 1);
        }
    }
}

/// A calls B, B calls back into A's plain method while A's parallel method
/// waits: the A → B → A chain of the `reentrant` workload.
#[derive(Default)]
pub struct Bouncer {
    bounces: u64,
}

#[actor]
impl Bouncer {
    #[ask(parallel)]
    pub async fn bounce(mut this: Reentrant<Self>, back: ActorRef<Echo>) -> Result<u64, Error> {
        let me = this.myself();
        let seen = back.call_back(me).await??;
        this.with(|bouncer| bouncer.bounces += 1);
        Ok(seen)
    }

    #[ask]
    pub fn bounces(&self) -> u64 {
        self.bounces
    }
}

pub struct Echo;

#[actor]
impl Echo {
    #[ask]
    pub async fn call_back(&self, bouncer: ActorRef<Bouncer>) -> Result<u64, Error> {
        bouncer.bounces().await
    }
}

/// The caller of every workload: an actor, as a program's callers are. In
/// threads mode it has a thread of its own (as `threads-raw`'s caller
/// does); in tasks mode its asks are those of a plain method, which may
/// run an idle callee's request itself (see `docs/ARCHITECTURE.md`, "How
/// an ask flows").
pub struct Caller;

#[actor]
impl Caller {
    #[ask(timeout = "1h")]
    pub async fn measure(&self, workload: Workload, n: u64) -> Result<Measurement, Error> {
        measure(workload, n).await
    }
}

/// An idle actor for the `spawn` workload.
pub struct Idle;

#[actor]
impl Idle {
    #[ask]
    pub fn ping(&self) -> u8 {
        1
    }
}

pub fn run(workload: Workload, n: u64, mode: Mode) -> Option<Measurement> {
    if matches!(workload, Workload::RemoteAsk | Workload::RemoteTell) {
        return super::actium_remote::run(workload, n, mode);
    }
    if matches!(workload, Workload::NatsAsk | Workload::NatsTell) {
        return super::actium_nats::run(workload, n, mode);
    }
    let measured = crate::workload::actium_system(mode)
        .launch(async move { Caller.spawn().measure(workload, n).await? });
    match measured {
        Ok(measurement) => Some(measurement),
        Err(error) => panic!("actium failed on {workload}: {error}"),
    }
}

async fn measure(workload: Workload, n: u64) -> Result<Measurement, Error> {
    Ok(match workload {
        Workload::Ask => {
            let counter = Counter::default().spawn();
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= counter.get().await?;
            }
            let elapsed = start.elapsed();
            check(answers == 0, "ask answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Tell => {
            let counter = Counter::default().spawn();
            let start = Instant::now();
            for _ in 0..n {
                counter.incr()?;
            }
            let count = counter.get().await?;
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n).await?,
        Workload::Ring => hops(503, n).await?,
        Workload::Fanout => {
            let start = Instant::now();
            let actors: Vec<ActorRef<Counter>> =
                (0..n).map(|_| Counter::default().spawn()).collect();
            let answers = gather(actors.iter().map(|actor| actor.get())).await;
            let elapsed = start.elapsed();
            check(answers.iter().all(|a| matches!(a, Ok(0))), "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let actors: Vec<ActorRef<Idle>> = (0..n).map(|_| Idle.spawn()).collect();
            // Every actor has started and can answer.
            check(
                actors[actors.len() - 1].ping().await? == 1,
                "spawned actor answers",
            );
            let elapsed = start.elapsed();
            Measurement {
                ops: n,
                elapsed,
                rss_bytes_per_actor: Some(rss_per_actor(before, n)),
            }
        }
        Workload::Reentrant => {
            let bouncer = Bouncer::default().spawn();
            let echo = Echo.spawn();
            let start = Instant::now();
            for _ in 0..n {
                bouncer.bounce(echo.clone()).await??;
            }
            let elapsed = start.elapsed();
            check(bouncer.bounces().await? == n, "reentrant bounces");
            Measurement::timed(n, elapsed)
        }
        Workload::RemoteAsk
        | Workload::RemoteTell
        | Workload::NatsAsk
        | Workload::NatsTell
        | Workload::Savina(_) => {
            unreachable!("filtered above")
        }
    })
}

/// `n` hops of a token around a ring of `size` actors (2 is pingpong).
async fn hops(size: usize, n: u64) -> Result<Measurement, Error> {
    let (done, mut finished) = mpsc::unbounded_channel();
    let ring: Vec<ActorRef<Hop>> = (0..size)
        .map(|_| {
            Hop {
                next: None,
                done: done.clone(),
            }
            .spawn()
        })
        .collect();
    for (i, hop) in ring.iter().enumerate() {
        hop.connect(ring[(i + 1) % size].clone())?;
    }
    let start = Instant::now();
    ring[0].token(n)?;
    check(finished.recv().await.is_some(), "token came back");
    Ok(Measurement::timed(n, start.elapsed()))
}
