//! The floor of the NATS workloads: raw async-nats on the same kind of
//! server, between two processes. The serving side subscribes to
//! `bench.raw.>` with one subscription, so that its messages are handled
//! in the order they arrive: `echo` requests are answered with their
//! payload, `tell` messages counted, and a `count` request answered with
//! the count (after every tell published before it).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use crate::systems::nats_peer::{Peer, Ready, local_server};
use crate::workload::{Measurement, Workload, check, tokio_runtime};

const ECHO: &str = "bench.raw.echo";
const TELL: &str = "bench.raw.tell";
const COUNT: &str = "bench.raw.count";

/// Room for a whole burst in the client's subscription buffer: past its
/// capacity async-nats drops messages (a slow consumer), and the count
/// check would fail.
const CAPACITY: usize = 1 << 20;

async fn connect(url: &str) -> async_nats::Client {
    let connected = async_nats::ConnectOptions::new()
        .subscription_capacity(CAPACITY)
        .request_timeout(Some(Duration::from_secs(120)))
        .connect(url)
        .await;
    match connected {
        Ok(client) => client,
        Err(error) => panic!("cannot connect to NATS at {url}: {error}"),
    }
}

/// The serving side; its line is `ready`.
pub fn serve(url: String, ready: Ready, stop: oneshot::Receiver<()>) {
    let runtime = tokio_runtime();
    let server = runtime.spawn(async move {
        let client = connect(&url).await;
        let mut messages = match client.subscribe("bench.raw.>").await {
            Ok(subscription) => subscription,
            Err(error) => panic!("cannot subscribe: {error}"),
        };
        // The server knows the subscription before the client publishes.
        if let Err(error) = client.flush().await {
            panic!("cannot flush: {error}");
        }
        ready("ready".to_owned());
        let mut tells = 0_u64;
        let mut stop = stop;
        loop {
            let message = tokio::select! {
                message = messages.next() => message,
                _ = &mut stop => None,
            };
            let Some(message) = message else { return };
            match (message.subject.as_str(), message.reply) {
                (TELL, _) => tells += 1,
                (ECHO, Some(reply)) => {
                    let _ = client.publish(reply, message.payload).await;
                }
                (COUNT, Some(reply)) => {
                    let count = Bytes::copy_from_slice(&tells.to_le_bytes());
                    let _ = client.publish(reply, count).await;
                }
                _ => {}
            }
        }
    });
    let _ = runtime.block_on(server);
}

pub fn run(workload: Workload, n: u64) -> Option<Measurement> {
    if !matches!(workload, Workload::NatsAsk | Workload::NatsTell) {
        return None;
    }
    let server = local_server(workload)?;
    let url = server.url();
    let peer = Peer::start("serve-nats-raw", serve, &url);
    let runtime = tokio_runtime();
    // The caller is a task of the runtime, as every system's caller is.
    let caller = runtime.spawn(async move {
        let client = connect(&url).await;
        // A 16-byte payload, as tcp-raw's: about a small method call.
        let mut frame = [0_u8; 16];
        let start = Instant::now();
        match workload {
            Workload::NatsAsk => {
                for i in 0..n {
                    frame[8..].copy_from_slice(&i.to_le_bytes());
                    let answer = client.request(ECHO, Bytes::copy_from_slice(&frame)).await;
                    let answer = answer.unwrap_or_else(|error| panic!("request failed: {error}"));
                    check(answer.payload[..] == frame[..], "echoed payload");
                }
            }
            _ => {
                for i in 0..n {
                    frame[8..].copy_from_slice(&i.to_le_bytes());
                    let published = client.publish(TELL, Bytes::copy_from_slice(&frame)).await;
                    published.unwrap_or_else(|error| panic!("publish failed: {error}"));
                }
                let answer = client.request(COUNT, Bytes::new()).await;
                let answer = answer.unwrap_or_else(|error| panic!("request failed: {error}"));
                let count = <[u8; 8]>::try_from(&answer.payload[..]).map(u64::from_le_bytes);
                check(count.ok() == Some(n), "tells counted by the server");
            }
        }
        Measurement::timed(n, start.elapsed())
    });
    let measurement = match runtime.block_on(caller) {
        Ok(measurement) => measurement,
        Err(error) => panic!("nats-raw failed on {workload}: {error}"),
    };
    drop(peer);
    drop(server);
    Some(measurement)
}
