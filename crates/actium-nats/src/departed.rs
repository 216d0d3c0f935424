//! The sending epochs of the nodes this node forgot, so that a stream to
//! one of them that starts again starts above what its receiver may
//! still remember.
//!
//! A node forgets a peer that is down with nothing referring to it (see
//! `Shared::forget_departed`), but the other node may not have forgotten
//! it: its receiving end may still hold the last epoch and frame it took.
//! A stream that started again at the same epoch would have every frame
//! up to that one dropped there as a duplicate, and its acknowledgements
//! would be above what it sent. Remembering the next epoch here prevents
//! that. A node not remembered (never met, or its entry let go when the
//! memory was full) gets a stream at a random epoch in
//! `1..=`[`MAX_START_EPOCH`], so that it is unlikely to be the one the
//! receiver remembers; should it be, the sending end finds out from the
//! first acknowledgement above what it sent (`Sending::acks_beyond`: the
//! receiver acknowledges a duplicate batch that asks for it) and breaks
//! the connection to start above it. Only a stream whose frame count is
//! exactly the receiver's last of that epoch would go unnoticed: one
//! chance in 16,384 of such a collision to begin with.
//!
//! A peer that left with a goodbye is not remembered (see
//! `Shared::forget_departed`): node ids are random per system, so it
//! never comes back under that id, and a memory of them would fill with
//! every short-lived tool (`actium top`) that ever joined.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

use actium_core::NodeId;

/// How many forgotten nodes' epochs are kept: as many as the peers a
/// node tracks (16 bytes each, and a queue entry).
pub(crate) const CAPACITY: usize = 4096;

/// The highest epoch a stream to a node not remembered starts at: far
/// below [`MAX_EPOCH_STEP`](crate::flow::MAX_EPOCH_STEP), so that a
/// receiver that never heard of this node (at epoch 0) follows it, and
/// leaving epochs for a long life of broken connections.
pub(crate) const MAX_START_EPOCH: u32 = 16_384;

const _: () = assert!(MAX_START_EPOCH < crate::flow::MAX_EPOCH_STEP);

/// The next sending epoch of each forgotten node, oldest first out.
#[derive(Debug)]
pub(crate) struct Departed {
    capacity: usize,
    epochs: HashMap<NodeId, u32>,
    order: VecDeque<NodeId>,
}

impl Default for Departed {
    fn default() -> Self {
        Departed::with_capacity(CAPACITY)
    }
}

impl Departed {
    /// A memory of at most `capacity` nodes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Departed {
            capacity: capacity.max(1),
            epochs: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Node `node` is forgotten; a stream to it starts at `epoch` next.
    pub(crate) fn remember(&mut self, node: NodeId, epoch: u32) {
        if self.epochs.insert(node, epoch).is_none() {
            self.order.push_back(node);
        }
        while self.epochs.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.epochs.remove(&oldest);
        }
    }

    /// How many nodes' epochs are kept.
    pub(crate) fn len(&self) -> usize {
        self.epochs.len()
    }

    /// The epoch a new stream to `node` starts at (a random one for a
    /// node not remembered), forgetting it here: the new peer holds it now.
    pub(crate) fn take(&mut self, node: NodeId) -> u32 {
        let Some(epoch) = self.epochs.remove(&node) else {
            return random_start();
        };
        self.order.retain(|other| *other != node);
        epoch
    }
}

/// A random epoch in `1..=MAX_START_EPOCH`: std's hasher is seeded at
/// random per `RandomState`, which is all the randomness this needs (not
/// a secret: it only makes a collision with a remembered epoch unlikely).
fn random_start() -> u32 {
    let bits = RandomState::new().hash_one(std::time::SystemTime::now());
    // The remainder is below MAX_START_EPOCH: it fits.
    u32::try_from(bits % u64::from(MAX_START_EPOCH)).unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_epochs_go_first_and_a_taken_one_is_gone() {
        let mut departed = Departed::with_capacity(2);
        let node = NodeId::from_u64;
        // Above any random start, to tell them apart.
        let (four, seven, nine) = (
            MAX_START_EPOCH + 4,
            MAX_START_EPOCH + 7,
            MAX_START_EPOCH + 9,
        );
        departed.remember(node(1), four);
        departed.remember(node(2), seven);
        departed.remember(node(3), nine);
        assert!(
            departed.take(node(1)) <= MAX_START_EPOCH,
            "the oldest was let go"
        );
        assert_eq!(departed.take(node(2)), seven);
        assert!(departed.take(node(2)) <= MAX_START_EPOCH, "taken once");
        assert_eq!(departed.take(node(3)), nine);
    }

    /// Issue 16: a node not remembered got epoch 1, the one a receiver
    /// that remembers it most likely holds; a stream of as many frames as
    /// it took there was dropped whole, and no acknowledgement said so.
    #[test]
    fn a_node_not_remembered_starts_at_a_random_epoch() {
        let mut departed = Departed::default();
        let starts: std::collections::HashSet<u32> = (0..64)
            .map(|n| departed.take(NodeId::from_u64(n)))
            .collect();
        assert!(
            starts
                .iter()
                .all(|epoch| (1..=MAX_START_EPOCH).contains(epoch)),
            "{starts:?}"
        );
        // 64 draws of 16,384 all alike: never, short of a broken draw.
        assert!(starts.len() > 1, "{starts:?}");
    }
}
