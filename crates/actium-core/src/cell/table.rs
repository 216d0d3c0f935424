//! The system's table of live actors, by local id.
//!
//! Spawning inserts, exiting removes, shutdown walks it. It is split into
//! shards with their own locks so that actors spawning and exiting on
//! different threads rarely meet on the same lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::cell::ErasedCell;

const SHARDS: usize = 16;

type Shard = HashMap<u64, Arc<dyn ErasedCell>, BuildHasherDefault<IdHasher>>;

pub(crate) struct ActorTable {
    shards: [Mutex<Shard>; SHARDS],
}

impl ActorTable {
    pub(crate) fn new() -> Self {
        ActorTable {
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
        }
    }

    fn shard(&self, local: u64) -> MutexGuard<'_, Shard> {
        // Only map operations run under these locks.
        self.shards[(local % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, local: u64, cell: Arc<dyn ErasedCell>) {
        self.shard(local).insert(local, cell);
    }

    /// The actor with this local number, if it is live.
    pub(crate) fn get(&self, local: u64) -> Option<Arc<dyn ErasedCell>> {
        self.shard(local).get(&local).cloned()
    }

    /// Removes an actor; returns whether it was there.
    pub(crate) fn remove(&self, local: u64) -> bool {
        // Drop the cell outside the shard lock: it may be the last reference.
        let removed = self.shard(local).remove(&local);
        removed.is_some()
    }

    /// Every live actor at this moment.
    pub(crate) fn snapshot(&self) -> Vec<Arc<dyn ErasedCell>> {
        let mut all = Vec::new();
        for local in 0..SHARDS as u64 {
            all.extend(self.shard(local).values().cloned());
        }
        all
    }

    pub(crate) fn len(&self) -> usize {
        (0..SHARDS as u64)
            .map(|local| self.shard(local).len())
            .sum()
    }

    /// Empties the table, breaking the cell → system → table reference
    /// cycle of actors that never reported their exit.
    pub(crate) fn clear(&self) {
        for local in 0..SHARDS as u64 {
            let cells = std::mem::take(&mut *self.shard(local));
            drop(cells);
        }
    }
}

/// Actor ids are sequential; a Fibonacci multiply spreads them over the
/// hash map's buckets and control bytes far more cheaply than SipHash.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
