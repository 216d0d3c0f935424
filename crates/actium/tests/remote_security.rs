//! Nodes authenticate each other, and bad input from a peer — garbage,
//! oversize frames, unknown actors or methods, mistyped arguments, forged
//! signals — gets a clear error or a closed connection, while the node
//! keeps serving everyone else.
#![cfg(feature = "remote")]

#[path = "support/hostile.rs"]
mod hostile;
mod support;

use std::io::{Read, Write};
use std::time::Duration;

use actium::remote::Node;
use actium::{ActorId, Error};
use hostile::*;
use support::remote::{Logs, Tap, field};

/// Another version of the store the node serves (`hostile::Store`): a
/// method the server lacks, and one whose argument type changed.
mod v2 {
    use actium::prelude::*;

    pub struct Store;

    #[actor(remote)]
    impl Store {
        #[ask]
        pub fn restock(&self) -> u64 {
            0
        }

        #[ask]
        pub fn take(&mut self, _amount: String) -> u64 {
            0
        }
    }
}

#[test]
fn a_node_with_another_cookie_is_refused_with_a_logged_reason() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    // The stranger reaches the node through a tap, so that both nodes'
    // lines about this connection can be told from other tests' lines.
    let tap = Tap::start(cluster.node(0).address().socket());
    let url = format!("{}/store", tap.address);
    let other = actium::System::builder().start().unwrap();
    other.block_on(async {
        let stranger = Node::builder()
            .system(other.handle())
            .cookie("not-the-cookie")
            .start()
            .await
            .unwrap();
        let result = stranger.lookup::<Store>(&url).await;
        let reason = node_down(result);
        assert!(reason.contains("authentication failed"), "{reason}");
        // The connector checks the listener's proof first, so it is the
        // stranger that finds the cookies differ and says so; the node
        // only sees the stranger hang up mid-handshake.
        let limit = Duration::from_secs(10);
        let failed = [
            &field("peer", &tap.address),
            "could not connect",
            "authentication failed",
        ];
        assert!(
            logs.logged(limit, &failed).await,
            "the stranger logged no reason: {:#?}",
            logs.lines()
        );
        let refused = [&field("from", &tap.from), "refused a connection"];
        assert!(
            logs.logged(limit, &refused).await,
            "the node logged no refusal: {:#?}",
            logs.lines()
        );
        stranger.shutdown();
    });
    other.shutdown();
    still_serves(&cluster);
}

#[test]
fn a_system_hosts_one_node() {
    let (cluster, _) = serving();
    cluster.run(0, async {
        let second = Node::builder()
            .system(cluster.system(0).handle())
            .start()
            .await;
        assert!(matches!(second, Err(Error::Listen { .. })), "{second:?}");
    });
}

#[test]
fn garbage_instead_of_a_handshake_is_dropped() {
    let (cluster, _) = serving();
    let mut socket = std::net::TcpStream::connect(cluster.node(0).address().socket()).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket
        .write_all(b"\x00\x00\x00\x10GET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    // The node answers with a refusal and closes: reading ends.
    let _ = socket.read_to_end(&mut rest);
    still_serves(&cluster);
}

#[test]
fn an_oversize_frame_closes_the_connection() {
    let logs = Logs::capture();
    let (cluster, _) = serving();
    let mut socket = std::net::TcpStream::connect(cluster.node(0).address().socket()).unwrap();
    let from = socket.local_addr().unwrap().to_string();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    socket.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let _ = socket.write_all(&[0_u8; 1024]);
    let mut rest = Vec::new();
    // Closed (an end or a reset), not still open when the read gives up.
    if let Err(error) = socket.read_to_end(&mut rest) {
        assert!(
            !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the connection stayed open"
        );
    }
    // For the frame, not by the handshake timeout: the node says why.
    let needles = [
        &field("from", &from),
        "refused a connection",
        "frame size too big",
    ];
    let said = cluster.run(1, logs.logged(Duration::from_secs(10), &needles));
    assert!(said, "no refusal for the frame: {:#?}", logs.lines());
    still_serves(&cluster);
}

#[test]
fn a_malformed_frame_after_the_handshake_drops_that_peer_only() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = peer(&cluster).await;
        raw.ask(1, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: value [0]");
        raw.send_frame(&[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])
            .await
            .unwrap();
        let bye = next(&mut raw).await.unwrap();
        assert!(bye.starts_with("Bye"), "{bye}");
        assert!(next(&mut raw).await.is_none());
    });
    still_serves(&cluster);
}

#[test]
fn unknown_actors_and_methods_and_mistyped_arguments_get_clear_errors() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = peer(&cluster).await;
        let nobody = ActorId::new(store.node(), 9_999);
        raw.ask(1, nobody, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 1: Stopped");
        let elsewhere = ActorId::new(actium::NodeId::from_u64(7), store.local());
        raw.ask(2, elsewhere, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 2: Stopped");
        raw.ask(3, store, "steal", &[]).await.unwrap();
        assert_eq!(
            next(&mut raw).await.unwrap(),
            "reply 3: Rejected(UnknownMethod)"
        );
        raw.ask(4, store, "take", &[1, 2, 3, 4]).await.unwrap();
        let mistyped = next(&mut raw).await.unwrap();
        assert!(
            mistyped.starts_with("reply 4: Rejected(Codec("),
            "{mistyped}"
        );
        // A one-way method called as a request-reply is refused, not lost.
        raw.ask(5, store, "add", &[1]).await.unwrap();
        let wrong_kind = next(&mut raw).await.unwrap();
        assert!(wrong_kind.contains("one-way"), "{wrong_kind}");
        // Bad one-way calls have no answer; the connection stays up.
        raw.tell(store, "steal", &[]).await.unwrap();
        raw.tell(nobody, "add", &[1]).await.unwrap();
        raw.ask(6, store, "stock", &[]).await.unwrap();
        assert_eq!(next(&mut raw).await.unwrap(), "reply 6: value [0]");
    });
    still_serves(&cluster);
}

#[test]
fn a_peer_built_from_other_code_gets_typed_errors() {
    let (cluster, _) = serving();
    let url = cluster.node(0).url("store");
    cluster.run(1, async {
        let other = cluster.node(1).lookup::<v2::Store>(&url).await.unwrap();
        let unknown = other.restock().await;
        assert!(
            matches!(unknown, Err(Error::UnknownMethod { .. })),
            "{unknown:?}"
        );
        let mistyped = other.take("three".into()).await;
        assert!(matches!(mistyped, Err(Error::Codec { .. })), "{mistyped:?}");
    });
    still_serves(&cluster);
}

#[test]
fn a_forged_signal_drops_the_peer() {
    let (cluster, store) = serving();
    cluster.run(1, async {
        let mut raw = peer(&cluster).await;
        // Claims to speak for an actor of the node itself.
        raw.link_as(ActorId::new(raw.peer, 1), store).await.unwrap();
        let bye = next(&mut raw).await.unwrap();
        assert!(bye.starts_with("Bye"), "{bye}");
    });
    still_serves(&cluster);
}
