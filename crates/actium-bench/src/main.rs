//! Quick comparison of Actium against hand-written tokio (work in progress).

use std::time::Instant;

use actium::prelude::*;
use tokio::sync::{mpsc, oneshot};

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self) {
        self.n += 1;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

enum RawMsg {
    Incr,
    Get(oneshot::Sender<u64>),
}

fn raw_counter() -> mpsc::UnboundedSender<RawMsg> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut n = 0_u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                RawMsg::Incr => n += 1,
                RawMsg::Get(reply) => {
                    let _ = reply.send(n);
                }
            }
        }
    });
    tx
}

fn only(which: &str) {
    let n: u64 = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    actium::launch(Mode::Tasks, async move {
        let which = which.to_owned();
        tokio::spawn(async move {
            let c = Counter::default().spawn();
            let raw = raw_counter();
            let start = Instant::now();
            for _ in 0..n {
                if which == "raw" {
                    let (tx, rx) = oneshot::channel();
                    raw.send(RawMsg::Get(tx)).ok();
                    rx.await.ok();
                } else {
                    c.get().await.ok();
                }
            }
            println!(
                "{which}: {:.0} ns/ask",
                start.elapsed().as_nanos() as f64 / n as f64
            );
        })
        .await
        .ok();
        Ok::<(), Error>(())
    })
    .ok();
}

fn main() {
    if let Some(which) = std::env::args().nth(2) {
        return only(&which);
    }
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    for round in 0..3 {
        actium::launch(Mode::Tasks, async move {
            tokio::spawn(async move {
                let raw = raw_counter();
                let start = Instant::now();
                for _ in 0..n {
                    let (tx, rx) = oneshot::channel();
                    raw.send(RawMsg::Get(tx)).ok();
                    rx.await.ok();
                }
                let raw_ask = start.elapsed().as_nanos() as f64 / n as f64;

                let c = Counter::default().spawn();
                let start = Instant::now();
                for _ in 0..n {
                    c.get().await.ok();
                }
                let actium_ask = start.elapsed().as_nanos() as f64 / n as f64;

                let start = Instant::now();
                for _ in 0..n {
                    raw.send(RawMsg::Incr).ok();
                }
                let (tx, rx) = oneshot::channel();
                raw.send(RawMsg::Get(tx)).ok();
                rx.await.ok();
                let raw_tell = start.elapsed().as_nanos() as f64 / n as f64;

                let start = Instant::now();
                for _ in 0..n {
                    c.incr().ok();
                }
                c.get().await.ok();
                let actium_tell = start.elapsed().as_nanos() as f64 / n as f64;
                println!(
                    "round {round}: ask raw {raw_ask:.0} actium {actium_ask:.0} ({:.2}x) | tell raw {raw_tell:.1} actium {actium_tell:.1} ({:.2}x)",
                    actium_ask / raw_ask,
                    actium_tell / raw_tell
                );
            })
            .await
            .ok();
            Ok::<(), Error>(())
        })
        .ok();
    }
}
