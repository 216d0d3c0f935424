//! What the hostile-peer tests (`remote_hostile*.rs`,
//! `remote_security.rs`) share: the actor hostile peers call, a node
//! serving it, raw connections to it, and bounded reads of what the node
//! sends back.
// Each test file that includes this uses only a part of it.
#![allow(dead_code)]

use std::time::Duration;

use crate::support::remote::{COOKIE, Cluster};
use actium::prelude::*;
use actium::remote::testing::{Heard, RawHandshake, RawListener, RawPeer};
use actium::{Actor, ActorId, ActorLabel, Error, NodeId};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Longer than any bound a node keeps to (the 3 s handshake timeout, the
/// 1.5 s heartbeat timeout), so that a test fails rather than hangs.
pub const BOUND: Duration = Duration::from_secs(15);

/// The actor hostile peers call.
pub mod store {
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

        #[ask]
        pub fn take(&mut self, amount: u64) -> u64 {
            self.stock = self.stock.saturating_sub(amount);
            self.stock
        }
    }
}

pub use store::Store;

/// A node (0) with a registered store, and a well-behaved node (1).
pub fn serving() -> (Cluster, ActorId) {
    let cluster = Cluster::start(2, Mode::Tasks);
    let id = cluster.run(0, async {
        let store = Store::default().spawn();
        cluster.node(0).register("store", &store).unwrap();
        store.id()
    });
    (cluster, id)
}

/// Node 0 answers node 1's real ask (to be awaited inside node 1).
pub async fn serves(cluster: &Cluster) {
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
pub fn still_serves(cluster: &Cluster) {
    cluster.run(1, serves(cluster));
}

pub fn address(cluster: &Cluster) -> String {
    cluster.node(0).address().to_string()
}

/// A raw peer of node 0 that has passed the handshake.
pub async fn peer(cluster: &Cluster) -> RawPeer {
    RawPeer::connect(&address(cluster), COOKIE).await.unwrap()
}

/// A raw connection to node 0 that has sent nothing yet.
pub async fn handshake(cluster: &Cluster) -> RawHandshake {
    RawHandshake::open(&address(cluster)).await.unwrap()
}

pub async fn tcp(cluster: &Cluster) -> TcpStream {
    TcpStream::connect(cluster.node(0).address().socket())
        .await
        .unwrap()
}

/// Reads until the node closes the connection; false if it stays open
/// past [`BOUND`]. A reset counts as closed.
pub async fn closes(socket: &mut TcpStream) -> bool {
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
pub async fn next(raw: &mut RawPeer) -> Option<String> {
    timeout(BOUND, raw.next())
        .await
        .expect("the node answers or closes in time")
}

pub async fn heard(raw: &mut RawHandshake) -> Heard {
    timeout(BOUND, raw.next())
        .await
        .expect("the node answers or closes in time")
}

/// Says hello in this protocol version and returns the node's welcome: its
/// id and challenge. Fails the test on any other answer.
pub async fn welcome(raw: &mut RawHandshake) -> (NodeId, [u8; 32]) {
    raw.hello(RawHandshake::version()).await.unwrap();
    match heard(raw).await {
        Heard::Welcome { node, nonce } => (node, nonce),
        other => panic!("expected a welcome, got {other:?}"),
    }
}

/// The reason the node refuses the handshake with; fails the test on any
/// other answer, or if the node does not close the connection after it.
pub async fn refusal(raw: &mut RawHandshake) -> String {
    let reason = match heard(raw).await {
        Heard::Refused(reason) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(matches!(heard(raw).await, Heard::Closed));
    reason
}

/// A hostile node for node 1 to connect to, and the URL of its `store`.
pub async fn hostile_node() -> (RawListener, String) {
    let listener = RawListener::bind(COOKIE).await.unwrap();
    let url = format!("{}/store", listener.address());
    (listener, url)
}

/// A `Store` on the hostile node `raw` speaks for.
pub fn store_on(raw: &RawPeer) -> ActorLabel {
    ActorLabel::new(ActorId::new(raw.node, 1), <Store as Actor>::NAME)
}

/// Takes the lookup of the store that opens a connection to a hostile node
/// (request 1), and answers that it exists.
pub async fn answer_lookup(raw: &mut RawPeer) {
    let request = next(raw).await.unwrap();
    assert!(request.starts_with("Request { id: 1"), "{request}");
    raw.answer_found(1, store_on(raw)).await.unwrap();
}

/// The reason of a `NodeDown` error; fails the test on anything else.
pub fn node_down<T: std::fmt::Debug>(result: actium::Result<T>) -> String {
    match result {
        Err(Error::NodeDown { reason, .. }) => reason,
        other => panic!("expected NodeDown, got {other:?}"),
    }
}
