//! `--processes P`: the same ring with one node per process. This program
//! starts itself P times as `chord node`, and drives the ring from here;
//! with `--transport nats` the processes meet through a NATS server (one
//! of the example's own unless `--nats <url>` names one).

use std::time::{Duration, Instant};

use actium::nats::LocalServer;
use actium_examples::chord::{Meeting, NodeCommand, ProcessRing, process::CLUSTER};

use crate::{Args, config_for, lookups_and_keys, report};

/// Starts `count` node processes, waits until their ring is stable, stores
/// and reads keys, kills a fraction of the processes (at least one) with
/// SIGKILL, waits again, and reads every key again.
pub async fn run(count: usize, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let limit = Duration::from_secs(args.settle_limit);
    let command = NodeCommand {
        program: std::env::current_exe()?,
        args: vec!["node".to_owned()],
    };
    // Kept until the run ends: the NATS server of the run, if ours.
    let (meeting, _server) = meeting(&args)?;
    let start = Instant::now();
    let config = config_for(&args, count);
    let mut processes =
        ProcessRing::start_meeting(&command, count, config, args.seed, limit, &meeting).await?;
    let rounds = processes.ring().wait_until_stable(limit).await?;
    println!(
        "chord: {count} node processes joined over {} and stable after {rounds} rounds in {:.2?}",
        args.transport,
        start.elapsed()
    );
    for (id, process) in processes.processes() {
        let url = process.url().unwrap_or_default();
        println!("chord:   node {id}  pid {:>7}  {url}", process.pid());
    }
    let ring = processes.ring();
    let (keys, failed_puts) = ring.store_keys(args.keys).await;
    let missing_before = ring.missing_keys(&keys).await;
    println!(
        "chord: keys stored={} retrieved={}",
        keys.len() - failed_puts,
        keys.len() - missing_before
    );
    let lookups = ring.lookups(args.lookups).await;
    report(ring.len(), &lookups);
    let mut healthy = failed_puts == 0 && missing_before == 0 && lookups.failed == 0;

    let kill = ((count as f64 * args.fail).round() as usize).max(1);
    let killed = Instant::now();
    for _ in 0..kill {
        let victim = processes.ring().random_node().id;
        let pid = (processes.processes())
            .find(|(id, _)| *id == victim)
            .map(|(_, process)| process.pid());
        processes.kill(victim);
        println!(
            "chord: killed node {victim} (pid {}) with SIGKILL",
            pid.unwrap_or_default()
        );
    }
    let ring = processes.ring();
    let rounds = ring.wait_until_stable(limit).await?;
    println!(
        "chord: stable again after {rounds} rounds in {:.2?}",
        killed.elapsed()
    );
    healthy &= lookups_and_keys(ring, &keys, args.lookups).await;
    if !healthy {
        return Err("some lookups, stores or reads failed".into());
    }
    Ok(())
}

/// How the processes meet, and the NATS server this run started, if any.
fn meeting(args: &Args) -> Result<(Meeting, Option<LocalServer>), Box<dyn std::error::Error>> {
    if args.transport != "nats" {
        return Ok((Meeting::Tcp, None));
    }
    let (server, local) = match &args.nats {
        Some(url) => (url.clone(), None),
        None => {
            let local = LocalServer::start()?;
            println!("chord: started nats-server at {}", local.url());
            (local.url(), Some(local))
        }
    };
    let cluster = CLUSTER.to_owned();
    Ok((Meeting::Nats { server, cluster }, local))
}
