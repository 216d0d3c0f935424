//! The cluster's names, as Erlang's `global`: a name registered on any
//! node is found from every node without knowing which node holds it, is
//! held by one actor at a time, and is freed when that actor stops or its
//! node dies or leaves.
//!
//! The names live in a JetStream key-value bucket of the cluster,
//! `actium_names_<cluster>` (the NATS server runs with JetStream, `-js`):
//! one key per name, whose value names the actor. Uniqueness is the
//! bucket's: a name is claimed with a create that fails if the key exists,
//! and replaced or freed only at the revision its holder wrote, so two
//! nodes claiming one name at once cannot both win, and a node freeing a
//! name it lost frees nothing. Looking a name up reads the bucket and
//! needs no answer from the holder, so a slow holder slows no look-up.
//!
//! A name is freed by its holder when the actor stops; by every surviving
//! node when the holder's node says goodbye or falls silent for the
//! heartbeat timeout (each deletes at the revision it read, so the first
//! one wins and the rest change nothing); and, when no node survived to
//! free it, by the next node that claims it while the holder's node is
//! not alive. After a lost connection to NATS, a node claims its names
//! again: a name taken meanwhile by another node stays with that node,
//! and the loss is logged.
//!
//! The bucket is kept in memory by the server (names are soft state that
//! the nodes re-create): a restarted server starts empty and the nodes'
//! reclaiming fills it again.
//!
//! A value is text: `<node id, 16 hex digits> <actor's local id> <actor's
//! type>`, so that any NATS tool can read it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use actium_core::{ActorId, ActorLabel, AnyRef, Error, NodeId, TaskHandle, transport};
use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures_util::StreamExt;

/// The longest name.
const MAX_NAME: usize = 128;

/// The most names one listing reads.
const MAX_LISTED: usize = 100_000;

/// One name of the cluster, as [`NatsNode::cluster_names`] lists it.
///
/// [`NatsNode::cluster_names`]: crate::NatsNode::cluster_names
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterName {
    /// The name.
    pub name: String,
    /// The actor holding it; its id names its node.
    pub actor: ActorLabel,
}

/// The bucket holding `cluster`'s names.
pub fn bucket(cluster: &str) -> String {
    format!("actium_names_{cluster}")
}

/// Whether `name` can be a cluster-wide name: as a local name (not empty,
/// no `/`), of at most 128 bytes.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME || name.contains('/') {
        return Err(Error::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Marks a key that carries its name hex-encoded.
const ENCODED: &str = "x=";

/// The bucket's key for `name`: the name itself when it is made of what a
/// key may hold (letters, digits, `-`, `_`, `=`), else `x=` and the name's
/// bytes in hex (as is every name that starts with `x=`, so that no two
/// names share a key).
pub fn key(name: &str) -> String {
    let plain = !name.starts_with(ENCODED)
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'='));
    if plain {
        return name.to_owned();
    }
    let mut key = String::with_capacity(ENCODED.len() + 2 * name.len());
    key.push_str(ENCODED);
    for byte in name.bytes() {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

/// The name a key of the bucket stands for; `None` for a key no node wrote.
pub fn name_of(key: &str) -> Option<String> {
    let Some(hex) = key.strip_prefix(ENCODED) else {
        return Some(key.to_owned());
    };
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

fn encode(actor: ActorLabel) -> Bytes {
    let id = actor.id();
    Bytes::from(format!(
        "{:016x} {} {}",
        id.node().as_u64(),
        id.local(),
        actor.type_name()
    ))
}

/// Reads a value of the bucket; `None` for one no node wrote.
pub fn decode(value: &[u8]) -> Option<ActorLabel> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.splitn(3, ' ');
    let node = parts.next().filter(|node| node.len() == 16)?;
    let node = NodeId::from_u64(u64::from_str_radix(node, 16).ok()?);
    let local = parts.next()?.parse().ok()?;
    let type_name = parts.next().filter(|name| !name.is_empty())?;
    Some(ActorLabel::new(
        ActorId::new(node, local),
        transport::intern_type_name(type_name),
    ))
}

/// Lists the names of a bucket.
///
/// # Errors
///
/// The bucket's error, as text.
pub async fn list(store: &kv::Store) -> Result<Vec<ClusterName>, String> {
    let mut keys = store.keys().await.map_err(|error| error.to_string())?;
    let mut names = Vec::new();
    while let Some(key) = keys.next().await {
        let key = key.map_err(|error| error.to_string())?;
        let Some(value) = store.get(&key).await.map_err(|error| error.to_string())? else {
            continue; // freed meanwhile
        };
        match decode(&value) {
            Some(actor) => match name_of(&key) {
                Some(name) => names.push(ClusterName { name, actor }),
                None => tracing::warn!(%key, "a cluster name's key no node wrote"),
            },
            None => tracing::warn!(name = %key, "a cluster name whose value no node wrote"),
        }
        if names.len() >= MAX_LISTED {
            break;
        }
    }
    names.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(names)
}

/// A name this node holds.
struct Owned {
    actor: AnyRef,
    /// The bucket's revision of the key when this node wrote it.
    revision: u64,
    /// Frees the name when the actor stops.
    watcher: Option<TaskHandle>,
}

/// The cluster's names as one node uses them.
pub(crate) struct Names {
    cluster: String,
    jetstream: jetstream::Context,
    /// The bucket, once opened; forgotten after a lost connection (a
    /// restarted server has lost it).
    store: Mutex<Option<kv::Store>>,
    owned: Mutex<HashMap<String, Owned>>,
    /// Names this node let go of whose deletion failed (NATS was out):
    /// `(key, revision)`, deleted again when the connection is back.
    unfreed: Mutex<Vec<(String, u64)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many times a claim creates the key when the name keeps being
/// freed between its create and its read.
const CLAIM_ATTEMPTS: usize = 8;

/// What [`Names::free_nodes`] did.
#[derive(Debug)]
pub(crate) struct Freed {
    /// Names freed.
    pub(crate) count: usize,
    /// The first error, if some names could not be freed.
    pub(crate) error: Option<Error>,
}

/// How a claim went.
pub(crate) enum Claim {
    /// The name is this actor's, at this revision.
    Won(u64),
    /// Another actor holds it, and its node may be alive.
    Taken(ActorLabel),
}

impl Names {
    pub(crate) fn new(cluster: &str, client: async_nats::Client) -> Self {
        Names {
            cluster: cluster.to_owned(),
            jetstream: jetstream::new(client),
            store: Mutex::new(None),
            owned: Mutex::new(HashMap::new()),
            unfreed: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn unreachable(&self, error: impl std::fmt::Display) -> Error {
        Error::NodeDown {
            node: format!("nats://{}", self.cluster),
            reason: format!(
                "the cluster's names (JetStream bucket `{}`; is the NATS server running with `-js`?): {error}",
                bucket(&self.cluster)
            ),
        }
    }

    /// The bucket, created on first use.
    pub(crate) async fn store(&self) -> Result<kv::Store, Error> {
        if let Some(store) = lock(&self.store).clone() {
            return Ok(store);
        }
        // The bucket's stream, as async-nats' `create_key_value` makes it;
        // made here because that function first reads the account's
        // limits in a form servers before 2.10 (Debian's 2.9) do not send.
        let bucket = bucket(&self.cluster);
        let stream = jetstream::stream::Config {
            name: format!("KV_{bucket}"),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            storage: jetstream::stream::StorageType::Memory,
            discard: jetstream::stream::DiscardPolicy::New,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            num_replicas: 1,
            ..Default::default()
        };
        self.jetstream
            .get_or_create_stream(stream)
            .await
            .map_err(|error| self.unreachable(error))?;
        let store = self
            .jetstream
            .get_key_value(bucket)
            .await
            .map_err(|error| self.unreachable(error))?;
        *lock(&self.store) = Some(store.clone());
        Ok(store)
    }

    /// Forgets the opened bucket: the server may have lost it.
    pub(crate) fn reopen(&self) {
        *lock(&self.store) = None;
    }

    /// Claims `name` for `actor`. `may_be_alive` says whether a node may
    /// still be alive: a name held by an actor of a node that is not is
    /// taken over.
    pub(crate) async fn claim(
        &self,
        name: &str,
        actor: ActorLabel,
        may_be_alive: impl Fn(NodeId) -> bool,
    ) -> Result<Claim, Error> {
        let store = self.store().await?;
        let value = encode(actor);
        let name = key(name);
        let name = name.as_str();
        // A name freed between the create and the read (its holder
        // stopped, or its node was found gone) is free: create again.
        // Bounded, so that a name freed and claimed over and over by
        // others cannot keep this node looping; what it ends with is the
        // last error.
        let mut last = None;
        for _ in 0..CLAIM_ATTEMPTS {
            let exists = match store.create(name, value.clone()).await {
                Ok(revision) => return Ok(Claim::Won(revision)),
                Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => error,
                Err(error) => return Err(self.unreachable(error)),
            };
            let entry = store
                .entry(name)
                .await
                .map_err(|error| self.unreachable(error))?;
            match entry.filter(|entry| entry.operation == kv::Operation::Put) {
                Some(entry) => {
                    return self
                        .claim_held(&store, name, actor, value, entry, &may_be_alive)
                        .await;
                }
                None => last = Some(exists),
            }
        }
        Err(self.unreachable(format!(
            "the name was freed and claimed again {CLAIM_ATTEMPTS} times while this node \
             claimed it{}",
            last.map(|error| format!(" ({error})")).unwrap_or_default()
        )))
    }

    /// The rest of a claim of the key `name`, held in `entry`.
    async fn claim_held(
        &self,
        store: &kv::Store,
        name: &str,
        actor: ActorLabel,
        value: Bytes,
        entry: kv::Entry,
        may_be_alive: impl Fn(NodeId) -> bool,
    ) -> Result<Claim, Error> {
        let holder = decode(&entry.value);
        if holder == Some(actor) {
            return Ok(Claim::Won(entry.revision));
        }
        if let Some(holder) = holder.filter(|holder| may_be_alive(holder.id().node())) {
            return Ok(Claim::Taken(holder));
        }
        // The holder's node is gone (or the value is not one a node
        // wrote): take the name over, at the revision read, so that of
        // two nodes doing this at once one wins.
        match store.update(name, value, entry.revision).await {
            Ok(revision) => {
                tracing::info!(name, "took over a cluster name whose holder's node is gone");
                Ok(Claim::Won(revision))
            }
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                match holder_of(store, name).await {
                    Some(holder) => Ok(Claim::Taken(holder)),
                    None => Err(self.unreachable(error)),
                }
            }
            Err(error) => Err(self.unreachable(error)),
        }
    }

    /// Records that this node holds `name` for `actor`.
    pub(crate) fn hold(&self, name: &str, actor: AnyRef, revision: u64) {
        let previous = lock(&self.owned).insert(
            name.to_owned(),
            Owned {
                actor,
                revision,
                watcher: None,
            },
        );
        if let Some(watcher) = previous.and_then(|previous| previous.watcher) {
            watcher.abort();
        }
    }

    /// Attaches `watcher`, the task that frees `name` when the actor `id`
    /// stops, to the name held for that actor; stops it if the name is no
    /// longer held for it (the actor stopped, and the watcher freed it,
    /// before it could be attached).
    pub(crate) fn watch(&self, name: &str, id: ActorId, watcher: TaskHandle) {
        let mut owned = lock(&self.owned);
        match owned.get_mut(name) {
            Some(held) if held.actor.id() == id => {
                if let Some(previous) = held.watcher.replace(watcher) {
                    previous.abort();
                }
            }
            _ => watcher.abort(),
        }
    }

    /// The actor this node holds `name` for, if it does.
    pub(crate) fn held(&self, name: &str) -> Option<AnyRef> {
        lock(&self.owned).get(name).map(|owned| owned.actor.clone())
    }

    /// Frees `name` if this node holds it for the actor `id` (or for any
    /// actor, when `id` is `None`). Whether it did. `stop_watching` stops
    /// the task that waits for the actor to stop (not when that task is
    /// the caller).
    pub(crate) async fn release(
        &self,
        name: &str,
        id: Option<ActorId>,
        stop_watching: bool,
    ) -> Result<bool, Error> {
        let held = {
            let mut owned = lock(&self.owned);
            match owned.get(name) {
                Some(held) if id.is_none_or(|id| held.actor.id() == id) => owned.remove(name),
                _ => None,
            }
        };
        let Some(held) = held else {
            return Ok(false);
        };
        if let Some(watcher) = held.watcher.filter(|_| stop_watching) {
            watcher.abort();
        }
        let key = key(name);
        if let Err(error) = self.delete_at(&key, held.revision).await {
            // Not ours any more, but still in the bucket: freed again once
            // NATS is back (see `reclaim`).
            lock(&self.unfreed).push((key, held.revision));
            return Err(error);
        }
        Ok(true)
    }

    /// Deletes the key `key` if it is still at `revision`.
    async fn delete_at(&self, key: &str, revision: u64) -> Result<(), Error> {
        let store = self.store().await?;
        match store.delete_expect_revision(key, Some(revision)).await {
            Ok(()) => Ok(()),
            // Someone else's since: not ours to free.
            Err(error) if error.kind() == kv::DeleteErrorKind::WrongLastRevision => Ok(()),
            Err(error) => Err(self.unreachable(error)),
        }
    }

    /// The actor holding `name` anywhere in the cluster.
    pub(crate) async fn find(&self, name: &str) -> Result<Option<ActorLabel>, Error> {
        let store = self.store().await?;
        let entry = store
            .get(key(name))
            .await
            .map_err(|error| self.unreachable(error))?;
        Ok(entry.and_then(|value| decode(&value)))
    }

    /// Every name of the cluster.
    pub(crate) async fn list(&self) -> Result<Vec<ClusterName>, Error> {
        let store = self.store().await?;
        list(&store).await.map_err(|error| self.unreachable(error))
    }

    /// Frees every name held by an actor of a node that is `gone`, asked
    /// just before each deletion (a node heard again keeps its names).
    /// Returns how many were freed, and the first error if some could not
    /// be (one name that cannot be freed does not keep the others, nor
    /// hide the count of those that were).
    pub(crate) async fn free_nodes(&self, gone: impl Fn(NodeId) -> bool) -> Freed {
        let mut freed = Freed {
            count: 0,
            error: None,
        };
        let store = match self.store().await {
            Ok(store) => store,
            Err(error) => {
                freed.error = Some(error);
                return freed;
            }
        };
        let mut keys = match store.keys().await {
            Ok(keys) => keys,
            Err(error) => {
                freed.error = Some(self.unreachable(error));
                return freed;
            }
        };
        while let Some(key) = keys.next().await {
            let key = match key {
                Ok(key) => key,
                Err(error) => {
                    // The listing itself broke: what was freed stays counted.
                    freed.error.get_or_insert(self.unreachable(error));
                    break;
                }
            };
            let entry = match store.entry(&key).await {
                Ok(entry) => entry,
                Err(error) => {
                    freed.error.get_or_insert(self.unreachable(error));
                    continue;
                }
            };
            let Some(entry) = entry.filter(|entry| entry.operation == kv::Operation::Put) else {
                continue;
            };
            if decode(&entry.value).is_some_and(|actor| gone(actor.id().node())) {
                match self.delete_at(&key, entry.revision).await {
                    Ok(()) => freed.count += 1,
                    Err(error) => {
                        freed.error.get_or_insert(error);
                    }
                }
            }
        }
        freed
    }

    /// After a lost connection: frees the names this node let go of while
    /// cut off, and claims every name it holds again. A name another node
    /// holds now is given up, and logged, whether or not this node has
    /// heard that node yet (it may have started during the outage).
    pub(crate) async fn reclaim(&self) {
        let unfreed = std::mem::take(&mut *lock(&self.unfreed));
        for (key, revision) in unfreed {
            if let Err(error) = self.delete_at(&key, revision).await {
                tracing::warn!(key, %error, "could not free a cluster name");
                lock(&self.unfreed).push((key, revision));
            }
        }
        let held: Vec<(String, AnyRef)> = lock(&self.owned)
            .iter()
            .map(|(name, owned)| (name.clone(), owned.actor.clone()))
            .collect();
        for (name, actor) in held {
            match self.claim(&name, actor.label(), |_| true).await {
                Ok(Claim::Won(revision)) => {
                    if let Some(owned) = lock(&self.owned).get_mut(&name) {
                        owned.revision = revision;
                    }
                }
                Ok(Claim::Taken(holder)) => {
                    tracing::warn!(
                        name, %holder, actor = %actor.label(),
                        "lost a cluster name while cut off from NATS: another node holds it now"
                    );
                    let lost = lock(&self.owned).remove(&name);
                    if let Some(watcher) = lost.and_then(|lost| lost.watcher) {
                        watcher.abort();
                    }
                }
                Err(error) => tracing::warn!(name, %error, "could not reclaim a cluster name"),
            }
        }
    }

    /// Stops watching the names' actors (the node leaves).
    pub(crate) fn close(&self) {
        for (_, owned) in lock(&self.owned).drain() {
            if let Some(watcher) = owned.watcher {
                watcher.abort();
            }
        }
    }
}

/// The actor holding the key `name` now, if it can be read.
async fn holder_of(store: &kv::Store, name: &str) -> Option<ActorLabel> {
    store
        .get(name)
        .await
        .ok()
        .flatten()
        .and_then(|value| decode(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_never_collide() {
        for name in [
            "greeter",
            "a-b_c=d",
            "caf\u{e9} au lait",
            "x=41",
            "a.b",
            " ",
        ] {
            let key = key(name);
            assert!(
                key.bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'=')),
                "{key}"
            );
            assert_eq!(name_of(&key).as_deref(), Some(name));
        }
        assert_eq!(key("greeter"), "greeter");
        assert_ne!(key("x=41"), "x=41");
        assert_eq!(name_of("x=4"), None);
        assert_eq!(name_of("x=zz"), None);
    }

    #[test]
    fn values_round_trip_and_garbage_is_none() {
        let label = ActorLabel::new(ActorId::new(NodeId::from_u64(0xabc), 7), "Greeter");
        assert_eq!(decode(&encode(label)), Some(label));
        for garbage in [
            &b""[..],
            b"abc",
            b"0000000000000abc 7",
            b"0000000000000abc x T",
            b"\xff",
        ] {
            assert_eq!(decode(garbage), None);
        }
    }
}
