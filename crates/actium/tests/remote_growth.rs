//! What an authenticated peer can make a node grow, and the bounds on it:
//! idle peers are disconnected and forgotten, the peer table has a cap,
//! addresses learnt from references are dialled only as the node's policy
//! allows, and what a frame decodes into is bounded by its size.
#![cfg(feature = "remote")]

mod support;

use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::testing::RawPeer;
use actium::remote::{DialPolicy, Node, NodeAddress, NodeBuilder};
use actium::{Error, Monitor, System};
use support::Event;
use support::remote::{COOKIE, varint};
use tokio::time::timeout;

/// Longer than anything a node waits for, so that a test fails rather
/// than hangs.
const BOUND: Duration = Duration::from_secs(15);

/// An idle timeout short enough for tests.
const IDLE: Duration = Duration::from_millis(300);

/// Holds a value; what nodes look up, call and hand references to.
#[derive(Default)]
struct Store {
    value: u64,
    cells: Vec<ActorRef<Store>>,
}

#[actor(remote)]
impl Store {
    #[ask]
    fn get(&self) -> u64 {
        self.value
    }

    #[tell]
    fn publish(&mut self, cell: ActorRef<Store>) {
        self.cells.push(cell);
    }

    #[ask]
    fn cells(&self) -> Vec<ActorRef<Store>> {
        self.cells.clone()
    }

    #[ask]
    fn count_units(&self, units: Vec<()>) -> u64 {
        units.len() as u64
    }

    #[ask]
    fn count_lists(&self, lists: Vec<Vec<u64>>) -> u64 {
        lists.len() as u64
    }
}

/// Answers `wait` once the test fires its event: a call that stays
/// pending for as long as a test needs.
struct Slow {
    go: Event,
}

#[actor(remote)]
impl Slow {
    #[ask]
    async fn wait(&self) -> u64 {
        self.go.wait().await;
        1
    }
}

/// Monitors actors on other nodes; records what it hears.
#[derive(Default)]
struct Watcher {
    log: Vec<String>,
}

#[actor]
impl Watcher {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Store>) -> Monitor {
        ctx.monitor(&other)
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.log.push(format!("down {}", down.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }
}

/// Nodes in this process, one system each, each built as the test says.
/// Shuts them down when dropped.
struct Net {
    nodes: Vec<(Node, System)>,
}

impl Net {
    fn new() -> Self {
        Net { nodes: Vec::new() }
    }

    /// Starts a node with the test cookie, configured by `configure`, and
    /// returns its index.
    fn add(&mut self, configure: impl FnOnce(NodeBuilder) -> NodeBuilder) -> usize {
        let system = System::builder()
            .mode(Mode::Tasks)
            .start()
            .expect("a test system starts");
        let i = self.nodes.len();
        let builder = Node::builder()
            .system(system.handle())
            .name(format!("n{i}"))
            .cookie(COOKIE);
        let node = system
            .block_on(configure(builder).start())
            .expect("a test node starts");
        self.nodes.push((node, system));
        i
    }

    fn node(&self, i: usize) -> &Node {
        &self.nodes[i].0
    }

    fn address(&self, i: usize) -> String {
        self.node(i).address().to_string()
    }

    fn run<F: std::future::Future>(&self, i: usize, future: F) -> F::Output {
        self.nodes[i].1.block_on(future)
    }

    /// Registers a store holding `value` on node `i` as `store`.
    fn store(&self, i: usize, value: u64) -> ActorRef<Store> {
        self.run(i, async {
            let store = Store {
                value,
                ..Store::default()
            }
            .spawn();
            self.node(i).register("store", &store).unwrap();
            store
        })
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for (node, system) in self.nodes.drain(..) {
            node.shutdown();
            system.shutdown();
        }
    }
}

/// Waits (up to [`BOUND`]) until `condition` holds.
async fn until(condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn node_down_reason(error: Error) -> String {
    match error {
        Error::NodeDown { reason, .. } => reason,
        other => panic!("expected NodeDown, got {other:?}"),
    }
}

// --- Idle peers ----------------------------------------------------------

#[test]
fn an_unused_peer_is_disconnected_and_forgotten_after_the_idle_timeout() {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let b = net.add(|b| b.idle_timeout(IDLE));
    let a_address = net.address(a);
    let b_address = net.address(b);
    net.run(b, async {
        let info = net.node(b).describe(&a_address).await.unwrap();
        assert_eq!(info.name, "n0");
        assert!(net.node(b).connected().contains(&a_address));
        // Nothing uses A any more: B lets it go, and A hears it was idle.
        assert!(until(|| !net.node(b).known_nodes().contains(&a_address)).await);
        assert!(until(|| !net.node(a).connected().contains(&b_address)).await);
        // Using A again connects again, at once.
        let info = net.node(b).describe(&a_address).await.unwrap();
        assert_eq!(info.name, "n0");
    });
    // A is not down for B's having closed an idle connection: it calls B
    // at once.
    net.run(a, async {
        assert_eq!(net.node(a).describe(&b_address).await.unwrap().name, "n1");
    });
}

#[test]
fn a_peer_is_kept_while_a_reference_a_monitor_or_a_call_uses_it() {
    let mut net = Net::new();
    let (with_ref, with_monitor, with_call, control) = (
        net.add(|b| b),
        net.add(|b| b),
        net.add(|b| b),
        net.add(|b| b),
    );
    let me = net.add(|b| b.idle_timeout(IDLE));
    for i in [with_ref, with_monitor, control] {
        net.store(i, 7);
    }
    let go = Event::new();
    net.run(with_call, async {
        let slow = Slow { go: go.clone() }.spawn();
        net.node(with_call).register("slow", &slow).unwrap();
    });
    let addresses: Vec<String> = (0..4).map(|i| net.address(i)).collect();
    net.run(me, async {
        let node = net.node(me);
        let store = node
            .lookup::<Store>(&net.node(with_ref).url("store"))
            .await
            .unwrap();
        let watcher = Watcher::default().spawn();
        {
            let watched = node
                .lookup::<Store>(&net.node(with_monitor).url("store"))
                .await
                .unwrap();
            watcher.watch(watched).await.unwrap();
        }
        let call = {
            let slow = node
                .lookup::<Slow>(&net.node(with_call).url("slow"))
                .await
                .unwrap();
            slow.wait()
        };
        node.describe(&addresses[control]).await.unwrap();
        // The control, used last, goes once idle: the others have been
        // quiet longer, and are kept for what still uses them.
        assert!(until(|| !node.known_nodes().contains(&addresses[control])).await);
        let connected = node.connected();
        for i in [with_ref, with_monitor, with_call] {
            assert!(
                connected.contains(&addresses[i]),
                "{} was dropped",
                addresses[i]
            );
        }
        assert_eq!(store.get().await.unwrap(), 7);
        go.fire();
        assert_eq!(timeout(BOUND, call).await.unwrap().unwrap(), 1);
        assert_eq!(watcher.log().await.unwrap(), Vec::<String>::new());
    });
}

// --- The cap ---------------------------------------------------------------

#[test]
fn a_new_node_past_the_peer_cap_is_refused_with_node_down() {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let c = net.add(|b| b);
    let b = net.add(|b| b.max_peers(1));
    net.store(a, 1);
    net.store(b, 2);
    let (a_address, c_address) = (net.address(a), net.address(c));
    net.run(b, async {
        let store = net
            .node(b)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        let reason = node_down_reason(net.node(b).describe(&c_address).await.unwrap_err());
        assert!(reason.contains("max_peers"), "{reason}");
        assert_eq!(net.node(b).known_nodes(), vec![a_address.clone()]);
        assert_eq!(store.get().await.unwrap(), 1);
    });
    // A node connecting to B is refused too, with the reason.
    net.run(c, async {
        let error = net
            .node(c)
            .lookup::<Store>(&net.node(b).url("store"))
            .await
            .unwrap_err();
        let reason = node_down_reason(error);
        assert!(
            reason.contains("refused") && reason.contains("max_peers"),
            "{reason}"
        );
    });
    assert_eq!(net.node(b).known_nodes(), vec![a_address]);
}

#[test]
fn a_reference_past_the_peer_cap_decodes_but_its_calls_fail_with_node_down() {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let c = net.add(|b| b);
    let b = net.add(|b| b.max_peers(1));
    let directory = net.store(a, 0);
    let cell = net.store(c, 42);
    net.run(c, async {
        let directory = net
            .node(c)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        directory.publish(cell.clone()).unwrap();
        assert_eq!(directory.cells().await.unwrap().len(), 1);
    });
    drop(directory);
    net.run(b, async {
        let directory = net
            .node(b)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        let cells = directory.cells().await.unwrap();
        assert_eq!(cells[0].id(), cell.id());
        let reason = node_down_reason(cells[0].get().await.unwrap_err());
        assert!(reason.contains("max_peers"), "{reason}");
        assert_eq!(net.node(b).known_nodes(), vec![net.address(a)]);
    });
}

// --- Addresses learnt from references ---------------------------------------

/// Node 0 holds a directory, node 1 publishes its store (42) there; node 2,
/// started with `configure`, gets the reference from the directory.
fn third_node(configure: impl FnOnce(NodeBuilder, &str) -> NodeBuilder) -> (Net, ActorRef<Store>) {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let c = net.add(|b| b);
    let c_address = net.address(c);
    net.add(|b| configure(b, &c_address));
    net.store(a, 0);
    let cell = net.store(c, 42);
    net.run(c, async {
        let directory = net
            .node(c)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        directory.publish(cell.clone()).unwrap();
        assert_eq!(directory.cells().await.unwrap().len(), 1);
    });
    (net, cell)
}

#[test]
fn a_reference_to_an_unknown_node_is_not_dialled_under_the_known_policy() {
    let (net, cell) = third_node(|b, _| b.dial_learnt_addresses(DialPolicy::Known));
    let (a, c, b) = (0, 1, 2);
    let c_address = net.address(c);
    net.run(b, async {
        let node = net.node(b);
        let directory = node
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        // The reference decodes: it is a value, whatever the policy.
        let cells = directory.cells().await.unwrap();
        assert_eq!(cells[0].id(), cell.id());
        let reason = node_down_reason(cells[0].get().await.unwrap_err());
        assert!(reason.contains("dial_learnt_addresses"), "{reason}");
        assert!(!node.known_nodes().contains(&c_address));
        // Once the application names C itself, the same reference works.
        node.describe(&c_address).await.unwrap();
        assert_eq!(cells[0].get().await.unwrap(), 42);
    });
}

#[test]
fn an_allowed_address_learnt_from_a_reference_is_dialled() {
    let (net, _cell) = third_node(|b, c| {
        b.dial_learnt_addresses(DialPolicy::Allow(vec![NodeAddress::parse(c).unwrap()]))
    });
    let (a, c, b) = (0, 1, 2);
    net.run(b, async {
        let directory = net
            .node(b)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        let cells = directory.cells().await.unwrap();
        assert_eq!(cells[0].get().await.unwrap(), 42);
        assert!(net.node(b).connected().contains(&net.address(c)));
    });
}

// --- Decoded sizes ----------------------------------------------------------

#[test]
fn a_vec_of_units_declaring_two_to_the_sixty_elements_gets_a_codec_error_at_once() {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let b = net.add(|b| b);
    let store = net.store(a, 5);
    let address = net.address(a);
    net.run(b, async {
        let mut raw = RawPeer::connect(&address, COOKIE).await.unwrap();
        raw.ask(1, store.id(), "count_units", &varint(1 << 60))
            .await
            .unwrap();
        let reply = timeout(BOUND, raw.next()).await.expect("answered in time");
        let reply = reply.unwrap();
        assert!(reply.starts_with("reply 1: Rejected(Codec("), "{reply}");
        // Within the bounds, such a list decodes; and the node serves on.
        raw.ask(2, store.id(), "count_units", &varint(1000))
            .await
            .unwrap();
        let reply = timeout(BOUND, raw.next()).await.expect("answered in time");
        assert_eq!(reply.unwrap(), format!("reply 2: value {:?}", varint(1000)));
        let looked_up = net
            .node(b)
            .lookup::<Store>(&net.node(a).url("store"))
            .await
            .unwrap();
        assert_eq!(looked_up.get().await.unwrap(), 5);
    });
}

#[test]
fn a_full_size_frame_of_nested_vectors_is_refused_rather_than_decoded() {
    let mut net = Net::new();
    let a = net.add(|b| b);
    let b = net.add(|b| b);
    let store = net.store(a, 5);
    let address = net.address(a);
    net.run(b, async {
        let mut raw = RawPeer::connect(&address, COOKIE).await.unwrap();
        // Nearly 16 MiB of empty lists: 24 bytes of memory each, about
        // 400 MiB in all.
        let count = actium::remote::DEFAULT_MAX_FRAME as u64 - 64;
        let mut payload = varint(count);
        payload.resize(payload.len() + count as usize, 0);
        raw.ask(1, store.id(), "count_lists", &payload)
            .await
            .unwrap();
        let reply = timeout(BOUND, raw.next()).await.expect("answered in time");
        let reply = reply.unwrap();
        assert!(reply.starts_with("reply 1: Rejected(Codec("), "{reply}");
        assert!(reply.contains("more memory than allowed"), "{reply}");
        // A list that fits the bounds decodes; the node serves on.
        let mut payload = varint(1000);
        payload.resize(payload.len() + 1000, 0);
        raw.ask(2, store.id(), "count_lists", &payload)
            .await
            .unwrap();
        let reply = timeout(BOUND, raw.next()).await.expect("answered in time");
        assert_eq!(reply.unwrap(), format!("reply 2: value {:?}", varint(1000)));
    });
}
