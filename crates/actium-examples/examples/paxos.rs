//! Single-decree Paxos: three proposers compete to get their own value
//! chosen by five acceptors, of which one has crashed, one is cut off by a
//! partition and one loses a fifth of its messages. A majority is still
//! up, so one value is chosen: every proposer returns it, every learner
//! learns it, and no learner ever sees a second one.
//!
//! ```text
//! cargo run --example paxos [-- seed]
//! ```

use std::process::ExitCode;

use actium::prelude::*;
use actium_examples::paxos::{Cluster, Network};
use futures_util::future::join_all;

fn main() -> ExitCode {
    let seed = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    match actium::launch(Mode::Tasks, run(seed)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("paxos: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(seed: u64) -> actium::Result<bool> {
    let networks = [
        Network::Reliable, // crashed below
        Network::Partitioned,
        Network::Lossy(0.2),
        Network::Reliable,
        Network::Reliable,
    ];
    let cluster = Cluster::seeded(&networks, 3, 3, seed);
    let crashed = &cluster.acceptors.members()[0];
    crashed.kill();
    crashed.stopped().await;
    println!(
        "paxos: 5 acceptors (#0 crashed, #1 partitioned, #2 loses 20% of messages), \
         3 proposers, 3 learners"
    );

    let values = ["apple", "banana", "cherry"].map(String::from);
    let proposals = (cluster.proposers.iter().zip(&values)).map(|(p, v)| p.propose(v.clone()));
    let outcomes = join_all(proposals).await;
    let mut chosen = Vec::new();
    for ((number, proposer), (value, outcome)) in
        (cluster.proposers.iter().enumerate()).zip(values.iter().zip(outcomes))
    {
        let ballots = proposer.ballots().await?;
        match outcome? {
            Ok(agreed) => {
                println!(
                    "paxos: proposer {number} proposed {value:?}; chosen {agreed:?} after {ballots} ballots"
                );
                chosen.push(agreed);
            }
            Err(gave_up) => println!("paxos: proposer {number} proposed {value:?}: {gave_up}"),
        }
    }
    let mut learned = Vec::new();
    for learner in &cluster.learners {
        learned.push(learner.wait().await?);
        chosen.extend(learner.chosen().await?);
    }
    println!("paxos: learners learned {learned:?}");

    let agreement = chosen.windows(2).all(|pair| pair[0] == pair[1]) && chosen.len() == 6;
    let validity = chosen.first().is_some_and(|value| values.contains(value));
    if agreement && validity {
        println!("paxos: agreement on {:?}, a proposed value", chosen[0]);
        Ok(true)
    } else {
        println!("paxos: NO AGREEMENT: {chosen:?}");
        Ok(false)
    }
}
