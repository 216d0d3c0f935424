//! The Savina programs on actix, on its own runtime (a System with one
//! arbiter, as actix users run it): `do_send` where Savina sends, `send`
//! awaited where it awaits a reply, and a `ResponseFuture` where an actor
//! awaits another while its mailbox keeps being served. Savina's two
//! groups, one file each: `micro` and `concurrency`.

mod concurrency;
mod micro;

use tokio::sync::mpsc::UnboundedReceiver;

use super::Savina;
use crate::workload::Measurement;

pub fn run(program: Savina, n: u64) -> Option<Measurement> {
    let system = actix::System::new();
    Some(system.block_on(async move {
        let driver = actix_rt::spawn(async move {
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
        match driver.await {
            Ok(measurement) => measurement,
            Err(error) => panic!("actix failed on {program}: {error}"),
        }
    }))
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
