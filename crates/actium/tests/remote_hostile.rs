//! Hostile peers on the wire, after authentication: peers that send
//! garbage, lie about ids, declare huge lengths, never read, or hang up
//! mid-call.
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

use std::time::{Duration, Instant};

use actium::remote::DEFAULT_MAX_FRAME;
use actium::{Actor, ActorId, Error};
use hostile::*;
use support::remote::{Logs, varint};
use tokio::time::timeout;

// --- After authentication ----------------------------------------------

#[test]
fn a_partial_frame_that_stalls_is_dropped_by_the_heartbeat_while_others_are_served() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
            let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
            let mut raw = peer(&cluster).await;
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
            let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
        for id in [0, 1, 42, u64::MAX] {
            raw.reply(id, &[1, 2, 3]).await.unwrap();
            raw.answer_not_registered(id).await.unwrap();
            raw.answer_found(id, store_on(&raw)).await.unwrap();
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
        let mut raw = peer(&cluster).await;
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
