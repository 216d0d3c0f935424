//! Credit between two nodes: a sender never has more unacknowledged
//! frames in flight to a receiver than its window, so an unpaced burst
//! does not overrun the receiver's subscription (NATS' slow consumer) and
//! arrives complete and in order.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::{Cluster, NatsServer};

/// Counts what it is told and how much of it came out of order.
#[derive(Default)]
struct Sink {
    next: u64,
    count: u64,
    out_of_order: u64,
}

#[actor(remote)]
impl Sink {
    #[tell]
    fn push(&mut self, seq: u64) {
        if seq != self.next {
            self.out_of_order += 1;
        }
        self.next = seq + 1;
        self.count += 1;
    }

    #[ask]
    fn summary(&self) -> (u64, u64) {
        (self.count, self.out_of_order)
    }
}

/// Node 0 receives with a subscription of `capacity` messages; node 1
/// sends with a window of `window` frames; node 1 bursts `n` tells at a
/// sink on node 0, then asks it what arrived.
fn burst(capacity: usize, window: u32, n: u64) -> (u64, u64) {
    let cluster = Cluster::on(NatsServer::start(), 2, |i, builder| {
        if i == 0 {
            builder.subscription_capacity(capacity)
        } else {
            builder.flow_window(window, 1 << 20)
        }
    });
    let url = cluster.node(0).url("sink");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("sink", &Sink::default().spawn())
            .unwrap();
    });
    let summary = cluster.run(1, async {
        let sink = cluster.node(1).lookup::<Sink>(&url).await.unwrap();
        for seq in 0..n {
            sink.push(seq).unwrap();
        }
        sink.summary().timeout(Duration::from_secs(120)).await
    });
    let stats = cluster.node(0).stats();
    assert_eq!(stats.slow_consumer_events, 0, "the receiver kept up");
    assert_eq!(stats.gaps, 0, "nothing was lost");
    summary.expect("the burst's summary")
}

#[test]
fn a_burst_to_a_receiver_with_a_tiny_subscription_arrives_complete_and_in_order() {
    // Four messages of room at the receiver, two frames in flight: without
    // the window the burst would overflow it at once.
    assert_eq!(burst(4, 2, 20_000), (20_000, 0));
}

#[test]
fn a_burst_with_the_default_window_arrives_complete_and_in_order() {
    assert_eq!(burst(65_536, 16_384, 300_000), (300_000, 0));
}
