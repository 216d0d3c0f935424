//! The sending epochs of the nodes this node forgot, so that a stream to
//! one of them that starts again starts above what its receiver may
//! still remember.
//!
//! A node forgets a peer that is down with nothing referring to it (see
//! `Shared::forget_departed`), but the other node may not have forgotten
//! it: its receiving end may still hold the last epoch and frame it took.
//! A stream that started again at epoch 1 would have every frame up to
//! that one dropped there as a duplicate, and its acknowledgements would
//! be above what it sent. Remembering the next epoch here prevents that;
//! should the memory be full and the oldest entry gone, the sending end
//! still finds out from the first such acknowledgement
//! (`Sending::acks_beyond`) and breaks the connection to start above it.

use std::collections::{HashMap, VecDeque};

use actium_core::NodeId;

/// How many forgotten nodes' epochs are kept: as many as the peers a
/// node tracks (16 bytes each, and a queue entry).
pub(crate) const CAPACITY: usize = 4096;

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
        if epoch <= 1 {
            // Where a node never forgotten starts anyway: no slot spent.
            return;
        }
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

    /// The epoch a new stream to `node` starts at (1 for a node never
    /// forgotten), forgetting it here: the new peer holds it now.
    pub(crate) fn take(&mut self, node: NodeId) -> u32 {
        let Some(epoch) = self.epochs.remove(&node) else {
            return 1;
        };
        self.order.retain(|other| *other != node);
        epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_epochs_go_first_and_a_taken_one_is_gone() {
        let mut departed = Departed::with_capacity(2);
        let node = NodeId::from_u64;
        departed.remember(node(1), 4);
        departed.remember(node(2), 7);
        departed.remember(node(3), 9);
        assert_eq!(departed.take(node(1)), 1, "the oldest was let go");
        assert_eq!(departed.take(node(2)), 7);
        assert_eq!(departed.take(node(2)), 1, "taken once");
        assert_eq!(departed.take(node(3)), 9);
    }
}
