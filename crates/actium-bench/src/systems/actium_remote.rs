//! The remote workloads on Actium: two processes, each a node; the client
//! calls an actor registered on the server through a reference obtained by
//! URL, with the same method calls as locally.

use std::time::Instant;

use actium::prelude::*;
use actium::remote::Node;

use crate::systems::tcp_raw::start_server;
use crate::workload::{Measurement, Workload, check};

const COOKIE: &str = "actium-bench";

/// Echoes asks, counts tells.
#[derive(Default)]
pub struct Target {
    tells: u64,
}

#[actor(remote)]
impl Target {
    #[ask]
    pub fn echo(&self, value: u64) -> u64 {
        value
    }

    #[tell]
    pub fn count(&mut self, _value: u64) {
        self.tells += 1;
    }

    #[ask]
    pub fn tells(&self) -> u64 {
        self.tells
    }
}

/// The server process: prints its port, then serves until killed.
pub fn serve() {
    let served = crate::workload::actium_system(Mode::Tasks).launch(async {
        let node = Node::builder().cookie(COOKIE).start().await?;
        node.register("target", &Target::default().spawn())?;
        println!("{}", node.address().port());
        std::future::pending::<()>().await;
        Ok::<(), actium::Error>(())
    });
    if let Err(error) = served {
        panic!("the actium server failed: {error}");
    }
}

pub fn run(workload: Workload, n: u64, mode: Mode) -> Option<Measurement> {
    let (mut server, port) = start_server("serve-actium");
    let measured = crate::workload::actium_system(mode).launch(async move {
        let node = Node::builder().cookie(COOKIE).start().await?;
        let target = node
            .lookup::<Target>(&format!("tcp://127.0.0.1:{port}/target"))
            .await?;
        // The caller is a task of the system, as a real program's actors are.
        let caller = tokio::spawn(async move {
            let start = Instant::now();
            match workload {
                Workload::RemoteAsk => {
                    for i in 0..n {
                        check(target.echo(i).await? == i, "echoed value");
                    }
                }
                _ => {
                    for i in 0..n {
                        target.count(i)?;
                    }
                    let tells = target
                        .tells()
                        .timeout(std::time::Duration::from_secs(120))
                        .await?;
                    check(tells == n, "tells counted by the server");
                }
            }
            Ok::<_, actium::Error>(Measurement::timed(n, start.elapsed()))
        });
        let measurement = match caller.await {
            Ok(measurement) => measurement,
            Err(error) => panic!("the caller task failed: {error}"),
        };
        node.shutdown();
        measurement
    });
    let _ = server.kill();
    let _ = server.wait();
    match measured {
        Ok(measurement) => Some(measurement),
        Err(error) => panic!("actium failed on {workload}: {error}"),
    }
}
