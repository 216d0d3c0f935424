//! The Savina programs on ractor: `cast` where Savina sends, `call` (an
//! `RpcReplyPort` in the message) awaited where it awaits a reply, and a
//! spawned task holding the reply port where an actor awaits another while
//! its mailbox keeps being served. Savina's two groups, one file each:
//! `micro` and `concurrency`.

mod concurrency;
mod micro;

use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, Message, RpcReplyPort};
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
        Err(error) => panic!("ractor failed on {program}: {error}"),
    })
}

/// Spawns an unnamed actor.
async fn spawn<A: Actor>(actor: A, arguments: A::Arguments) -> ActorRef<A::Msg> {
    match Actor::spawn(None, actor, arguments).await {
        Ok((actor, _handle)) => actor,
        Err(error) => panic!("ractor could not spawn: {error}"),
    }
}

/// A request and its awaited reply; `None` if the actor is gone.
async fn ask<M: Message, R: Send + 'static>(
    actor: &ActorRef<M>,
    request: impl FnOnce(RpcReplyPort<R>) -> M,
) -> Option<R> {
    match actor.call(request, None).await {
        Ok(CallResult::Success(reply)) => Some(reply),
        _ => None,
    }
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
