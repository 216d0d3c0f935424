//! The ring benchmark of PARLEY and PyActive: N actors in a ring pass a
//! token around M times, by one-way calls. A mailbox actor waits for the
//! last hop.
//!
//! ```text
//! cargo run --release --example ring -- [nodes] [rounds] [tasks|threads]
//! ```
//!
//! Without a model it runs under both.

use std::time::Instant;

use actium::prelude::*;

struct Node {
    next: Option<ActorRef<Node>>,
}

/// Sent to the waiter when the token has made all its hops.
struct Finished;

#[actor]
impl Node {
    #[tell]
    fn connect(&mut self, next: ActorRef<Node>) {
        self.next = Some(next);
    }

    /// Passes the token on until no hops remain, then reports.
    #[tell]
    fn token(&mut self, hops_left: u64, waiter: ActorRef<Process>) {
        if hops_left == 0 {
            let _ = waiter.send(Finished);
            return;
        }
        if let Some(next) = &self.next {
            // A stopped neighbour ends the run; the waiter then times out.
            let _ = next.token(hops_left - 1, waiter);
        }
    }
}

fn main() -> actium::Result<()> {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(503);
    let rounds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    if nodes == 0 {
        eprintln!("a ring needs at least one node");
        std::process::exit(2);
    }
    let modes = match args.next().as_deref() {
        Some("threads") => vec![Mode::Threads],
        Some("tasks") => vec![Mode::Tasks],
        _ => vec![Mode::Tasks, Mode::Threads],
    };
    for mode in modes {
        run(mode, nodes, rounds)?;
    }
    Ok(())
}

fn run(mode: Mode, nodes: usize, rounds: u64) -> actium::Result<()> {
    let hops = nodes as u64 * rounds;
    actium::launch(mode, async move {
        let ring: Vec<ActorRef<Node>> = (0..nodes).map(|_| Node { next: None }.spawn()).collect();
        for (i, node) in ring.iter().enumerate() {
            node.connect(ring[(i + 1) % nodes].clone())?;
        }
        let waiter = actium::spawn(|mut inbox: Inbox| async move {
            inbox
                .recv_as::<Finished>(std::time::Duration::from_secs(120))
                .await
                .map(|_| ())
        });
        let start = Instant::now();
        ring[0].token(hops, waiter.clone())?;
        let outcome = waiter.stopped().await;
        let elapsed = start.elapsed();
        assert_eq!(outcome, ExitReason::Normal, "the token did not come back");
        println!(
            "ring ({mode:?}): {nodes} actors, {rounds} rounds, {hops} hops in {elapsed:.2?} \
             ({:.0} ns per hop)",
            elapsed.as_nanos() as f64 / hops as f64
        );
        Ok(())
    })
}
