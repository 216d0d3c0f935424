//! The cluster's view from one node: names registered cluster-wide (see
//! `names`), and the nodes alive in it (see `members`).

use std::sync::{Arc, Weak};

use actium_core::transport;
use actium_core::{Actor, ActorRef, AnyRef, Error, NodeId};

use crate::address;
use crate::names::{self, Claim, ClusterName, Names};
use crate::node::{NatsNode, Shared};

impl NatsNode {
    /// Registers `actor` under `name` for the whole cluster, as Erlang's
    /// `global:register_name`: any node finds it with
    /// [`lookup`](Self::lookup) of `nats://<cluster>/<name>`, without
    /// knowing which node holds it. The name is the actor's until it
    /// stops, its node leaves or dies, or
    /// [`unregister_global`](Self::unregister_global); then it is free.
    ///
    /// The names live in a JetStream key-value bucket of the cluster, so
    /// the NATS server must run with JetStream (`nats-server -js`).
    /// Registering the same actor again under its name succeeds.
    ///
    /// # Errors
    ///
    /// [`Error::NameTaken`] if another actor holds the name and its node
    /// may be alive (on an observer, whatever its node: an observer never
    /// takes over a name, see
    /// [`NatsNodeBuilder::observer`](crate::NatsNodeBuilder::observer));
    /// [`Error::InvalidName`] for an empty name, one with a `/`, or one
    /// over 128 bytes; [`Error::NodeDown`] if the names cannot
    /// be reached (no JetStream, no connection to NATS).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave the name claimed in the bucket but
    /// not watched by this node; registering again settles it.
    pub async fn register_global<A: Actor>(
        &self,
        name: &str,
        actor: &ActorRef<A>,
    ) -> Result<(), Error> {
        names::check_name(name)?;
        let shared = &self.shared;
        let label = actor.label();
        // An observer takes over no name: its view of who is alive, from
        // wherever the tool runs, is not the members' (as it frees none,
        // see `free_names_of`), so every holder may be alive to it.
        let observer = shared.config.observer;
        let claim = shared
            .names
            .claim(name, label, |node| observer || shared.may_be_alive(node))
            .await?;
        let revision = match claim {
            Claim::Won(revision) => revision,
            Claim::Taken(holder) => {
                return Err(Error::NameTaken {
                    name: name.to_owned(),
                    holder,
                });
            }
        };
        let actor = AnyRef::from(actor);
        // Held before the watcher starts, so that a watcher that finds the
        // actor stopped already finds the name to free.
        shared.names.hold(name, actor.clone(), revision);
        let watcher = transport::spawn(
            &shared.system,
            free_when_stopped(Arc::downgrade(shared), name.to_owned(), actor.clone()),
        );
        shared.names.watch(name, actor.id(), watcher);
        tracing::debug!(name, actor = %label, "registered a cluster name");
        Ok(())
    }

    /// Frees `name` if this node holds it. Whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the names cannot be reached; the name is
    /// then no longer watched by this node, and freed with it.
    pub async fn unregister_global(&self, name: &str) -> Result<bool, Error> {
        self.shared.names.release(name, None, true).await
    }

    /// The nodes of the cluster alive as this node hears them: itself and
    /// every node whose heartbeat it heard within the heartbeat timeout,
    /// as addresses (`nats://<cluster>/<node id>`), this node first.
    /// Observers ([`NatsNodeBuilder::observer`](crate::NatsNodeBuilder::observer):
    /// `actium top`, `actium observe`) are tools, not members, and are
    /// left out, but for this node itself.
    pub fn cluster_nodes(&self) -> Vec<String> {
        let shared = &self.shared;
        std::iter::once(shared.id)
            .chain(shared.members.list())
            .map(|node| address::node_address(&shared.cluster, node))
            .collect()
    }

    /// Every name registered in the cluster with
    /// [`register_global`](Self::register_global), sorted by name.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the names cannot be reached.
    pub async fn cluster_names(&self) -> Result<Vec<ClusterName>, Error> {
        self.shared.names.list().await
    }

    /// The actor registered as `name` for the whole cluster; `url` is
    /// what the caller asked for, for errors.
    pub(crate) async fn lookup_global<A: Actor>(
        &self,
        url: &str,
        name: &str,
    ) -> Result<ActorRef<A>, Error> {
        let shared = &self.shared;
        let not_registered = || Error::NotRegistered {
            name: url.to_owned(),
        };
        names::check_name(name).map_err(|_| not_registered())?;
        if let Some(actor) = shared.names.held(name) {
            return actor.downcast::<A>().ok_or_else(|| Error::WrongType {
                name: url.to_owned(),
                expected: A::NAME,
                found: actor.label().type_name(),
            });
        }
        let label = shared.names.find(name).await?.ok_or_else(not_registered)?;
        if label.type_name() != A::NAME {
            return Err(Error::WrongType {
                name: url.to_owned(),
                expected: A::NAME,
                found: label.type_name(),
            });
        }
        let node = label.id().node();
        if node == shared.id {
            // Ours, but no longer held: the actor stopped and its name is
            // being freed.
            return Err(not_registered());
        }
        if !A::REMOTE {
            return Err(Error::NotRemote {
                actor_type: A::NAME,
            });
        }
        let peer = shared.peer(node)?;
        Ok(transport::remote_ref(&shared.system, label, peer))
    }
}

/// Waits for `actor` to stop, then frees `name` if it still holds it.
async fn free_when_stopped(node: Weak<Shared>, name: String, actor: AnyRef) {
    actor.stopped().await;
    let Some(node) = node.upgrade() else { return };
    if let Err(error) = node.names.release(&name, Some(actor.id()), false).await {
        tracing::warn!(name, %error, "could not free the cluster name of a stopped actor");
    }
}

impl Shared {
    /// Whether node `node` may be alive (for taking over names).
    pub(crate) fn may_be_alive(&self, node: NodeId) -> bool {
        node == self.id
            || self
                .members
                .may_be_alive(node, self.config.heartbeat_timeout)
    }

    /// Nodes `nodes` left or died: frees their actors' names, in one pass
    /// over the names however many nodes went at once. Every survivor
    /// does it; the first one's deletions win, the others' change nothing.
    /// An observer never does: it is a tool, maybe far from the members,
    /// and its view of who is gone is not theirs to act on.
    pub(crate) fn free_names_of(&self, nodes: Vec<NodeId>) {
        if nodes.is_empty() || self.config.observer {
            return;
        }
        let names: Arc<Names> = self.names.clone();
        let members = self.members.clone();
        transport::spawn(&self.system, async move {
            // Heard again since (it was this node that was cut off): its
            // names stay.
            let gone = |node| nodes.contains(&node) && !members.contains(node);
            let freed = names.free_nodes(gone).await;
            if freed.count > 0 {
                tracing::info!(freed = freed.count, "freed the cluster names of nodes gone");
            }
            if let Some(error) = freed.error {
                tracing::debug!(%error, "could not free some of the gone nodes' names");
            }
        });
    }
}
