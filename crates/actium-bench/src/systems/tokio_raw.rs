//! The floor: hand-written Tokio actors, an unbounded `mpsc` mailbox and a
//! `oneshot` per reply — what any Tokio-based actor library builds on.

use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::workload::{
    Measurement, Workload, check, gather, rss_bytes, rss_per_actor, tokio_runtime,
};

enum CounterMsg {
    Incr,
    Get(oneshot::Sender<u64>),
}

fn counter() -> mpsc::UnboundedSender<CounterMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut n = 0_u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                CounterMsg::Incr => n += 1,
                CounterMsg::Get(reply) => {
                    let _ = reply.send(n);
                }
            }
        }
    });
    tx
}

async fn get(counter: &mpsc::UnboundedSender<CounterMsg>) -> u64 {
    let (tx, rx) = oneshot::channel();
    let _ = counter.send(CounterMsg::Get(tx));
    rx.await.unwrap_or(u64::MAX)
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
        Err(error) => panic!("tokio-raw failed on {workload}: {error}"),
    })
}

async fn measure(workload: Workload, n: u64) -> Measurement {
    match workload {
        Workload::Ask => {
            let counter = counter();
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= get(&counter).await;
            }
            let elapsed = start.elapsed();
            check(answers == 0, "ask answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Tell => {
            let counter = counter();
            let start = Instant::now();
            for _ in 0..n {
                let _ = counter.send(CounterMsg::Incr);
            }
            let count = get(&counter).await;
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n).await,
        Workload::Ring => hops(503, n).await,
        Workload::Fanout => {
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| counter()).collect();
            let answers = gather(counters.iter().map(get)).await;
            let elapsed = start.elapsed();
            check(answers.iter().all(|a| *a == 0), "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| counter()).collect();
            check(
                get(&counters[counters.len() - 1]).await == 0,
                "spawned actor answers",
            );
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

/// `n` hops of a token around a ring of `size` tasks (2 is pingpong).
async fn hops(size: usize, n: u64) -> Measurement {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let channels: Vec<_> = (0..size)
        .map(|_| mpsc::unbounded_channel::<u64>())
        .collect();
    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
    for (i, (_, mut rx)) in channels.into_iter().enumerate() {
        let next = senders[(i + 1) % size].clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            while let Some(remaining) = rx.recv().await {
                if remaining == 0 {
                    let _ = done.send(());
                } else {
                    let _ = next.send(remaining - 1);
                }
            }
        });
    }
    let start = Instant::now();
    let _ = senders[0].send(n);
    check(done_rx.recv().await.is_some(), "token came back");
    Measurement::timed(n, start.elapsed())
}
