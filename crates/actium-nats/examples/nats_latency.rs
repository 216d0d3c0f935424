//! A quick measure of calls over NATS, beside raw async-nats on the same
//! server: sequential asks (round-trip time) and a burst of tells ended by
//! one ask (throughput), between two nodes in this process.
//!
//! `cargo run --release -p actium-nats --example nats_latency [-- URL]`
//! With no URL it starts `nats-server` on a 127.0.0.1 port for the
//! run (a `LocalServer`; install it with `scripts/install-nats`) and stops
//! it after. With `ACTIUM_NATS_SECRET` set, both nodes use it as the
//! cluster secret, to measure what tagging every message costs.

use std::time::{Duration, Instant};

use actium::nats::{LocalServer, NatsNode};
use actium::prelude::*;
use futures_util::StreamExt;

#[derive(Default)]
struct Counter {
    count: u64,
}

#[actor(remote)]
impl Counter {
    #[tell]
    fn add(&mut self, amount: u64) {
        self.count += amount;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.count
    }
}

const ASKS: u32 = 5_000;
const TELLS: u64 = 200_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_server, url) = match std::env::args().nth(1) {
        Some(url) => (None, url),
        None => {
            let server = LocalServer::start()?;
            let url = server.url();
            (Some(server), url)
        }
    };
    let secret = std::env::var("ACTIUM_NATS_SECRET").ok();
    let start = |system: &System| {
        let mut builder = NatsNode::builder()
            .server(url.clone())
            .cluster("bench")
            .system(system.handle());
        if let Some(secret) = &secret {
            builder = builder.secret(secret);
        }
        system.block_on(builder.start())
    };
    let (server_system, client_system) = (System::builder().start()?, System::builder().start()?);
    let (server, client) = (start(&server_system)?, start(&client_system)?);
    server_system.block_on(async { server.register("counter", &Counter::default().spawn()) })?;
    client_system.block_on(async {
        let counter = client.lookup::<Counter>(&server.url("counter")).await?;
        let started = Instant::now();
        for _ in 0..ASKS {
            counter.get().await?;
        }
        let ask = started.elapsed() / ASKS;
        let started = Instant::now();
        for _ in 0..TELLS {
            // A full outbox (the writer behind, on a loaded machine) is
            // back-pressure: wait for the writer and send again.
            loop {
                match counter.add(1) {
                    Ok(()) => break,
                    Err(actium::Error::NodeDown { reason, .. })
                        if reason.contains("outbox is full") =>
                    {
                        actium::sleep(Duration::from_millis(1)).await;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        assert_eq!(counter.get().await?, TELLS);
        let tells = TELLS as f64 / started.elapsed().as_secs_f64();
        let sealed = if secret.is_some() {
            " (cluster secret)"
        } else {
            ""
        };
        println!("actium over NATS{sealed}: ask {ask:?} per call, tell {tells:.0} msg/s");
        Ok::<(), actium::Error>(())
    })?;
    client_system.block_on(raw(&url))?;
    Ok(())
}

/// The floor: raw async-nats request-reply on the same server.
async fn raw(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = async_nats::connect(url).await?;
    let mut requests = client.subscribe("raw.echo").await?;
    let responder = client.clone();
    let echo = tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = responder.publish(reply, request.payload).await;
            }
        }
    });
    client.flush().await?;
    let started = Instant::now();
    for _ in 0..ASKS {
        client.request("raw.echo", "x".into()).await?;
    }
    println!(
        "raw async-nats: request {:?} per call",
        started.elapsed() / ASKS
    );
    echo.abort();
    Ok(())
}
