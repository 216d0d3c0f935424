//! The workloads on kameo (unbounded mailboxes, like every system here).

use std::time::Instant;

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::mailbox;
use kameo::message::{Context, Message};
use tokio::sync::mpsc;

use crate::workload::{
    Measurement, Workload, check, gather, rss_bytes, rss_per_actor, tokio_runtime,
};

#[derive(Actor)]
struct Counter {
    n: u64,
}

struct Incr;
struct Get;

impl Message<Incr> for Counter {
    type Reply = ();

    async fn handle(&mut self, _: Incr, _: &mut Context<Self, Self::Reply>) {
        self.n += 1;
    }
}

impl Message<Get> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _: Get, _: &mut Context<Self, Self::Reply>) -> u64 {
        self.n
    }
}

#[derive(Actor)]
struct Hop {
    next: Option<ActorRef<Hop>>,
    done: mpsc::UnboundedSender<()>,
}

struct Connect(ActorRef<Hop>);
struct Token(u64);

impl Message<Connect> for Hop {
    type Reply = ();

    async fn handle(&mut self, Connect(next): Connect, _: &mut Context<Self, Self::Reply>) {
        self.next = Some(next);
    }
}

impl Message<Token> for Hop {
    type Reply = ();

    async fn handle(&mut self, Token(remaining): Token, _: &mut Context<Self, Self::Reply>) {
        if remaining == 0 {
            let _ = self.done.send(());
        } else if let Some(next) = &self.next {
            let _ = next.tell(Token(remaining - 1)).try_send();
        }
    }
}

fn spawn_counter() -> ActorRef<Counter> {
    Counter::spawn_with_mailbox(Counter { n: 0 }, mailbox::unbounded())
}

pub fn run(workload: Workload, n: u64) -> Option<Measurement> {
    if matches!(
        workload,
        Workload::Reentrant
            | Workload::RemoteAsk
            | Workload::RemoteTell
            | Workload::NatsAsk
            | Workload::NatsTell
    ) {
        return None;
    }
    let runtime = tokio_runtime();
    let caller = runtime.spawn(measure(workload, n));
    Some(match runtime.block_on(caller) {
        Ok(measurement) => measurement,
        Err(error) => panic!("kameo failed on {workload}: {error}"),
    })
}

async fn measure(workload: Workload, n: u64) -> Measurement {
    match workload {
        Workload::Ask => {
            let counter = spawn_counter();
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= counter.ask(Get).await.unwrap_or(1);
            }
            let elapsed = start.elapsed();
            check(answers == 0, "ask answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Tell => {
            let counter = spawn_counter();
            let start = Instant::now();
            for _ in 0..n {
                let _ = counter.tell(Incr).try_send();
            }
            let count = counter.ask(Get).await.unwrap_or(0);
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n).await,
        Workload::Ring => hops(503, n).await,
        Workload::Fanout => {
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| spawn_counter()).collect();
            let answers = gather(counters.iter().map(|c| async move { c.ask(Get).await })).await;
            let elapsed = start.elapsed();
            check(answers.iter().all(|a| matches!(a, Ok(0))), "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| spawn_counter()).collect();
            let last = counters[counters.len() - 1].ask(Get).await;
            check(matches!(last, Ok(0)), "spawned actor answers");
            let elapsed = start.elapsed();
            Measurement {
                ops: n,
                elapsed,
                rss_bytes_per_actor: Some(rss_per_actor(before, n)),
            }
        }
        Workload::Reentrant
        | Workload::RemoteAsk
        | Workload::RemoteTell
        | Workload::NatsAsk
        | Workload::NatsTell
        | Workload::Savina(_) => {
            unreachable!("filtered above")
        }
    }
}

async fn hops(size: usize, n: u64) -> Measurement {
    let (done, mut finished) = mpsc::unbounded_channel();
    let ring: Vec<ActorRef<Hop>> = (0..size)
        .map(|_| {
            Hop::spawn_with_mailbox(
                Hop {
                    next: None,
                    done: done.clone(),
                },
                mailbox::unbounded(),
            )
        })
        .collect();
    for (i, hop) in ring.iter().enumerate() {
        let _ = hop.tell(Connect(ring[(i + 1) % size].clone())).try_send();
    }
    let start = Instant::now();
    let _ = ring[0].tell(Token(n)).try_send();
    check(finished.recv().await.is_some(), "token came back");
    Measurement::timed(n, start.elapsed())
}
