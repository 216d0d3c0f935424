//! The Savina programs on kameo (unbounded mailboxes, like every system
//! here): `tell` where Savina sends, `ask` awaited where it awaits a reply,
//! and a delegated reply (`Context::spawn`) where an actor awaits another
//! while its mailbox keeps being served. Savina's two groups, one file
//! each: `micro` and `concurrency`.

mod concurrency;
mod micro;

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::mailbox;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Savina;
use crate::workload::{Measurement, tokio_runtime};

pub fn run(program: Savina, n: u64) -> Option<Measurement> {
    let runtime = tokio_runtime();
    let driver = runtime.spawn(async move {
        match program {
            Savina::PingPong => micro::pingpong(n).await,
            Savina::Count => micro::count(n).await,
            Savina::ThreadRing => micro::thread_ring(n).await,
            Savina::FjThrput => micro::fj_throughput(n).await,
            Savina::FjCreate => micro::fj_create(n).await,
            Savina::Chameneos => micro::chameneos(n).await,
            Savina::Big => micro::big(n).await,
            Savina::ConcDict => concurrency::concurrent_dictionary(n).await,
            Savina::Banking => concurrency::banking(n).await,
            Savina::Philosophers => concurrency::philosophers(n).await,
        }
    });
    Some(match runtime.block_on(driver) {
        Ok(measurement) => measurement,
        Err(error) => panic!("kameo failed on {program}: {error}"),
    })
}

/// Spawns an actor with an unbounded mailbox.
fn spawn<A: Actor<Args = A>>(actor: A) -> ActorRef<A> {
    A::spawn_with_mailbox(actor, mailbox::unbounded())
}

/// Receives `count` reports and returns them.
async fn reports(mut finished: UnboundedReceiver<u64>, count: usize) -> Vec<u64> {
    let mut all = Vec::with_capacity(count);
    while all.len() < count {
        match finished.recv().await {
            Some(report) => all.push(report),
            None => break,
        }
    }
    all
}
