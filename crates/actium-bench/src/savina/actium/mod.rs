//! The Savina programs on Actium, in either execution model: `#[tell]`
//! where Savina sends, `#[ask]` where it awaits a reply, and a parallel
//! method where an account awaits another while still taking messages.
//! Savina's two groups, one file each: `micro` (pingpong, counting, thread
//! ring, fork-join, chameneos, big) and `concurrency` (dictionary, bank,
//! philosophers).

mod concurrency;
mod micro;

use actium::prelude::*;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Savina;
use crate::workload::Measurement;
use concurrency::{banking, concurrent_dictionary, philosophers};
use micro::{big, chameneos, count, fj_create, fj_throughput, pingpong, thread_ring};

pub fn run(program: Savina, n: u64, mode: Mode) -> Option<Measurement> {
    let measured = crate::workload::actium_system(mode).launch(async move {
        // The driver is a task of the system, as a real program's actors are.
        let driver = tokio::spawn(measure(program, n));
        match driver.await {
            Ok(measurement) => measurement,
            Err(error) => panic!("the driver task failed: {error}"),
        }
    });
    match measured {
        Ok(measurement) => Some(measurement),
        Err(error) => panic!("actium failed on {program}: {error}"),
    }
}

async fn measure(program: Savina, n: u64) -> Result<Measurement, Error> {
    match program {
        Savina::PingPong => pingpong(n).await,
        Savina::Count => count(n).await,
        Savina::ThreadRing => thread_ring(n).await,
        Savina::FjThrput => fj_throughput(n).await,
        Savina::FjCreate => fj_create(n).await,
        Savina::Chameneos => chameneos(n).await,
        Savina::Big => big(n).await,
        Savina::ConcDict => concurrent_dictionary(n).await,
        Savina::Banking => banking(n).await,
        Savina::Philosophers => philosophers(n).await,
    }
}

/// Receives `count` reports and returns them.
pub(super) async fn reports(mut finished: UnboundedReceiver<u64>, count: usize) -> Vec<u64> {
    let mut all = Vec::with_capacity(count);
    while all.len() < count {
        match finished.recv().await {
            Some(report) => all.push(report),
            None => break,
        }
    }
    all
}
