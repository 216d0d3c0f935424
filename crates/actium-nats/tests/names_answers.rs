//! Answers to a node's requests that go wrong: one too large for a
//! message comes back as a typed error (before, the asker waited for its
//! timeout), and a spawn whose requester gave up does not leave an actor
//! no one can reach (before, it ran on for ever).

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actium::Error;
use actium::prelude::*;
use actium::serde::{Deserialize, Serialize};
use futures_util::FutureExt;
use support::{Cluster, wait_until};

/// Actors of [`Orphan`] started, and stopped.
static STARTED: AtomicU64 = AtomicU64::new(0);
static STOPPED: AtomicU64 = AtomicU64::new(0);

/// Set by the test once the spawn of `Orphan { n: 2 }` has been dropped.
static DROPPED: AtomicBool = AtomicBool::new(false);

#[derive(Serialize, Deserialize)]
#[serde(crate = "actium::serde", from = "OrphanState")]
struct Orphan {
    n: u64,
}

/// What an [`Orphan`] travels as.
#[derive(Deserialize)]
#[serde(crate = "actium::serde")]
struct OrphanState {
    n: u64,
}

impl From<OrphanState> for Orphan {
    /// The node that spawns `Orphan { n: 2 }` decodes it only once its
    /// requester has given up, so its answer cannot come before: without
    /// the wait, a requester's thread preempted between sending the
    /// request and its first wait could find the answer already there.
    fn from(state: OrphanState) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        while state.n == 2 && !DROPPED.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        Orphan { n: state.n }
    }
}

#[actor(remote)]
impl Orphan {
    #[on_start]
    fn start(&mut self) {
        STARTED.fetch_add(1, Ordering::SeqCst);
    }

    #[on_stop]
    fn stop(&mut self, _reason: &ExitReason) {
        STOPPED.fetch_add(1, Ordering::SeqCst);
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

#[test]
fn a_spawn_given_up_before_its_answer_stops_the_actor_it_made() {
    let cluster = Cluster::start(2);
    cluster.node(0).allow_spawn::<Orphan>();
    let host = cluster.node(0).address().to_owned();
    // A spawn that works, for comparison: its actor stays.
    let kept = cluster.run(1, cluster.node(1).spawn_on(&host, Orphan { n: 1 }));
    assert_eq!(cluster.run(1, kept.as_ref().unwrap().get()).unwrap(), 1);
    // Polled once (the request goes out) and dropped: the requester gave
    // up before any answer could come.
    let abandoned = cluster.run(1, async {
        cluster
            .node(1)
            .spawn_on(&host, Orphan { n: 2 })
            .now_or_never()
            .map(|answer| answer.map(|actor| actor.id()))
    });
    DROPPED.store(true, Ordering::SeqCst);
    assert!(
        abandoned.is_none(),
        "the spawn should still be waiting when dropped, but it ended: {abandoned:?}"
    );
    wait_until("the abandoned spawn's actor is started and stopped", || {
        STARTED.load(Ordering::SeqCst) == 2 && STOPPED.load(Ordering::SeqCst) == 1
    });
    assert_eq!(
        cluster.run(1, kept.unwrap().get()).unwrap(),
        1,
        "the other stays"
    );
}

/// Does nothing; many of them make a large snapshot.
struct Idle;

#[actor(remote)]
impl Idle {
    #[tell]
    fn nothing(&mut self) {}
}

#[test]
fn a_snapshot_too_large_for_a_message_is_a_typed_error() {
    const MAX_FRAME: usize = 4096;
    let cluster = Cluster::with_max_frame(2, MAX_FRAME);
    let idle: Vec<ActorRef<Idle>> = cluster.run(0, async {
        let idle: Vec<ActorRef<Idle>> = (0..200).map(|_| Idle.spawn()).collect();
        cluster.node(0).register("idle", &idle[0]).unwrap();
        idle
    });
    let target = cluster.node(0).address().to_owned();
    let answer = cluster.run(1, cluster.node(1).snapshot(&target));
    match answer {
        Err(Error::Codec {
            method, message, ..
        }) => {
            assert_eq!(method, "snapshot");
            assert!(message.contains("cannot be sent"), "{message}");
        }
        other => panic!("expected a codec error, got {other:?}"),
    }
    // A smaller answer from the same node still comes.
    let url = cluster.node(0).url("idle");
    let found = cluster.run(1, cluster.node(1).lookup::<Idle>(&url));
    assert_eq!(found.unwrap().id(), idle[0].id());
}

/// Actors of [`Stranded`] started, and stopped.
static STRANDED_STARTED: AtomicU64 = AtomicU64::new(0);
static STRANDED_STOPPED: AtomicU64 = AtomicU64::new(0);

#[derive(Serialize, Deserialize)]
#[serde(crate = "actium::serde")]
struct Stranded;

#[actor(remote)]
impl Stranded {
    #[on_start]
    fn start(&mut self) {
        STRANDED_STARTED.fetch_add(1, Ordering::SeqCst);
    }

    #[on_stop]
    fn stop(&mut self, _reason: &ExitReason) {
        STRANDED_STOPPED.fetch_add(1, Ordering::SeqCst);
    }

    #[tell]
    fn nothing(&mut self) {}
}

/// Issue 16, finding 3: the host spawns the actor but cannot queue its
/// answer (its outbox to the asker is full): the asker will never have a
/// reference to it. Before the fix it ran on for ever.
#[test]
fn a_spawn_whose_answer_cannot_be_sent_stops_the_actor_it_made() {
    let cluster = Cluster::start(2);
    cluster.node(0).allow_spawn::<Stranded>();
    // Nothing may wait for node 1 on node 0: every frame to it is refused.
    cluster.node(0).limit_outbox_per_node(0);
    let host = cluster.node(0).address().to_owned();
    let waiting = cluster.run(1, async {
        cluster
            .node(1)
            .spawn_on(&host, Stranded)
            .now_or_never()
            .is_none()
    });
    assert!(waiting, "the spawn was waiting for its answer");
    wait_until("the stranded actor is started and stopped", || {
        STRANDED_STARTED.load(Ordering::SeqCst) == 1 && STRANDED_STOPPED.load(Ordering::SeqCst) == 1
    });
}
