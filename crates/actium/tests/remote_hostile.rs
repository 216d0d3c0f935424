//! Hostile peers on the wire: silent or stalled connections, frames of
//! every wrong size, handshakes with the wrong version or proof, floods of
//! unauthenticated connections, and authenticated peers that send garbage,
//! lie about ids, declare huge lengths, never read, or hang up mid-call.
//! Each gets a typed error or a closed connection with a logged reason, and
//! after each the node still answers a well-behaved peer.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::DEFAULT_MAX_FRAME;
use actium::remote::testing::{Heard, RawHandshake, RawListener, RawPeer};
use actium::{Actor, ActorId, ActorLabel, Error};
use support::remote::{COOKIE, Cluster, Logs, Tap, field, varint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Longer than any bound a node keeps to (the 3 s handshake timeout, the
/// 1.5 s heartbeat timeout), so that a test fails rather than hangs.
const BOUND: Duration = Duration::from_secs(15);

/// The actor hostile peers call.
mod store {
    use actium::prelude::*;

    /// A percentage whose conversion, like many users' `From` impls,
    /// asserts what it expects: hostile bytes make its decoding panic.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(from = "u8")]
    pub struct Percent(pub u8);

    impl From<u8> for Percent {
        fn from(value: u8) -> Self {
            assert!(value <= 100, "{value} is not a percentage");
            Percent(value)
        }
    }

    #[derive(Default, serde::Serialize, serde::Deserialize)]
    pub struct Store {
        stock: u64,
    }

    #[actor(remote)]
    impl Store {
        #[tell]
        pub fn add(&mut self, amount: u64) {
            self.stock += amount;
        }

        #[ask]
        pub fn stock(&self) -> u64 {
            self.stock
        }

        #[ask]
        pub fn put_all(&mut self, items: Vec<u64>) -> u64 {
            self.stock += items.len() as u64;
            self.stock
        }

        #[ask]
        pub fn discount(&self, percent: Percent) -> u64 {
            self.stock * u64::from(percent.0) / 100
        }

        #[ask]
        pub fn rate(&self) -> Percent {
            Percent(50)
        }

        #[ask]
        pub fn count_names(&self, names: Vec<String>) -> u64 {
            names.len() as u64
        }
    }
}

use store::Store;

/// A node (0) with a registered store, and a well-behaved node (1).
fn serving() -> (Cluster, ActorId) {
    let cluster = Cluster::start(2, Mode::Tasks);
    let id = cluster.run(0, async {
        let store = Store::default().spawn();
        cluster.node(0).register("store", &store).unwrap();
        store.id()
    });
    (cluster, id)
}

/// Node 0 answers node 1's real ask (to be awaited inside node 1).
async fn serves(cluster: &Cluster) {
    let url = cluster.node(0).url("store");
    let answered = timeout(BOUND, async {
        let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
        store.add(1).unwrap();
        store.stock().await.unwrap()
    })
    .await
    .expect("the node answers a good peer in time");
    assert!(answered >= 1);
}

/// Node 0 still answers node 1.
fn still_serves(cluster: &Cluster) {
    cluster.run(1, serves(cluster));
}

fn address(cluster: &Cluster) -> String {
    cluster.node(0).address().to_string()
}

async fn tcp(cluster: &Cluster) -> TcpStream {
    TcpStream::connect(cluster.node(0).address().socket())
        .await
        .unwrap()
}

/// Reads until the node closes the connection; false if it stays open
/// past [`BOUND`]. A reset counts as closed.
async fn closes(socket: &mut TcpStream) -> bool {
    let mut buffer = vec![0_u8; 64 * 1024];
    timeout(BOUND, async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// The next frame other than a heartbeat, or `None` once closed; fails
/// the test if nothing comes within [`BOUND`].
async fn next(raw: &mut RawPeer) -> Option<String> {
    timeout(BOUND, raw.next())
        .await
        .expect("the node answers or closes in time")
}

async fn heard(raw: &mut RawHandshake) -> Heard {
    timeout(BOUND, raw.next())
        .await
        .expect("the node answers or closes in time")
}

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
        let mut raw = RawHandshake::open(&address(&cluster)).await.unwrap();
        raw.send_bytes(&0_u32.to_be_bytes()).await.unwrap();
        match heard(&mut raw).await {
            Heard::Refused(reason) => assert!(reason.contains("not an Actium node"), "{reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
    });
    still_serves(&cluster);
}

#[test]
fn an_open_connection_frame_before_the_hello_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = RawHandshake::open(&address(&cluster)).await.unwrap();
        raw.send_ping().await.unwrap();
        match heard(&mut raw).await {
            Heard::Refused(reason) => assert!(reason.contains("not an Actium node"), "{reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
    });
    still_serves(&cluster);
}

#[test]
fn an_open_connection_frame_instead_of_the_proof_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = RawHandshake::open(&address(&cluster)).await.unwrap();
        raw.hello(RawHandshake::version()).await.unwrap();
        assert!(matches!(heard(&mut raw).await, Heard::Welcome { .. }));
        raw.send_ping().await.unwrap();
        match heard(&mut raw).await {
            Heard::Refused(reason) => assert!(reason.contains("expected the connector's proof")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
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
        match heard(&mut raw).await {
            Heard::Refused(reason) => {
                assert!(reason.contains("999"), "{reason}");
                let mine = RawHandshake::version().to_string();
                assert!(reason.contains(&mine), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
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
        raw.hello(RawHandshake::version()).await.unwrap();
        let Heard::Welcome { node, nonce } = heard(&mut raw).await else {
            panic!("expected a welcome")
        };
        // Right shape, wrong key.
        let forged = raw.proof("not-the-cookie", node, &nonce);
        raw.send_proof(forged).await.unwrap();
        match heard(&mut raw).await {
            Heard::Refused(reason) => assert!(reason.contains("authentication failed")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
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
        let mut first = RawHandshake::open(&address(&cluster)).await.unwrap();
        first.hello(RawHandshake::version()).await.unwrap();
        let Heard::Welcome { node, nonce } = heard(&mut first).await else {
            panic!("expected a welcome")
        };
        let recorded = first.proof(COOKIE, node, &nonce);
        first.send_proof(recorded).await.unwrap();
        assert!(matches!(heard(&mut first).await, Heard::Ready));
        let (first_node, first_nonce) = (first.node, first.nonce);
        drop(first);
        // The same hello, the same proof: the node's fresh nonce makes it
        // worthless.
        let mut replay = RawHandshake::open(&address(&cluster)).await.unwrap();
        replay.node = first_node;
        replay.nonce = first_nonce;
        replay.hello(RawHandshake::version()).await.unwrap();
        let Heard::Welcome { nonce: fresh, .. } = heard(&mut replay).await else {
            panic!("expected a welcome")
        };
        assert_ne!(fresh, nonce, "the node reused its challenge");
        replay.send_proof(recorded).await.unwrap();
        match heard(&mut replay).await {
            Heard::Refused(reason) => assert!(reason.contains("authentication failed")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut replay).await, Heard::Closed));
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
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.ask(1, store, "stock", &[]).await.unwrap();
        assert!(next(&mut raw).await.unwrap().starts_with("reply 1: value"));
    });
    still_serves(&cluster);
}

#[test]
fn a_hello_claiming_the_nodes_own_id_is_refused() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = RawHandshake::open(&address(&cluster)).await.unwrap();
        raw.node = cluster.node(0).id();
        raw.hello(RawHandshake::version()).await.unwrap();
        match heard(&mut raw).await {
            Heard::Refused(reason) => assert!(reason.contains("itself"), "{reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(heard(&mut raw).await, Heard::Closed));
    });
    still_serves(&cluster);
}

// --- After authentication ----------------------------------------------

#[test]
fn a_partial_frame_that_stalls_is_dropped_by_the_heartbeat_while_others_are_served() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.send_bytes(&100_u32.to_be_bytes()).await.unwrap();
        raw.send_bytes(&[1, 2, 3]).await.unwrap();
        serves(&cluster).await;
        assert_eq!(next(&mut raw).await, None, "a stalled peer stays connected");
    });
    still_serves(&cluster);
}

#[test]
fn a_frame_trickled_a_byte_at_a_time_is_dropped_by_the_heartbeat() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.send_bytes(&1000_u32.to_be_bytes()).await.unwrap();
        // Bytes keep arriving, but no frame ever completes: that is not a
        // sign of life.
        let closed = timeout(BOUND, async {
            loop {
                if raw.send_bytes(&[0]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(closed.is_ok(), "a trickling peer stays connected");
        serves(&cluster).await;
    });
    still_serves(&cluster);
}

#[test]
fn a_peer_that_hangs_up_right_after_asking_does_not_disturb_the_node() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        for _ in 0..5 {
            let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
            raw.ask(1, store, "stock", &[]).await.unwrap();
            raw.ask(2, store, "put_all", &[1, 7]).await.unwrap();
            raw.lookup(3, "store").await.unwrap();
            drop(raw);
        }
        serves(&cluster).await;
    });
    still_serves(&cluster);
}

#[test]
fn links_to_actors_that_do_not_exist_are_answered_with_an_exit() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        let mine = ActorId::new(raw.node, 5);
        let nobody = ActorId::new(store.node(), 9_999);
        raw.link_as(mine, nobody).await.unwrap();
        let exit = next(&mut raw).await.unwrap();
        assert!(exit.starts_with("Signal(Exit"), "{exit}");
        assert!(exit.contains("NoProc"), "{exit}");
        // An actor of another node, via this connection: ignored.
        let elsewhere = ActorId::new(actium::NodeId::from_u64(7), 1);
        raw.link_as(mine, elsewhere).await.unwrap();
        raw.ask(1, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn oversize_and_empty_frames_after_the_handshake_close_that_connection() {
    let (cluster, store) = serving();
    for prefix in [u32::MAX, DEFAULT_MAX_FRAME as u32 + 1, 0] {
        cluster.run(1, async {
            let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
            raw.ask(1, store, "stock", &[]).await.unwrap();
            assert!(next(&mut raw).await.unwrap().starts_with("reply 1: value"));
            raw.send_bytes(&prefix.to_be_bytes()).await.unwrap();
            // An empty frame is a protocol violation (goodbye); an oversize
            // one is unreadable (closed at once).
            loop {
                match next(&mut raw).await {
                    None => break,
                    Some(frame) => assert!(frame.starts_with("Bye"), "{frame}"),
                }
            }
        });
        still_serves(&cluster);
    }
}

#[test]
fn garbage_frames_after_the_handshake_are_answered_or_dropped_never_hung_on() {
    let (cluster, _) = serving();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..8 {
        let mut body = vec![0_u8; 1 + round * 37];
        for byte in &mut body {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *byte = seed as u8;
        }
        cluster.run(1, async {
            let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
            raw.send_frame(&body).await.unwrap();
            // Whatever the bytes happened to decode as, the node either
            // answers or drops the connection; it never hangs.
            let _ = next(&mut raw).await;
        });
        still_serves(&cluster);
    }
}

#[test]
fn odd_method_names_get_unknown_method() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        let long = "m".repeat(64 * 1024);
        for (id, method) in [(1, ""), (2, long.as_str()), (3, "stock\0"), (4, "Stock")] {
            raw.ask(id, store, method, &[]).await.unwrap();
            assert_eq!(
                next(&mut raw).await.unwrap(),
                format!("reply {id}: Rejected(UnknownMethod)")
            );
        }
        raw.ask(5, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 5: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn a_method_name_that_is_not_utf8_closes_the_connection() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        // Ask { id 1, to, method: [0xff, 0xfe], payload: [], trace: None }
        let mut body = vec![1, 1];
        body.extend(varint(store.node().as_u64()));
        body.extend(varint(store.local()));
        body.extend([2, 0xff, 0xfe, 0, 0]);
        raw.send_frame(&body).await.unwrap();
        let bye = next(&mut raw).await.unwrap();
        assert!(bye.starts_with("Bye"), "{bye}");
        assert_eq!(next(&mut raw).await, None);
    });
    still_serves(&cluster);
}

#[test]
fn a_huge_declared_length_inside_a_frame_or_payload_allocates_nothing() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        // Arguments claiming billions of elements in a few bytes.
        for (id, method, length) in [
            (1, "put_all", u64::MAX >> 1),
            (2, "put_all", 1 << 32),
            (3, "count_names", u64::from(u32::MAX)),
            (4, "put_all", 1 << 20),
        ] {
            let mut payload = varint(length);
            payload.extend([1, 2, 3]);
            raw.ask(id, store, method, &payload).await.unwrap();
            let reply = next(&mut raw).await.unwrap();
            assert!(
                reply.starts_with(&format!("reply {id}: Rejected(Codec(")),
                "{reply}"
            );
        }
        // A frame whose method string claims 2^60 bytes.
        let mut body = vec![1, 9];
        body.extend(varint(store.node().as_u64()));
        body.extend(varint(store.local()));
        body.extend(varint(1 << 60));
        body.extend(b"stock");
        raw.send_frame(&body).await.unwrap();
        let bye = next(&mut raw).await.unwrap();
        assert!(bye.starts_with("Bye"), "{bye}");
    });
    still_serves(&cluster);
}

#[test]
fn arguments_whose_decoding_panics_get_a_codec_error_and_the_connection_stays() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.ask(1, store, "discount", &[50]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: value [0]");
        raw.ask(2, store, "discount", &[200]).await.unwrap();
        let reply = next(&mut raw).await.unwrap();
        assert!(reply.starts_with("reply 2: Rejected(Codec("), "{reply}");
        assert!(reply.contains("not a percentage"), "{reply}");
        // The same in a one-way call: nothing comes back, nothing breaks.
        raw.tell(store, "discount", &[200]).await.unwrap();
        raw.ask(3, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 3: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn a_reused_request_id_gets_one_reply_per_ask() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.ask(7, store, "put_all", &[2, 5, 5]).await.unwrap();
        raw.ask(7, store, "put_all", &[1, 9]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 7: value [2]");
        assert_eq!(next(&mut raw).await.unwrap(), "reply 7: value [3]");
    });
    still_serves(&cluster);
}

#[test]
fn replies_and_answers_nobody_asked_for_are_ignored() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        for id in [0, 1, 42, u64::MAX] {
            raw.reply(id, &[1, 2, 3]).await.unwrap();
            raw.answer_not_registered(id).await.unwrap();
            let forged = ActorLabel::new(ActorId::new(raw.node, 1), "Store");
            raw.answer_found(id, forged).await.unwrap();
        }
        raw.ask(1, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn a_call_to_a_dead_actor_gets_stopped() {
    let (cluster, store) = serving();
    let doomed = cluster.run(0, async {
        let doomed = Store::default().spawn();
        cluster.node(0).register("doomed", &doomed).unwrap();
        doomed
    });
    let url = cluster.node(0).url("doomed");
    let remote = cluster.run(1, async {
        cluster.node(1).lookup::<Store>(&url).await.unwrap()
    });
    cluster.run(0, async {
        doomed.stop();
        let _ = doomed.stopped().await;
    });
    cluster.run(1, async {
        // Through a real reference made while it lived.
        let stopped = timeout(BOUND, remote.stock()).await.unwrap();
        assert!(
            matches!(stopped, Err(Error::ActorStopped { .. })),
            "{stopped:?}"
        );
        // And by hand.
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.ask(1, doomed.id(), "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: Stopped");
        raw.tell(doomed.id(), "add", &[1]).await.unwrap();
        raw.ask(2, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 2: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn a_lookup_of_a_missing_name_is_a_typed_not_registered() {
    let (cluster, _) = serving();
    let url = cluster.node(0).url("nobody-here");
    cluster.run(1, async {
        let missing = timeout(BOUND, cluster.node(1).lookup::<Store>(&url))
            .await
            .unwrap();
        assert!(
            matches!(missing, Err(Error::NotRegistered { ref name }) if name.contains("nobody-here")),
            "{missing:?}"
        );
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        raw.lookup(3, "nobody-here").await.unwrap();
        assert_eq!(
            next(&mut raw).await.unwrap(),
            "Answer { id: 3, answer: NotRegistered }"
        );
        raw.lookup(4, &"x".repeat(100_000)).await.unwrap();
        assert_eq!(
            next(&mut raw).await.unwrap(),
            "Answer { id: 4, answer: NotRegistered }"
        );
    });
    still_serves(&cluster);
}

#[test]
fn spawn_requests_with_bad_state_or_unknown_types_get_typed_answers() {
    let (cluster, _) = serving();
    cluster.run(0, async { cluster.node(0).allow_spawn::<Store>() });
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        let name = <Store as Actor>::NAME;
        raw.spawn(1, name, &[0xff; 12]).await.unwrap();
        let failed = next(&mut raw).await.unwrap();
        assert!(
            failed.starts_with("Answer { id: 1, answer: SpawnFailed("),
            "{failed}"
        );
        raw.spawn(2, &"T".repeat(100_000), &[]).await.unwrap();
        assert_eq!(
            next(&mut raw).await.unwrap(),
            "Answer { id: 2, answer: NotSpawnable }"
        );
        raw.spawn(3, name, &[4]).await.unwrap();
        let spawned = next(&mut raw).await.unwrap();
        assert!(
            spawned.starts_with("Answer { id: 3, answer: Spawned("),
            "{spawned}"
        );
    });
    still_serves(&cluster);
}

#[test]
fn a_peer_that_never_reads_is_disconnected() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    cluster.run(0, async {
        // Large answers to a small request.
        for i in 0..200 {
            let store = Store::default().spawn();
            let name = format!("{i:04}-{}", "n".repeat(200));
            cluster.node(0).register(&name, &store).unwrap();
        }
    });
    cluster.run(1, async {
        let mut raw = RawPeer::connect(&address(&cluster), COOKIE).await.unwrap();
        // Requests answered by tens of kilobytes each, never read: the
        // node must not buffer answers without end, but hang up.
        let deadline = Instant::now() + BOUND;
        let mut id = 0;
        'sending: while Instant::now() < deadline {
            for _ in 0..50 {
                id += 1;
                if raw.describe(id).await.is_err() {
                    break 'sending;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Reading now drains what was sent, then must find the end.
        while next(&mut raw).await.is_some() {}
        // The line names the peer by the address it advertises, the same
        // for every raw peer: only the capture's start keeps it to this
        // test (no other test here leaves a peer unread).
        let needles = ["dropping a connection", "does not read"];
        let said = logs.logged(BOUND, &needles).await;
        let dropped: Vec<String> = logs
            .lines()
            .into_iter()
            .filter(|line| line.contains("dropping a connection"))
            .map(|line| line.chars().take(200).collect())
            .collect();
        assert!(said, "{dropped:#?}");
        serves(&cluster).await;
    });
    still_serves(&cluster);
}

// --- Hostile nodes this node connects to ---------------------------------

#[test]
fn a_node_that_hangs_up_during_a_lookup_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let request = next(&mut raw).await.unwrap();
            assert!(request.starts_with("Request"), "{request}");
            drop(raw);
        };
        let (looked_up, ()) = tokio::join!(
            timeout(BOUND, cluster.node(1).lookup::<Store>(&url)),
            hostile
        );
        let looked_up = looked_up.expect("the lookup ends when the node hangs up");
        match looked_up {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(!reason.contains("no answer within"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        serves(&cluster).await;
    });
}

#[test]
fn a_node_that_hangs_up_during_an_ask_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let request = next(&mut raw).await.unwrap();
            assert!(request.starts_with("Request { id: 1"), "{request}");
            let label = ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME);
            raw.answer_found(1, label).await.unwrap();
            let ask = next(&mut raw).await.unwrap();
            assert!(ask.starts_with("Ask"), "{ask}");
            drop(raw);
        };
        let asking = async {
            let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
            timeout(BOUND, store.stock()).await
        };
        let (asked, ()) = tokio::join!(asking, hostile);
        match asked.expect("the ask ends when the node hangs up") {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(!reason.contains("no answer within"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        serves(&cluster).await;
    });
}

#[test]
fn a_listener_that_never_answers_the_hello_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut socket = listener.accept_raw().await.unwrap();
            // Holds the connection, answers nothing, until the node gives up.
            let mut buffer = [0_u8; 1024];
            let _ = timeout(BOUND, async {
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        };
        let (looked_up, ()) = tokio::join!(
            timeout(BOUND, cluster.node(1).lookup::<Store>(&url)),
            hostile
        );
        let looked_up = looked_up.expect("the connect timeout ends the lookup");
        assert!(
            matches!(looked_up, Err(Error::NodeDown { .. })),
            "{looked_up:?}"
        );
        serves(&cluster).await;
    });
}

#[test]
fn a_listener_that_answers_garbage_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut socket = listener.accept_raw().await.unwrap();
            let mut buffer = [0_u8; 1024];
            let _ = socket.read(&mut buffer).await;
            // A frame of a gigabyte, announced and never sent.
            let _ = socket.write_all(&(1_u32 << 30).to_be_bytes()).await;
            let _ = timeout(BOUND, socket.read(&mut buffer)).await;
        };
        let (looked_up, ()) = tokio::join!(
            timeout(BOUND, cluster.node(1).lookup::<Store>(&url)),
            hostile
        );
        let looked_up = looked_up.expect("the lookup ends");
        match looked_up {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("frame size too big"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        serves(&cluster).await;
    });
}

#[test]
fn an_answer_of_the_wrong_kind_does_not_take_the_place_of_the_real_one() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let request = next(&mut raw).await.unwrap();
            assert!(request.starts_with("Request { id: 1"), "{request}");
            // A call's reply under the request's id, then the real answer.
            raw.reply(1, &[9]).await.unwrap();
            let label = ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME);
            raw.answer_found(1, label).await.unwrap();
            let ask = next(&mut raw).await.unwrap();
            assert!(ask.starts_with("Ask { id: 2"), "{ask}");
            // A node answer under the call's id, then the real reply.
            raw.answer_not_registered(2).await.unwrap();
            raw.reply(2, &[5]).await.unwrap();
            raw
        };
        let asking = async {
            let store = timeout(BOUND, cluster.node(1).lookup::<Store>(&url))
                .await
                .expect("the lookup is answered")
                .expect("the real answer counts");
            timeout(BOUND, store.stock()).await
        };
        let (asked, _raw) = tokio::join!(asking, hostile);
        assert_eq!(asked.expect("the ask is answered").unwrap(), 5);
        serves(&cluster).await;
    });
}

#[test]
fn replies_that_do_not_decode_are_codec_errors_for_the_caller() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let request = next(&mut raw).await.unwrap();
            assert!(request.starts_with("Request { id: 1"), "{request}");
            let label = ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME);
            raw.answer_found(1, label).await.unwrap();
            // Not a u64; a Percent whose decoding panics; trailing bytes.
            for (id, value) in [(2, &[0xff_u8; 12][..]), (3, &[200][..]), (4, &[1, 2][..])] {
                let ask = next(&mut raw).await.unwrap();
                assert!(ask.starts_with(&format!("Ask {{ id: {id}")), "{ask}");
                raw.reply(id, value).await.unwrap();
            }
            raw
        };
        let asking = async {
            let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
            let garbage = timeout(BOUND, store.stock()).await.unwrap();
            let panicking = timeout(BOUND, store.rate()).await.unwrap();
            let trailing = timeout(BOUND, store.stock()).await.unwrap();
            (garbage, panicking.map(|p| p.0), trailing)
        };
        let ((garbage, panicking, trailing), _raw) = tokio::join!(asking, hostile);
        assert!(matches!(garbage, Err(Error::Codec { .. })), "{garbage:?}");
        match panicking {
            Err(Error::Codec { message, .. }) => {
                assert!(message.contains("not a percentage"), "{message}")
            }
            other => panic!("expected a codec error, got {other:?}"),
        }
        assert!(matches!(trailing, Err(Error::Codec { .. })), "{trailing:?}");
        serves(&cluster).await;
    });
}

#[test]
fn a_node_that_says_goodbye_mid_ask_gives_node_down_with_its_reason() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let _request = next(&mut raw).await.unwrap();
            let label = ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME);
            raw.answer_found(1, label).await.unwrap();
            let ask = next(&mut raw).await.unwrap();
            assert!(ask.starts_with("Ask"), "{ask}");
            raw.bye("going away for maintenance").await.unwrap();
            // Holds the socket open: the goodbye alone must end the call.
            raw
        };
        let asking = async {
            let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
            timeout(BOUND, store.stock()).await
        };
        let (asked, _raw) = tokio::join!(asking, hostile);
        match asked.expect("the ask ends with the goodbye") {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("going away for maintenance"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        serves(&cluster).await;
    });
}

/// A reason a hostile node might send: a forged log line, then a megabyte.
fn poisoned_reason() -> String {
    format!("bad\nFORGED-LINE level=ERROR {}", "x".repeat(1 << 20))
}

fn assert_tame(reason: &str) {
    assert!(
        !reason.contains('\n'),
        "a newline from the peer: {reason:.80}"
    );
    assert!(reason.len() < 4096, "{} bytes of reason", reason.len());
}

#[test]
fn a_goodbye_reason_is_escaped_and_bounded_in_every_failed_call() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let _request = next(&mut raw).await.unwrap();
            let label = ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME);
            raw.answer_found(1, label).await.unwrap();
            for _ in 0..20 {
                let ask = next(&mut raw).await.unwrap();
                assert!(ask.starts_with("Ask"), "{ask}");
            }
            raw.bye(&poisoned_reason()).await.unwrap();
            raw
        };
        let asking = async {
            let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
            let calls: Vec<_> = (0..20).map(|_| store.stock()).collect();
            timeout(BOUND, futures_util::future::join_all(calls)).await
        };
        let (asked, _raw) = tokio::join!(asking, hostile);
        for result in asked.expect("the goodbye ends every call") {
            match result {
                Err(Error::NodeDown { reason, .. }) => {
                    assert!(reason.contains("FORGED-LINE"), "{reason:.80}");
                    assert_tame(&reason);
                }
                other => panic!("expected NodeDown, got {other:?}"),
            }
        }
        serves(&cluster).await;
    });
}

#[test]
fn a_refusal_reason_is_escaped_and_bounded_in_the_error_and_the_log() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    cluster.run(1, async {
        let listener = RawListener::bind(COOKIE).await.unwrap();
        let url = format!("{}/store", listener.address());
        let hostile = async {
            let mut socket = listener.accept_raw().await.unwrap();
            let mut buffer = [0_u8; 4096];
            let _hello = socket.read(&mut buffer).await.unwrap();
            // Refused { reason }: variant 4, then the string. Under the
            // 64 KiB handshake limit, so the node reads it.
            let reason = &poisoned_reason()[..60_000];
            let mut body = vec![4];
            body.extend(varint(reason.len() as u64));
            body.extend(reason.as_bytes());
            let mut frame = (body.len() as u32).to_be_bytes().to_vec();
            frame.extend(body);
            socket.write_all(&frame).await.unwrap();
            socket
        };
        let (looked_up, _socket) = tokio::join!(
            timeout(BOUND, cluster.node(1).lookup::<Store>(&url)),
            hostile
        );
        match looked_up.expect("the refusal ends the lookup") {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("FORGED-LINE"), "{reason:.80}");
                assert_tame(&reason);
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        let needles = [
            &field("peer", listener.address()),
            "could not connect",
            "FORGED-LINE",
        ];
        assert!(logs.logged(BOUND, &needles).await);
        assert!(
            !logs
                .lines()
                .iter()
                .any(|line| line.starts_with("FORGED-LINE")),
            "a peer forged a log line"
        );
        serves(&cluster).await;
    });
}
