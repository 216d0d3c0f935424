//! Hostile nodes this node connects to: listeners that hang up, never
//! answer, answer garbage or the wrong kind, or say goodbye mid-call with
//! a reason crafted to forge log lines.
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

use actium::Error;
use hostile::*;
use support::remote::{Logs, field, varint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

// --- Hostile nodes this node connects to ---------------------------------

#[test]
fn a_node_that_hangs_up_during_a_lookup_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
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
        let reason = node_down(looked_up);
        assert!(!reason.contains("no answer within"), "{reason}");
        serves(&cluster).await;
    });
}

#[test]
fn a_node_that_hangs_up_during_an_ask_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            answer_lookup(&mut raw).await;
            let ask = next(&mut raw).await.unwrap();
            assert!(ask.starts_with("Ask"), "{ask}");
            drop(raw);
        };
        let asking = async {
            let store = cluster.node(1).lookup::<Store>(&url).await.unwrap();
            timeout(BOUND, store.stock()).await
        };
        let (asked, ()) = tokio::join!(asking, hostile);
        let reason = node_down(asked.expect("the ask ends when the node hangs up"));
        assert!(!reason.contains("no answer within"), "{reason}");
        serves(&cluster).await;
    });
}

#[test]
fn a_listener_that_never_answers_the_hello_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
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
        node_down(looked_up);
        serves(&cluster).await;
    });
}

#[test]
fn a_listener_that_answers_garbage_gives_node_down() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
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
        let reason = node_down(looked_up);
        assert!(reason.contains("frame size too big"), "{reason}");
        serves(&cluster).await;
    });
}

#[test]
fn an_answer_of_the_wrong_kind_does_not_take_the_place_of_the_real_one() {
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            let request = next(&mut raw).await.unwrap();
            assert!(request.starts_with("Request { id: 1"), "{request}");
            // A call's reply under the request's id, then the real answer.
            raw.reply(1, &[9]).await.unwrap();
            raw.answer_found(1, store_on(&raw)).await.unwrap();
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
        let (listener, url) = hostile_node().await;
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            answer_lookup(&mut raw).await;
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
        let (listener, url) = hostile_node().await;
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            answer_lookup(&mut raw).await;
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
        let reason = node_down(asked.expect("the ask ends with the goodbye"));
        assert!(reason.contains("going away for maintenance"), "{reason}");
        serves(&cluster).await;
    });
}

/// A reason a hostile node might send: a forged log line, then a megabyte.
fn poisoned_reason() -> String {
    format!("bad\nFORGED-LINE level=ERROR {}", "x".repeat(1 << 20))
}

/// Fails unless `reason` is the poisoned one, escaped and cut.
fn assert_tame(reason: &str) {
    assert!(reason.contains("FORGED-LINE"), "{reason:.80}");
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
        let (listener, url) = hostile_node().await;
        let hostile = async {
            let mut raw = listener.accept().await.unwrap();
            answer_lookup(&mut raw).await;
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
            assert_tame(&node_down(result));
        }
        serves(&cluster).await;
    });
}

#[test]
fn a_refusal_reason_is_escaped_and_bounded_in_the_error_and_the_log() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    cluster.run(1, async {
        let (listener, url) = hostile_node().await;
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
        assert_tame(&node_down(looked_up.expect("the refusal ends the lookup")));
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
