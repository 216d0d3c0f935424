//! Tests of the peer (`peer/`): what a peer's outbox does with the sockets
//! of replaced connections (attached or not yet), the inbound turn that
//! ending or replacing a connection waits for, and when a one-way call
//! may skip the peer's lock.

use super::*;
use crate::node::Traffic;
use crate::outbox::{INLINE_FRAMES_MOST, Socket, memory_socket};
use tokio::io::{AsyncReadExt, DuplexStream};

/// A peer of no node, on the real clock.
fn peer() -> Arc<PeerHandle> {
    PeerHandle::new(
        "tcp://127.0.0.1:1".to_owned(),
        Weak::new(),
        Clock::real(),
        wire::DEFAULT_MAX_FRAME,
    )
}

/// A socket over an in-memory stream, and the stream's other end.
fn socket() -> (Arc<Socket>, DuplexStream) {
    memory_socket(Arc::new(Traffic::default()))
}

/// What has reached `far` so far, without waiting.
fn arrived(far: &mut DuplexStream) -> usize {
    let mut buffer = vec![0_u8; 1 << 20];
    let mut total = 0;
    while let Some(Ok(read)) = futures_util::FutureExt::now_or_never(far.read(&mut buffer[total..]))
    {
        if read == 0 {
            break;
        }
        total += read;
    }
    total
}

/// The node at `peer` connects (run 2, as generation 1), then its next
/// run replaces that connection (run 3, as generation 2).
fn replaced(peer: &PeerHandle) {
    let me = NodeId::from_u64(1);
    assert!(matches!(
        peer.admit(NodeId::from_u64(2), me, 1),
        Admission::Accept(None)
    ));
    assert!(matches!(
        peer.admit(NodeId::from_u64(3), me, 2),
        Admission::Accept(Some(_))
    ));
}

/// Queues [`INLINE_FRAMES_MOST`] pings for `peer` (enough for the sender
/// to write them itself); returns how many bytes they take on the wire.
fn queue_pings(peer: &PeerHandle) -> usize {
    for _ in 0..INLINE_FRAMES_MOST {
        peer.send_if_connected(&Frame::Ping);
    }
    let mut ping = bytes::BytesMut::new();
    wire::write_frame(&mut ping, &Frame::Ping, wire::DEFAULT_MAX_FRAME).unwrap();
    ping.len() * INLINE_FRAMES_MOST
}

/// A node that restarted connects again: until the new connection's
/// socket is attached, frames queued for it (enough to be written by
/// the sender itself) must not go to the replaced connection's socket,
/// where they would be lost.
#[test]
fn a_replaced_connections_socket_takes_none_of_the_frames_for_the_new_one() {
    let peer = peer();
    let me = NodeId::from_u64(1);
    let (first_run, second_run) = (NodeId::from_u64(2), NodeId::from_u64(3));
    assert!(matches!(
        peer.admit(first_run, me, 1),
        Admission::Accept(None)
    ));
    let (old, mut old_far) = socket();
    peer.outbox.attach(old);

    // The node's next run connects; its socket is not attached yet.
    assert!(matches!(
        peer.admit(second_run, me, 2),
        Admission::Accept(Some(node)) if node == first_run
    ));
    let queued = queue_pings(&peer);
    assert_eq!(arrived(&mut old_far), 0, "frames went to the old socket");

    let (new, mut new_far) = socket();
    peer.outbox.attach(new.clone());
    peer.outbox.relieve_on_tick(&new);
    assert_eq!(arrived(&mut new_far), queued);
}

/// A connection ended by another task (its heartbeat, say) while the
/// reader acts on a read: the end waits for the reader's inbound turn, so
/// the calls of that read are queued before the relations fire.
#[test]
fn ending_a_connection_waits_for_the_inbound_turn() {
    let peer = peer();
    assert!(matches!(
        peer.admit(NodeId::from_u64(2), NodeId::from_u64(1), 1),
        Admission::Accept(None)
    ));
    assert!(peer.is_up());
    let turn = peer.inbound();
    let (ended, told) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            peer.ended(1, "no heartbeat");
            ended.send(()).expect("the test waits");
        });
        // Not ended while the reader is at work (without the turn, the
        // other thread ends it at once).
        assert!(told.recv_timeout(Duration::from_millis(200)).is_err());
        assert!(peer.is_up());
        drop(turn);
        told.recv_timeout(Duration::from_secs(10))
            .expect("ended once the turn is free");
        assert!(!peer.is_up());
        // Its reader, at its next poll, finds it gone and acts on nothing.
        assert!(!peer.is_current(1));
    });
}

/// The node restarted and connects again: the new connection replaces the
/// old one in the inbound turn, so the old reader has finished the read
/// it was acting on, and acts on no other.
#[test]
fn a_replacing_connection_waits_for_the_inbound_turn() {
    let peer = peer();
    let me = NodeId::from_u64(1);
    assert!(matches!(
        peer.admit(NodeId::from_u64(2), me, 1),
        Admission::Accept(None)
    ));
    assert!(peer.is_current(1));
    let turn = peer.inbound();
    let (admitted, told) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let admission = peer.admit(NodeId::from_u64(3), me, 2);
            admitted
                .send(matches!(admission, Admission::Accept(Some(_))))
                .expect("the test waits");
        });
        assert!(told.recv_timeout(Duration::from_millis(200)).is_err());
        assert!(peer.is_current(1));
        drop(turn);
        assert!(
            told.recv_timeout(Duration::from_secs(10))
                .expect("admitted once the turn is free")
        );
        assert!(!peer.is_current(1));
        assert!(peer.is_current(2));
    });
}

/// A one-way call is queued without the peer's lock only while a
/// connection is installed. Before, and once it has ended, the outbox
/// refuses it, and the call takes the lock, which connects or fails with
/// `NodeDown`: a tell must not wait, unsent and unrefused, in the outbox
/// of a connection that is gone.
#[test]
fn one_way_calls_skip_the_peers_lock_only_while_a_connection_is_up() {
    let peer = peer();
    let me = NodeId::from_u64(1);
    let to = ActorId::new(NodeId::from_u64(2), 7);
    let queued = |peer: &PeerHandle| match peer.outbox.push_tell(to, "incr", &[]) {
        Ok(crowded) => {
            peer.outbox.relieve(crowded);
            true
        }
        Err(Refused::NotUp) => false,
        Err(_) => panic!("refused for another reason"),
    };
    assert!(!queued(&peer), "queued before any connection");
    assert!(matches!(
        peer.admit(NodeId::from_u64(2), me, 1),
        Admission::Accept(None)
    ));
    assert!(queued(&peer), "refused while up");
    // A node's next run replaces the connection: still up.
    assert!(matches!(
        peer.admit(NodeId::from_u64(3), me, 2),
        Admission::Accept(Some(_))
    ));
    assert!(queued(&peer), "refused once the connection was replaced");
    peer.ended(2, "lost");
    assert!(!queued(&peer), "queued once the connection ended");
}

/// A connection replaced before it started (between its installation
/// and its socket's attachment) attaches no socket: the frames queued
/// go to its replacement's socket, attached first, not to its own, whose
/// tasks never run to write them.
#[test]
fn a_connection_replaced_before_it_started_attaches_no_socket() {
    let peer = peer();
    replaced(&peer);
    // Refused whether the replacement's socket is attached or not yet.
    let (old, mut old_far) = socket();
    assert!(
        !peer.attach(1, old.clone()),
        "a replaced connection attached"
    );
    let (new, mut new_far) = socket();
    assert!(peer.attach(2, new.clone()));
    assert!(!peer.attach(1, old), "a replaced connection attached");
    let queued = queue_pings(&peer);
    peer.outbox.relieve_on_tick(&new);
    assert_eq!(arrived(&mut old_far), 0, "frames went to the old socket");
    assert_eq!(arrived(&mut new_far), queued);
}
