//! Groups whose members live on this node and on two others that meet
//! through a real `nats-server`: multicast, gather, first-k and quorum
//! reach every member; a member's node killed mid-call fails that
//! member's calls with `NodeDown`, beside the others' answers — the same
//! per-member errors as with TCP nodes, which the last test shows by
//! running the same calls over TCP.

mod support;

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use actium::nats::NatsNode;
use actium::prelude::*;
use actium::remote::Node;
use actium::{Error, Group};
use support::{Cluster, LIMIT};
use tokio::sync::Semaphore;

/// A member that answers, or one that hangs in its call until released.
#[derive(Clone)]
enum Behaviour {
    Answer(u32),
    Hang(Hold),
}

/// Counts the calls that began hanging, and releases them.
#[derive(Clone)]
struct Hold {
    started: Arc<Semaphore>,
    release: Arc<Semaphore>,
}

impl Hold {
    fn new() -> Self {
        Hold {
            started: Arc::new(Semaphore::new(0)),
            release: Arc::new(Semaphore::new(0)),
        }
    }

    /// Waits until `calls` calls began hanging.
    async fn started(&self, calls: u32) {
        let started = self.started.acquire_many(calls).await;
        started.expect("never closed").forget();
    }
}

/// Releases every hanging call when dropped: declared after the nodes,
/// it is dropped first, so no member is left hanging while they stop,
/// whether the test passed or not.
struct Release(Arc<Semaphore>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.add_permits(1000);
    }
}

struct Member {
    behaviour: Behaviour,
    pokes: u32,
}

#[actor(remote)]
impl Member {
    /// Parallel, so that several calls hang at once, each counted.
    #[ask(parallel)]
    async fn vote(mut this: Reentrant<Self>) -> u32 {
        match this.with(|member| member.behaviour.clone()) {
            Behaviour::Answer(value) => value,
            Behaviour::Hang(hold) => {
                hold.started.add_permits(1);
                let _released = hold.release.acquire().await;
                0
            }
        }
    }

    #[tell]
    fn poke(&mut self, times: u32) {
        self.pokes += times;
    }

    #[ask]
    fn pokes(&self) -> u32 {
        self.pokes
    }
}

fn member(behaviour: Behaviour) -> ActorRef<Member> {
    Member {
        behaviour,
        pokes: 0,
    }
    .spawn()
}

/// What kind of error a member's call ended in, in a word.
fn kind(error: &Error) -> String {
    match error {
        Error::NodeDown { .. } => "node down".to_owned(),
        Error::Timeout { .. } => "timeout".to_owned(),
        Error::ActorStopped { .. } => "stopped".to_owned(),
        other => format!("{other:?}"),
    }
}

/// A group of a member of this node (answers 1), one of the near node
/// (answers 2) and two of the far node (hang until released); `kill`
/// kills the far node. Multicasts, then asks the first two, then gathers
/// and asks a quorum while the far node is killed mid-call. What the
/// caller saw: the gather's outcomes in member order, then the quorum's.
async fn call_while_a_node_is_killed(
    group: &Group<Member>,
    hold: &Hold,
    kill: impl FnOnce(),
) -> Vec<String> {
    let delivery = group.tell_all().poke(5).send();
    assert!(
        delivery.all_succeeded(),
        "{:?}",
        delivery.failures().collect::<Vec<_>>()
    );
    for member in group.members() {
        assert_eq!(member.pokes().await.unwrap(), 5);
    }
    // The far members hang: the first two answers come without them.
    let first = group.first(2).vote().timeout(Duration::from_secs(3600));
    let first = tokio::time::timeout(LIMIT, first.into_future())
        .await
        .expect("first-k waited for the hanging members")
        .unwrap();
    let mut values = first.into_values().unwrap();
    values.sort_unstable();
    assert_eq!(values, [1, 2]);
    // Two calls hang on the far node for the first-k, two for the gather,
    // two for the quorum: once all six have begun, the node is killed.
    let gather = group.ask_all().vote().timeout(Duration::from_secs(3600));
    let quorum = group.quorum().vote().timeout(Duration::from_secs(3600));
    let killer = async {
        hold.started(6).await;
        kill();
    };
    let everything = async { tokio::join!(gather.into_future(), quorum.into_future(), killer) };
    let (gathered, quorum, ()) = tokio::time::timeout(LIMIT, everything)
        .await
        .expect("the calls on the killed node ended");
    let mut seen: Vec<String> = gathered
        .iter()
        .map(|reply| match &reply.result {
            Ok(value) => format!("ok {value}"),
            Err(error) => kind(error),
        })
        .collect();
    let members: Vec<ActorId> = gathered.iter().map(|reply| reply.member).collect();
    let expected: Vec<ActorId> = group.members().iter().map(ActorRef::id).collect();
    assert_eq!(members, expected);
    seen.push(match quorum {
        Err(Error::NotEnoughReplies {
            needed,
            succeeded,
            failures,
        }) => {
            // The near member's answer may or may not be in when the far
            // node's calls fail: either way no quorum is left.
            assert!(succeeded <= 2, "{succeeded}");
            let failures: Vec<String> = failures.iter().map(kind).collect();
            format!("quorum of {needed} failed: {}", failures.join(", "))
        }
        Ok(replies) => format!("quorum reached: {}", replies.len()),
        Err(other) => format!("quorum: {other:?}"),
    });
    seen
}

/// What every transport must show.
const EXPECTED: [&str; 5] = [
    "ok 1",
    "ok 2",
    "node down",
    "node down",
    "quorum of 3 failed: node down, node down",
];

/// Registers `members` on a node's system as `m0`, `m1`, ….
fn spawn_members(
    system: &System,
    behaviours: Vec<Behaviour>,
    register: impl Fn(&str, &ActorRef<Member>),
) {
    system.block_on(async {
        for (i, behaviour) in behaviours.into_iter().enumerate() {
            register(&format!("m{i}"), &member(behaviour));
        }
    });
}

async fn nats_members(node: &NatsNode, of: &NatsNode, count: usize) -> Vec<ActorRef<Member>> {
    let mut found = Vec::new();
    for i in 0..count {
        found.push(node.lookup(&of.url(&format!("m{i}"))).await.unwrap());
    }
    found
}

#[test]
fn group_calls_reach_local_and_remote_members_and_a_killed_node_is_node_down() {
    let beat = Some((Duration::from_millis(100), Duration::from_millis(600)));
    let cluster = Cluster::with_heartbeats(&[beat, beat, beat]);
    let hold = Hold::new();
    let _release = Release(hold.release.clone());
    for (i, behaviours) in [
        (1, vec![Behaviour::Answer(2)]),
        (
            2,
            vec![Behaviour::Hang(hold.clone()), Behaviour::Hang(hold.clone())],
        ),
    ] {
        let node = cluster.node(i);
        spawn_members(cluster.system(i), behaviours, |name, actor| {
            node.register(name, actor).unwrap();
        });
    }
    cluster.run(0, async {
        let caller = cluster.node(0);
        let near = nats_members(caller, cluster.node(1), 1).await;
        let far = nats_members(caller, cluster.node(2), 2).await;
        let local = member(Behaviour::Answer(1));
        let group = Group::new([local].into_iter().chain(near).chain(far));
        // Killed as a crash would: no goodbye, found by its silence.
        let seen = call_while_a_node_is_killed(&group, &hold, || cluster.node(2).vanish()).await;
        assert_eq!(seen, EXPECTED);
        // The far node stays down: a multicast reports its members at
        // once, and reaches the others.
        let delivery = group.tell_all().poke(1).send();
        let failed: Vec<(ActorId, String)> = delivery
            .failures()
            .map(|(member, error)| (member, kind(error)))
            .collect();
        let far_ids: Vec<(ActorId, String)> = group.members()[2..]
            .iter()
            .map(|member| (member.id(), "node down".to_owned()))
            .collect();
        assert_eq!(failed, far_ids);
        for member in &group.members()[..2] {
            assert_eq!(member.pokes().await.unwrap(), 6);
        }
    });
}

/// `n` TCP nodes on 127.0.0.1, one system each.
fn tcp_nodes(n: usize) -> Vec<(Node, System)> {
    (0..n)
        .map(|_| {
            let system = System::builder().start().expect("a test system starts");
            let node = system
                .block_on(
                    Node::builder()
                        .system(system.handle())
                        .cookie("groups")
                        .start(),
                )
                .expect("a TCP node starts");
            (node, system)
        })
        .collect()
}

#[test]
fn a_killed_member_node_gives_the_same_per_member_errors_as_over_tcp() {
    let nodes = tcp_nodes(3);
    let hold = Hold::new();
    let release = Release(hold.release.clone());
    for (i, behaviours) in [
        (1, vec![Behaviour::Answer(2)]),
        (
            2,
            vec![Behaviour::Hang(hold.clone()), Behaviour::Hang(hold.clone())],
        ),
    ] {
        let node = &nodes[i].0;
        spawn_members(&nodes[i].1, behaviours, |name, actor| {
            node.register(name, actor).unwrap();
        });
    }
    let seen = nodes[0].1.block_on(async {
        let caller = &nodes[0].0;
        let mut members = vec![member(Behaviour::Answer(1))];
        for (of, count) in [(&nodes[1].0, 1), (&nodes[2].0, 2)] {
            for i in 0..count {
                let url = of.url(&format!("m{i}"));
                members.push(caller.lookup(&url).await.unwrap());
            }
        }
        let group = Group::new(members);
        // Over TCP, a node shut down closes its connections.
        call_while_a_node_is_killed(&group, &hold, || nodes[2].0.shutdown()).await
    });
    assert_eq!(seen, EXPECTED);
    drop(release);
    for (node, system) in nodes {
        node.shutdown();
        system.shutdown();
    }
}
