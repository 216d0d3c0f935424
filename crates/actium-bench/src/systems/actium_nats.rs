//! The NATS workloads on Actium: two nodes, in two processes, meeting
//! through one `nats-server` started for the run; the client calls the
//! same actor as the TCP remote workloads through a reference obtained by
//! URL, with the same method calls.

use std::time::{Duration, Instant};

use actium::nats::NatsNode;
use actium::prelude::*;
use tokio::sync::oneshot;

use crate::systems::actium_remote::Target;
use crate::systems::nats_peer::{CLUSTER, Peer, Ready, local_server};
use crate::workload::{Measurement, Workload, check};

/// How long a tell waits before it tries again on a full outbox.
const BACKOFF: Duration = Duration::from_micros(200);

/// The serving side: a node with `target` registered; its line is the
/// target's URL.
pub fn serve(url: String, ready: Ready, stop: oneshot::Receiver<()>) {
    let served = crate::workload::actium_system(Mode::Tasks).launch(async move {
        let node = NatsNode::builder()
            .server(url)
            .cluster(CLUSTER)
            .start()
            .await?;
        node.register("target", &Target::default().spawn())?;
        ready(node.url("target"));
        let _ = stop.await;
        node.shutdown();
        Ok::<(), actium::Error>(())
    });
    if let Err(error) = served {
        panic!("the actium NATS server failed: {error}");
    }
}

/// Whether a tell was refused because the node's outbox is full (256 MiB
/// waiting for the receiver's credit or for NATS): the backpressure the
/// tell burst waits out. `Error::NodeDown` saying so; `Error::MailboxFull`
/// if that becomes its error.
fn outbox_full(error: &Error) -> bool {
    match error {
        Error::MailboxFull { .. } => true,
        Error::NodeDown { reason, .. } => reason.contains("outbox is full"),
        _ => false,
    }
}

pub fn run(workload: Workload, n: u64, mode: Mode) -> Option<Measurement> {
    let server = local_server(workload)?;
    let peer = Peer::start("serve-nats", serve, &server.url());
    let (url, target_url) = (server.url(), peer.line.clone());
    let measured = crate::workload::actium_system(mode).launch(async move {
        let node = NatsNode::builder()
            .server(url)
            .cluster(CLUSTER)
            .start()
            .await?;
        let target = node.lookup::<Target>(&target_url).await?;
        // The caller is a task of the system, as a real program's actors are.
        let caller = tokio::spawn(async move {
            let (mut retries, mut arrived) = (0_u64, n);
            let start = Instant::now();
            match workload {
                Workload::NatsAsk => {
                    for i in 0..n {
                        check(target.echo(i).await? == i, "echoed value");
                    }
                }
                _ => {
                    for i in 0..n {
                        loop {
                            match target.count(i) {
                                Ok(()) => break,
                                Err(error) if outbox_full(&error) => {
                                    retries += 1;
                                    tokio::time::sleep(BACKOFF).await;
                                }
                                Err(error) => return Err(error),
                            }
                        }
                    }
                    arrived = target.tells().timeout(Duration::from_secs(120)).await?;
                }
            }
            let measurement = Measurement::timed(n, start.elapsed());
            Ok::<_, actium::Error>((measurement, retries, arrived))
        });
        let measured = match caller.await {
            Ok(measured) => measured,
            Err(error) => panic!("the caller task failed: {error}"),
        };
        node.shutdown();
        measured
    });
    drop(peer);
    drop(server);
    match measured {
        Ok((measurement, retries, arrived)) => {
            if workload == Workload::NatsTell {
                eprintln!("note {workload} actium n={n}: {retries} tells retried on a full outbox");
            }
            // Tells lost between the nodes: the run is not a figure (a
            // fast wrong answer must not win), but the loss is a finding,
            // so it is said rather than ending the whole benchmark.
            if arrived != n {
                eprintln!(
                    "note {workload} actium n={n}: LOST {} tells, the serving node counted {arrived}: run discarded",
                    n - arrived.min(n)
                );
                return None;
            }
            Some(measurement)
        }
        Err(error) => panic!("actium failed on {workload}: {error}"),
    }
}
