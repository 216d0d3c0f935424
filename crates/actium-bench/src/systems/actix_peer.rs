//! The workloads on actix, on its own runtime (a System with one arbiter).

use std::time::Instant;

use actix::prelude::*;
use tokio::sync::mpsc;

use crate::workload::{Measurement, Workload, check, gather, rss_bytes, rss_per_actor};

struct Counter(u64);

impl actix::Actor for Counter {
    type Context = actix::Context<Self>;
}

#[derive(actix::Message)]
#[rtype(result = "()")]
struct Incr;

#[derive(actix::Message)]
#[rtype(result = "u64")]
struct Get;

impl Handler<Incr> for Counter {
    type Result = ();

    fn handle(&mut self, _: Incr, _: &mut Self::Context) {
        self.0 += 1;
    }
}

impl Handler<Get> for Counter {
    type Result = u64;

    fn handle(&mut self, _: Get, _: &mut Self::Context) -> u64 {
        self.0
    }
}

struct Hop {
    next: Option<Addr<Hop>>,
    done: mpsc::UnboundedSender<()>,
}

impl actix::Actor for Hop {
    type Context = actix::Context<Self>;
}

#[derive(actix::Message)]
#[rtype(result = "()")]
struct Connect(Addr<Hop>);

#[derive(actix::Message)]
#[rtype(result = "()")]
struct Token(u64);

impl Handler<Connect> for Hop {
    type Result = ();

    fn handle(&mut self, Connect(next): Connect, _: &mut Self::Context) {
        self.next = Some(next);
    }
}

impl Handler<Token> for Hop {
    type Result = ();

    fn handle(&mut self, Token(remaining): Token, _: &mut Self::Context) {
        if remaining == 0 {
            let _ = self.done.send(());
        } else if let Some(next) = &self.next {
            next.do_send(Token(remaining - 1));
        }
    }
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
    let system = actix::System::new();
    let measurement = system.block_on(async move {
        let caller = actix_rt::spawn(measure(workload, n));
        match caller.await {
            Ok(measurement) => measurement,
            Err(error) => panic!("actix failed on {workload}: {error}"),
        }
    });
    Some(measurement)
}

async fn measure(workload: Workload, n: u64) -> Measurement {
    match workload {
        Workload::Ask => {
            let counter = Counter(0).start();
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= counter.send(Get).await.unwrap_or(1);
            }
            let elapsed = start.elapsed();
            check(answers == 0, "ask answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Tell => {
            let counter = Counter(0).start();
            let start = Instant::now();
            for _ in 0..n {
                counter.do_send(Incr);
            }
            let count = counter.send(Get).await.unwrap_or(0);
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n).await,
        Workload::Ring => hops(503, n).await,
        Workload::Fanout => {
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| Counter(0).start()).collect();
            let answers = gather(counters.iter().map(|c| c.send(Get))).await;
            let elapsed = start.elapsed();
            check(answers.iter().all(|a| matches!(a, Ok(0))), "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| Counter(0).start()).collect();
            let last = counters[counters.len() - 1].send(Get).await;
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
    let ring: Vec<Addr<Hop>> = (0..size)
        .map(|_| {
            Hop {
                next: None,
                done: done.clone(),
            }
            .start()
        })
        .collect();
    for (i, hop) in ring.iter().enumerate() {
        hop.do_send(Connect(ring[(i + 1) % size].clone()));
    }
    let start = Instant::now();
    ring[0].do_send(Token(n));
    check(finished.recv().await.is_some(), "token came back");
    Measurement::timed(n, start.elapsed())
}
