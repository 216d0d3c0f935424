//! A peer's inbound turn against a down declared by another task.

use std::sync::mpsc;

use actium_core::System;

use super::*;
use crate::envelope::Seal;
use crate::flow::Window;

fn peer() -> Arc<NatsPeer> {
    let (queue, _writer) = tokio::sync::mpsc::unbounded_channel();
    let window = Window {
        frames: 64,
        bytes: 1 << 20,
    };
    let out = Outbound::new(NodeId::from_u64(1), 1 << 20, Seal::default(), window, queue);
    NatsPeer::new(
        "nats://node-2".to_owned(),
        (NodeId::from_u64(2), 1),
        Subject::from("actium.node.2"),
        Arc::new(out),
        Clock::real(),
        Duration::from_secs(5),
    )
}

/// A batch's calls go before the `noconnection` of a down that another
/// task declares while the batch is acted on: the down waits for the turn.
#[test]
fn a_down_waits_for_the_batch_being_acted_on() {
    let system = System::builder().start().expect("a test system starts");
    let handle = system.handle().clone();
    let peer = peer();
    let turn = peer.inbound();
    let (declared, told) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            peer.went_down("no heartbeat", &handle);
            declared.send(()).expect("the test waits");
        });
        // Not declared while the batch is acted on (without the turn, the
        // other thread declares it at once).
        assert!(told.recv_timeout(Duration::from_millis(200)).is_err());
        assert!(peer.is_connected());
        drop(turn);
        told.recv_timeout(Duration::from_secs(10))
            .expect("declared once the turn ends");
        assert!(!peer.is_connected());
    });
    // The turn is free again for the next batch.
    drop(peer.inbound());
}
