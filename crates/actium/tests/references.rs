//! References are values: arguments and results of methods, stored in state,
//! compared, hashed and printed, with globally unique addresses.

use std::collections::{HashMap, HashSet};

use actium::prelude::*;

/// A node of a ring that knows its successor, as in Chord.
struct Peer {
    id: u32,
    successor: Option<ActorRef<Peer>>,
}

#[actor]
impl Peer {
    #[ask]
    fn successor(&self, ctx: &mut Context<Self>) -> ActorRef<Peer> {
        self.successor.clone().unwrap_or_else(|| ctx.myself())
    }

    #[ask]
    fn join(&mut self, via: ActorRef<Peer>) {
        self.successor = Some(via);
    }

    #[ask]
    fn key(&self) -> u32 {
        self.id
    }
}

/// Walks the ring from `start`, following successors.
async fn walk(start: &ActorRef<Peer>, steps: usize) -> actium::Result<Vec<u32>> {
    let mut ids = Vec::new();
    let mut at = start.clone();
    for _ in 0..steps {
        ids.push(at.key().await?);
        at = at.successor().await?;
    }
    Ok(ids)
}

#[actium::test]
async fn references_travel_as_arguments_and_results() -> actium::Result<()> {
    let peers: Vec<ActorRef<Peer>> = (0..5)
        .map(|id| {
            Peer {
                id,
                successor: None,
            }
            .spawn()
        })
        .collect();
    for (i, peer) in peers.iter().enumerate() {
        peer.join(peers[(i + 1) % peers.len()].clone()).await?;
    }
    assert_eq!(walk(&peers[2], 6).await?, [2, 3, 4, 0, 1, 2]);
    // A lone peer is its own successor: `myself()` is a reference like any.
    let lone = Peer {
        id: 9,
        successor: None,
    }
    .spawn();
    assert_eq!(lone.successor().await?, lone);
    Ok(())
}

#[actium::test]
async fn references_compare_hash_and_print() -> actium::Result<()> {
    let a = Peer {
        id: 1,
        successor: None,
    }
    .spawn();
    let b = Peer {
        id: 2,
        successor: None,
    }
    .spawn();
    let set: HashSet<ActorRef<Peer>> = [a.clone(), b.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    let mut by_ref = HashMap::new();
    by_ref.insert(a.clone(), "a");
    assert_eq!(by_ref.get(&a), Some(&"a"));
    assert_eq!(a.to_string(), format!("Peer#{}", a.id().local()));
    assert!(format!("{a:?}").contains(&a.id().to_string()));
    assert_ne!(a, b);
    Ok(())
}

#[test]
fn addresses_are_unique_across_systems() {
    let ids: Vec<ActorId> = [Mode::Tasks, Mode::Threads]
        .into_iter()
        .map(|mode| {
            actium::launch(mode, async {
                let peer = Peer {
                    id: 0,
                    successor: None,
                }
                .spawn();
                assert_eq!(peer.id().node(), SystemHandle::current().node());
                Ok::<_, Error>(peer.id())
            })
            .expect("launch")
        })
        .collect();
    // Same local number in two systems, different nodes: different actors.
    assert_eq!(ids[0].local(), ids[1].local());
    assert_ne!(ids[0], ids[1]);
}
