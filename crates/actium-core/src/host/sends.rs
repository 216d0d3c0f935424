//! The delayed messages of simulated systems not yet due, kept apart from
//! the clock's entries so that a system that ends drops its own at once
//! (its messages hold references to its actors), touching no other entry.

use slab::Slab;

/// A delayed message's delivery.
pub(super) type Message = Box<dyn FnOnce() + Send>;

/// The messages kept, by system (the simulation's group number, an index:
/// groups are numbered from 1 up) and then in a slab: keeping one and
/// taking it back cost no hashing and no allocation once the slab has
/// grown. What is dropped together is dropped in slab order, the same in
/// every run.
#[derive(Default)]
pub(super) struct Sends {
    groups: Vec<Group>,
}

#[derive(Default)]
struct Group {
    /// Counts the times the group's messages were dropped: an entry kept
    /// before names an older epoch, and is gone even if its slab index
    /// now holds another message.
    epoch: u32,
    messages: Slab<Message>,
}

/// Names a kept message: its group, the group's epoch when it was kept,
/// and its slab index.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kept {
    group: u64,
    epoch: u32,
    index: u32,
}

impl Kept {
    fn index(self) -> usize {
        self.index as usize
    }
}

impl Sends {
    /// Keeps `message` of the system `group` until taken or dropped.
    pub(super) fn keep(&mut self, group: u64, message: Message) -> Kept {
        let at = usize::try_from(group).unwrap_or(usize::MAX);
        if self.groups.len() <= at {
            self.groups.resize_with(at + 1, Group::default);
        }
        let kept = &mut self.groups[at];
        let index = kept.messages.insert(message);
        // Over 4·10^9 messages in flight at once cannot fit in memory.
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        Kept {
            group,
            epoch: kept.epoch,
            index,
        }
    }

    /// Takes the message `kept` names back, unless its system dropped it.
    pub(super) fn take(&mut self, kept: Kept) -> Option<Message> {
        let group = self.groups.get_mut(usize::try_from(kept.group).ok()?)?;
        if group.epoch != kept.epoch {
            return None;
        }
        group.messages.try_remove(kept.index())
    }

    /// Whether the message `kept` names is still kept.
    pub(super) fn holds(&self, kept: Kept) -> bool {
        let group = usize::try_from(kept.group)
            .ok()
            .and_then(|at| self.groups.get(at));
        group
            .is_some_and(|group| group.epoch == kept.epoch && group.messages.contains(kept.index()))
    }

    /// Gives up the messages of `group`, for the caller to drop outside
    /// its lock.
    pub(super) fn drop_group(&mut self, group: u64) -> Slab<Message> {
        usize::try_from(group)
            .ok()
            .and_then(|at| self.groups.get_mut(at))
            .map(Group::give_up)
            .unwrap_or_default()
    }

    /// Gives up every message, for the caller to drop outside its lock.
    pub(super) fn drop_all(&mut self) -> Vec<Slab<Message>> {
        self.groups.iter_mut().map(Group::give_up).collect()
    }
}

impl Group {
    /// Its messages, and a new epoch: entries kept before name nothing.
    fn give_up(&mut self) -> Slab<Message> {
        self.epoch = self.epoch.wrapping_add(1);
        std::mem::take(&mut self.messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn message(count: &Arc<AtomicU32>) -> Message {
        let count = count.clone();
        Box::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[test]
    fn a_message_is_taken_once_and_a_dropped_group_s_entries_name_nothing() {
        let count = Arc::new(AtomicU32::new(0));
        let mut sends = Sends::default();
        let first = sends.keep(1, message(&count));
        let other = sends.keep(2, message(&count));
        assert!(sends.holds(first));
        if let Some(call) = sends.take(first) {
            call();
        }
        assert!(sends.take(first).is_none(), "taken twice");
        let before = sends.keep(1, message(&count));
        drop(sends.drop_group(1));
        // The dropped group's slab index is used again: the old entry
        // still names nothing.
        let after = sends.keep(1, message(&count));
        assert_eq!(before.index(), after.index());
        assert!(!sends.holds(before));
        assert!(sends.take(before).is_none());
        assert!(sends.holds(after) && sends.holds(other));
        drop(sends.drop_all());
        assert!(!sends.holds(after) && !sends.holds(other));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
