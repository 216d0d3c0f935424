//! Hostile peers before authentication: silent or stalled connections,
//! frames of every wrong size, handshakes with the wrong version or proof,
//! and floods of unauthenticated connections.
//!
//! Part of the hostile-peer tests; `remote_hostile.rs` has the peers
//! that authenticate, `remote_hostile_handshake.rs` those that never get
//! that far, `remote_hostile_nodes.rs` the nodes this node connects to.
//! Each gets a typed error or a closed connection with a logged reason, and
//! after each the node still answers a well-behaved peer.
#![cfg(feature = "remote")]

#[path = "support/hostile.rs"]
mod hostile;
mod support;

use actium::remote::DEFAULT_MAX_FRAME;
use actium::remote::testing::{Heard, RawHandshake};
use hostile::*;
use support::remote::{COOKIE, Logs, Tap, field};
use tokio::io::AsyncWriteExt;

// --- Before authentication --------------------------------------------

#[test]
fn a_peer_that_connects_and_says_nothing_is_closed_by_the_handshake_timeout() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut silent = tcp(&cluster).await;
        let from = silent.local_addr().unwrap().to_string();
        // Served while the silent connection is open.
        serves(&cluster).await;
        assert!(closes(&mut silent).await, "a silent connection stays open");
        assert!(
            logs.logged(BOUND, &[&field("from", &from), "handshake timed out"])
                .await
        );
    });
    still_serves(&cluster);
}

#[test]
fn a_partial_hello_that_stalls_does_not_hold_up_other_peers() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut slow = tcp(&cluster).await;
        // Promises 100 bytes, sends 10, then stalls.
        slow.write_all(&100_u32.to_be_bytes()).await.unwrap();
        slow.write_all(&[0; 10]).await.unwrap();
        serves(&cluster).await;
        assert!(closes(&mut slow).await, "a stalled handshake stays open");
    });
    still_serves(&cluster);
}

#[test]
fn length_prefixes_over_the_maximum_close_an_unauthenticated_connection() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    for length in [u32::MAX, DEFAULT_MAX_FRAME as u32 + 1] {
        cluster.run(1, async {
            let mut socket = tcp(&cluster).await;
            let from = socket.local_addr().unwrap().to_string();
            socket.write_all(&length.to_be_bytes()).await.unwrap();
            assert!(closes(&mut socket).await);
            let needles = [
                &field("from", &from),
                "refused a connection",
                "frame size too big",
            ];
            assert!(logs.logged(BOUND, &needles).await);
        });
        still_serves(&cluster);
    }
}

#[test]
fn a_large_frame_before_authentication_is_refused_without_waiting_for_it() {
    // Under the maximum frame, but far more than any handshake message:
    // the node must not reserve (or wait for) a megabyte for a stranger.
    let logs = Logs::capture();
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut socket = tcp(&cluster).await;
        let from = socket.local_addr().unwrap().to_string();
        socket
            .write_all(&(1_u32 << 20).to_be_bytes())
            .await
            .unwrap();
        socket.write_all(&[0; 16]).await.unwrap();
        assert!(closes(&mut socket).await);
        let needles = [
            &field("from", &from),
            "refused a connection",
            "frame size too big",
        ];
        assert!(logs.logged(BOUND, &needles).await);
    });
    still_serves(&cluster);
}

#[test]
fn a_zero_length_frame_instead_of_a_hello_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = handshake(&cluster).await;
        raw.send_bytes(&0_u32.to_be_bytes()).await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(reason.contains("not an Actium node"), "{reason}");
    });
    still_serves(&cluster);
}

#[test]
fn an_open_connection_frame_before_the_hello_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = handshake(&cluster).await;
        raw.send_ping().await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(reason.contains("not an Actium node"), "{reason}");
    });
    still_serves(&cluster);
}

#[test]
fn an_open_connection_frame_instead_of_the_proof_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = handshake(&cluster).await;
        welcome(&mut raw).await;
        raw.send_ping().await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(
            reason.contains("expected the connector's proof"),
            "{reason}"
        );
    });
    still_serves(&cluster);
}

#[test]
fn a_hello_with_another_protocol_version_is_refused_naming_both() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    let tap = Tap::start(cluster.node(0).address().socket());
    cluster.run(1, async {
        let mut raw = RawHandshake::open(&tap.address).await.unwrap();
        raw.hello(999).await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(reason.contains("999"), "{reason}");
        let mine = RawHandshake::version().to_string();
        assert!(reason.contains(&mine), "{reason}");
        let needles = [
            &field("from", &tap.from),
            "refused a connection",
            "protocol version 999",
        ];
        assert!(logs.logged(BOUND, &needles).await);
    });
    still_serves(&cluster);
}

#[test]
fn a_wrong_proof_is_refused_and_logged() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    // The replayed proof of another test is refused with the same words:
    // the tap tells this test's connection apart.
    let tap = Tap::start(cluster.node(0).address().socket());
    cluster.run(1, async {
        let mut raw = RawHandshake::open(&tap.address).await.unwrap();
        let (node, nonce) = welcome(&mut raw).await;
        // Right shape, wrong key.
        let forged = raw.proof("not-the-cookie", node, &nonce);
        raw.send_proof(forged).await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(reason.contains("authentication failed"), "{reason}");
        let needles = [
            &field("from", &tap.from),
            "refused a connection",
            "authentication failed",
        ];
        assert!(logs.logged(BOUND, &needles).await);
    });
    still_serves(&cluster);
}

#[test]
fn a_replayed_proof_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        // A genuine handshake, recorded.
        let mut first = handshake(&cluster).await;
        let (node, nonce) = welcome(&mut first).await;
        let recorded = first.proof(COOKIE, node, &nonce);
        first.send_proof(recorded).await.unwrap();
        assert!(matches!(heard(&mut first).await, Heard::Ready));
        let (first_node, first_nonce) = (first.node, first.nonce);
        drop(first);
        // The same hello, the same proof: the node's fresh nonce makes it
        // worthless.
        let mut replay = handshake(&cluster).await;
        replay.node = first_node;
        replay.nonce = first_nonce;
        let (_, fresh) = welcome(&mut replay).await;
        assert_ne!(fresh, nonce, "the node reused its challenge");
        replay.send_proof(recorded).await.unwrap();
        let reason = refusal(&mut replay).await;
        assert!(reason.contains("authentication failed"), "{reason}");
    });
    still_serves(&cluster);
}

#[test]
fn two_hundred_unauthenticated_connections_do_not_starve_a_good_peer() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut strangers = Vec::new();
        for i in 0..200_u32 {
            let mut socket = tcp(&cluster).await;
            // Some say nothing, some start a frame and stall.
            if i % 2 == 1 {
                let _ = socket.write_all(&50_u32.to_be_bytes()).await;
                let _ = socket.write_all(&[0; 7]).await;
            }
            strangers.push(socket);
        }
        serves(&cluster).await;
        for socket in &mut strangers {
            assert!(closes(socket).await, "an unauthenticated connection stays");
        }
    });
    still_serves(&cluster);
}

#[test]
fn a_flood_of_unauthenticated_connections_is_capped_and_spares_established_peers() {
    let logs = Logs::capture();
    let (cluster, store) = serving();
    cluster.run(1, async {
        // A good peer connected before the flood.
        serves(&cluster).await;
        let mut strangers = Vec::new();
        for _ in 0..300 {
            strangers.push(tcp(&cluster).await);
        }
        let froms: Vec<String> = strangers
            .iter()
            .map(|socket| field("from", &socket.local_addr().unwrap().to_string()))
            .collect();
        let capped = logs.logged_where(BOUND, |line| {
            line.contains("refused a connection")
                && line.contains("too many connections are being set up")
                && froms.iter().any(|from| line.contains(from.as_str()))
        });
        assert!(capped.await, "no stranger of this test was refused");
        serves(&cluster).await;
        for socket in &mut strangers {
            assert!(closes(socket).await, "an unauthenticated connection stays");
        }
        drop(strangers);
        // Once they are gone, new peers get in again.
        let mut raw = peer(&cluster).await;
        raw.ask(1, store, "stock", &[]).await.unwrap();
        assert!(next(&mut raw).await.unwrap().starts_with("reply 1: value"));
    });
    still_serves(&cluster);
}

#[test]
fn a_hello_claiming_the_nodes_own_id_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = handshake(&cluster).await;
        raw.node = cluster.node(0).id();
        raw.hello(RawHandshake::version()).await.unwrap();
        let reason = refusal(&mut raw).await;
        assert!(reason.contains("itself"), "{reason}");
    });
    still_serves(&cluster);
}
