//! Spawning on another node of the cluster (PyActive's remote
//! `spawn_id`), with the same two calls as TCP nodes: the node that hosts
//! allows a type with [`NatsNode::allow_spawn`]; any other node sends an
//! actor's initial state with [`NatsNode::spawn_on`] and gets back a
//! reference to the actor spawned there.
//!
//! The request and its answer are the node protocol's own
//! (`Request::Spawn`, `NodeAnswer::Spawned`), published to the node's
//! subject as look-ups are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actium_core::__private::Handler;
use actium_core::transport;
use actium_core::{Actor, ActorRef, AnyRef, Error, SystemHandle};
use actium_remote::protocol::{NodeAnswer, Request, from_peer};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::address;
use crate::node::NatsNode;

/// Spawns an allowed type from its encoded state, in a system.
type SpawnFn = dyn Fn(&SystemHandle, &[u8]) -> Result<AnyRef, String> + Send + Sync;

/// The types other nodes may spawn on this one, by type name.
#[derive(Default)]
pub(crate) struct Spawnable {
    types: Mutex<HashMap<&'static str, Arc<SpawnFn>>>,
}

impl Spawnable {
    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, Arc<SpawnFn>>> {
        self.types.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn allow<A>(&self)
    where
        A: Handler + DeserializeOwned,
    {
        let spawn: Arc<SpawnFn> = Arc::new(|system: &SystemHandle, state: &[u8]| {
            // References in the state resolve in this system (to local
            // actors, or to other nodes' through this node).
            let actor: A = transport::decode_in(system, state)?;
            let actor = actor
                .spawner()
                .system(system)
                .try_spawn()
                .map_err(|error| error.to_string())?;
            Ok(AnyRef::from(actor))
        });
        self.lock().insert(A::NAME, spawn);
    }

    /// Spawns an actor of type `type_name` from `state`: `None` if the
    /// type is not allowed here, else the actor or why it did not spawn.
    fn spawn(
        &self,
        system: &SystemHandle,
        type_name: &str,
        state: &[u8],
    ) -> Option<Result<AnyRef, String>> {
        // Spawning runs outside the lock: an actor's own spawn may take
        // its time, and must not hold up `allow_spawn` or other requests.
        let spawn = self.lock().get(type_name).cloned()?;
        Some(spawn(system, state))
    }

    /// Answers another node's spawn request.
    pub(crate) fn answer(
        &self,
        system: &SystemHandle,
        type_name: &str,
        state: &[u8],
    ) -> NodeAnswer {
        match self.spawn(system, type_name, state) {
            None => NodeAnswer::NotSpawnable,
            Some(Ok(actor)) => NodeAnswer::Spawned(actor.label()),
            Some(Err(message)) => NodeAnswer::SpawnFailed(message),
        }
    }
}

/// The error for a state that did not encode or decode, or an actor that
/// did not spawn.
fn spawn_failed<A: Actor>(message: String) -> Error {
    Error::Codec {
        actor_type: A::NAME.to_owned(),
        method: "spawn".to_owned(),
        message,
    }
}

impl NatsNode {
    /// Allows other nodes of the cluster to spawn actors of type `A` here
    /// with [`spawn_on`](Self::spawn_on), as a TCP node's `allow_spawn`.
    /// The actor's initial state arrives encoded; it is spawned with
    /// default options, in this node's system.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use actium::nats::NatsNode;
    /// # use actium::prelude::*;
    /// # #[derive(Default, actium::serde::Serialize, actium::serde::Deserialize)]
    /// # #[serde(crate = "actium::serde")] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// let node = NatsNode::builder().cluster("shop").start().await?;
    /// node.allow_spawn::<Store>(); // the cluster's other nodes may now `spawn_on` it here
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn allow_spawn<A>(&self)
    where
        A: Handler + DeserializeOwned,
    {
        self.shared.spawnable.allow::<A>();
    }

    /// Spawns `actor` on the node at `node` (`nats://<cluster>/<node id>`,
    /// as [`address`](Self::address) gives) and returns its reference,
    /// as a TCP node's `spawn_on`. The node must
    /// [`allow_spawn`](Self::allow_spawn) the type; the actor's state is
    /// sent encoded, and the references it holds stay usable there. Given
    /// this node's own address, the actor is spawned here, under the same
    /// rule.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for an address that is not a node of this
    /// cluster; [`Error::NotRemote`] for a type that is not
    /// `#[actor(remote)]`; [`Error::NotSpawnable`] if the node does not
    /// allow the type; [`Error::Codec`] if the state does not encode or
    /// decode, or the actor does not spawn there; [`Error::NodeDown`] if the
    /// node does not answer within the system's default timeout (the actor,
    /// if spawned after all, is stopped when its answer arrives after the
    /// asker gave up, or cannot be sent; a node that does not exist, or
    /// died, is declared down sooner, after the heartbeat timeout).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use actium::nats::NatsNode;
    /// # use actium::prelude::*;
    /// # #[derive(Default, actium::serde::Serialize, actium::serde::Deserialize)]
    /// # #[serde(crate = "actium::serde")] struct Store { n: u64 }
    /// # #[actor(remote)] impl Store { #[ask] fn get(&self) -> u64 { self.n } }
    /// # actium::launch(Mode::Tasks, async {
    /// # let node = NatsNode::builder().cluster("shop").start().await?;
    /// // `server` is the address of a node that called `allow_spawn::<Store>()`.
    /// # let server = node.address().to_owned();
    /// let store = node.spawn_on(&server, Store { n: 7 }).await?;
    /// assert_eq!(store.get().await?, 7);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; the actor may still be
    /// spawned on the node, and is then stopped when its answer arrives
    /// here, as is one whose answer comes after the timeout, and one
    /// whose answer the node cannot send. An answer lost on the way with
    /// the connection (the nodes declared each other down meanwhile) stops
    /// nothing: the actor stays on that node, unreferenced, until it
    /// stops by itself or the node does.
    pub async fn spawn_on<A: Actor + Serialize>(
        &self,
        node: &str,
        actor: A,
    ) -> Result<ActorRef<A>, Error> {
        let shared = &self.shared;
        let parsed = address::parse(node)?;
        if parsed.name.is_some() {
            return Err(Error::InvalidAddress {
                address: node.to_owned(),
                reason: "expected a node's address, `nats://<cluster>/<node id>`".to_owned(),
            });
        }
        shared.check_cluster(node, parsed.cluster)?;
        let mut state = Vec::new();
        transport::encode(&actor, &mut state).map_err(spawn_failed::<A>)?;
        let refused = || Error::NotSpawnable {
            node: address::node_address(&shared.cluster, parsed.node),
            actor_type: A::NAME.to_owned(),
        };
        if parsed.node == shared.id {
            // No message crosses, but the same rule and the same decoding
            // apply as for another node's request.
            let spawned = shared.spawnable.spawn(&shared.system, A::NAME, &state);
            let actor = spawned.ok_or_else(refused)?.map_err(spawn_failed::<A>)?;
            return actor.downcast::<A>().ok_or_else(|| {
                spawn_failed::<A>(format!(
                    "the type allowed as `{}` is another type of that name",
                    A::NAME
                ))
            });
        }
        if !A::REMOTE {
            return Err(Error::NotRemote {
                actor_type: A::NAME,
            });
        }
        let peer = shared.peer(parsed.node)?;
        let request = Request::Spawn {
            type_name: A::NAME,
            state: &state,
        };
        match peer
            .request(request, shared.system.default_timeout())
            .await?
        {
            NodeAnswer::Spawned(label)
                if label.type_name() == A::NAME && label.id().node() == parsed.node =>
            {
                Ok(transport::remote_ref(&shared.system, label, peer))
            }
            NodeAnswer::NotSpawnable => Err(refused()),
            NodeAnswer::SpawnFailed(message) => Err(spawn_failed::<A>(from_peer(&message))),
            other => Err(Error::NodeDown {
                node: address::node_address(&shared.cluster, parsed.node),
                reason: format!(
                    "unexpected answer to a spawn: {}",
                    from_peer(&format!("{other:?}"))
                ),
            }),
        }
    }
}
