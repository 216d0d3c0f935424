//! Single-decree Paxos: competing proposers agree on one proposed value
//! even when acceptors crash, are cut off or lose messages; every learner
//! learns that value and no other; without a majority nothing is chosen.

use actium::prelude::*;
use actium_examples::paxos::{Cluster, GaveUp, Network, Proposer, Value};
use futures_util::future::join_all;

/// Runs one proposal per proposer at once, then checks agreement: every
/// proposer returns the same value, it is one of those proposed, and every
/// learner learned it and nothing else. Returns the value.
async fn agree(cluster: &Cluster) -> actium::Result<Value> {
    let proposed: Vec<Value> = (0..cluster.proposers.len())
        .map(|i| format!("value {i}"))
        .collect();
    let proposals = (cluster.proposers.iter().zip(&proposed))
        .map(|(proposer, value)| proposer.propose(value.clone()));
    let outcomes: Vec<Value> = join_all(proposals)
        .await
        .into_iter()
        .map(|outcome| {
            outcome.map(|chosen| chosen.expect("a majority is up: some value is chosen"))
        })
        .collect::<actium::Result<_>>()?;
    let chosen = outcomes[0].clone();
    assert!(
        outcomes.iter().all(|v| *v == chosen),
        "proposers disagree: {outcomes:?}"
    );
    assert!(proposed.contains(&chosen), "{chosen} was never proposed");
    for learner in &cluster.learners {
        assert_eq!(learner.wait().await?, chosen);
        assert_eq!(
            learner.chosen().await?,
            std::slice::from_ref(&chosen),
            "a learner saw two values chosen"
        );
    }
    Ok(chosen)
}

#[actium::test]
async fn competing_proposers_agree_despite_a_crashed_and_a_lossy_acceptor() -> actium::Result<()> {
    let networks = [
        Network::Reliable,
        Network::Reliable,
        Network::Lossy(0.3),
        Network::Reliable,
        Network::Reliable,
    ];
    let mut retried = 0;
    for seed in 0..8 {
        let cluster = Cluster::seeded(&networks, 3, 3, seed);
        let crashed = &cluster.acceptors.members()[0];
        crashed.kill();
        crashed.stopped().await;
        agree(&cluster).await?;
        for proposer in &cluster.proposers {
            retried += usize::from(proposer.ballots().await? > 1);
        }
    }
    // The proposers really competed: some needed more than one ballot.
    assert!(retried > 0);
    Ok(())
}

#[actium::test]
async fn a_partitioned_acceptor_does_not_stop_agreement() -> actium::Result<()> {
    let networks = [Network::Partitioned, Network::Reliable, Network::Reliable];
    for seed in 0..4 {
        agree(&Cluster::seeded(&networks, 2, 2, seed)).await?;
    }
    Ok(())
}

#[actium::test]
async fn every_acceptor_losing_messages_still_agrees() -> actium::Result<()> {
    let networks = [Network::Lossy(0.2); 5];
    for seed in 0..4 {
        agree(&Cluster::seeded(&networks, 3, 2, seed)).await?;
    }
    Ok(())
}

#[actium::test]
async fn a_later_proposal_returns_the_value_already_chosen() -> actium::Result<()> {
    let cluster = Cluster::start(&[Network::Reliable; 3], 2, 1);
    assert_eq!(
        cluster.proposers[0].propose("first".to_owned()).await?,
        Ok("first".to_owned())
    );
    assert_eq!(
        cluster.proposers[1].propose("second".to_owned()).await?,
        Ok("first".to_owned())
    );
    assert_eq!(cluster.learners[0].chosen().await?, ["first"]);
    Ok(())
}

#[actium::test]
async fn without_a_majority_of_acceptors_nothing_is_chosen() -> actium::Result<()> {
    let cluster = Cluster::start(&[Network::Reliable; 3], 0, 1);
    for crashed in &cluster.acceptors.members()[..2] {
        crashed.kill();
        crashed.stopped().await;
    }
    let proposer = Proposer::new(0, cluster.acceptors.clone(), 1)
        .attempts(3)
        .spawn();
    assert_eq!(
        proposer.propose("lonely".to_owned()).await?,
        Err(GaveUp { attempts: 3 })
    );
    assert!(cluster.learners[0].chosen().await?.is_empty());
    Ok(())
}
