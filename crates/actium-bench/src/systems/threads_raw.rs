//! The floor of threads mode: hand-written actors that are OS threads, a
//! `std::sync::mpsc` channel as the mailbox and another channel per reply,
//! called from a plain thread — what one thread per actor costs with
//! nothing else on the path.

use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::workload::{Measurement, Workload, check, rss_bytes, rss_per_actor};

enum CounterMsg {
    Incr,
    Get(mpsc::Sender<u64>),
}

fn counter() -> mpsc::Sender<CounterMsg> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut n = 0_u64;
        while let Ok(msg) = rx.recv() {
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

fn get(counter: &mpsc::Sender<CounterMsg>) -> u64 {
    let (tx, rx) = mpsc::channel();
    let _ = counter.send(CounterMsg::Get(tx));
    rx.recv().unwrap_or(u64::MAX)
}

pub fn run(workload: Workload, n: u64) -> Option<Measurement> {
    Some(match workload {
        Workload::Ask => {
            let counter = counter();
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= get(&counter);
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
            let count = get(&counter);
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n),
        Workload::Ring => hops(503, n),
        Workload::Fanout => {
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| counter()).collect();
            // Every request is sent before any answer is awaited.
            let replies: Vec<_> = counters
                .iter()
                .map(|counter| {
                    let (tx, rx) = mpsc::channel();
                    let _ = counter.send(CounterMsg::Get(tx));
                    rx
                })
                .collect();
            let answered = replies.iter().all(|rx| rx.recv() == Ok(0));
            let elapsed = start.elapsed();
            check(answered, "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let counters: Vec<_> = (0..n).map(|_| counter()).collect();
            check(
                get(&counters[counters.len() - 1]) == 0,
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
            return None;
        }
    })
}

/// `n` hops of a token around a ring of `size` threads (2 is pingpong).
fn hops(size: usize, n: u64) -> Measurement {
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let channels: Vec<_> = (0..size).map(|_| mpsc::channel::<u64>()).collect();
    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
    for (i, (_, rx)) in channels.into_iter().enumerate() {
        let next = senders[(i + 1) % size].clone();
        let done = done_tx.clone();
        thread::spawn(move || {
            while let Ok(remaining) = rx.recv() {
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
    check(done_rx.recv().is_ok(), "token came back");
    Measurement::timed(n, start.elapsed())
}
