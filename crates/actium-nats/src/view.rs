//! [`ClusterView`]: a cluster seen from outside, by a tool that is not a
//! node (the `actium nats` command): the nodes that beat and the names
//! registered, without joining.

use std::time::Duration;

use actium_core::{Error, NodeId};
use async_nats::jetstream::{self, context::KeyValueErrorKind};
use futures_util::StreamExt;

use crate::address;
use crate::connect::Connect;
use crate::envelope::{Message, Seal};
use crate::names::{self, ClusterName};
use actium_remote::protocol::Frame;

/// The most nodes one listing keeps: a publisher beating under ever new
/// node ids cannot grow it without bound.
const MAX_LISTED: usize = 4096;

/// A read-only view of a cluster from a NATS client that is not a node:
/// from [`NatsNodeBuilder::view`](crate::NatsNodeBuilder::view).
#[derive(Debug)]
pub struct ClusterView {
    client: async_nats::Client,
    cluster: String,
    seal: Seal,
}

impl ClusterView {
    pub(crate) async fn connect(
        connect: &Connect,
        cluster: String,
        seal: Seal,
    ) -> Result<Self, Error> {
        address::check_cluster(&cluster)?;
        let (client, _events) = connect
            .connect(format!("actium view of nats://{cluster}"))
            .await
            .map_err(|reason| Error::Listen {
                address: connect.describe(),
                reason,
            })?;
        Ok(ClusterView {
            client,
            cluster,
            seal,
        })
    }

    /// The nodes heard beating within `listen` (give it more than the
    /// nodes' heartbeat interval), as addresses, sorted; observers
    /// ([`NatsNodeBuilder::observer`](crate::NatsNodeBuilder::observer))
    /// are left out, as in [`NatsNode::cluster_nodes`](crate::NatsNode::cluster_nodes).
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the NATS server cannot be reached.
    pub async fn nodes(&self, listen: Duration) -> Result<Vec<String>, Error> {
        let lost = |error: &dyn std::fmt::Display| Error::NodeDown {
            node: format!("nats://{}", self.cluster),
            reason: format!("cannot listen to the cluster's heartbeats: {error}"),
        };
        let subject = address::alive_subject(&self.cluster);
        let mut beats = self
            .client
            .subscribe(subject.clone())
            .await
            .map_err(|error| lost(&error))?;
        let mut heard: Vec<NodeId> = Vec::new();
        let deadline = tokio::time::Instant::now() + listen;
        while let Ok(Some(beat)) = tokio::time::timeout_at(deadline, beats.next()).await {
            // Only messages a node could have sent count (with the
            // cluster's secret, if it has one: the view needs it too).
            // Only members' beats (`Ping`): an observer beats with a
            // `Pong`, and a goodbye is no beat.
            if let Ok((node, Message::Frame(Frame::Ping))) =
                crate::envelope::decode(&beat.payload, &self.seal, &subject)
                && !heard.contains(&node)
                && heard.len() < MAX_LISTED
            {
                heard.push(node);
            }
        }
        heard.sort_by_key(|node| node.as_u64());
        Ok(heard
            .into_iter()
            .map(|node| address::node_address(&self.cluster, node))
            .collect())
    }

    /// Every name registered in the cluster, sorted; none if no node has
    /// used the names yet.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if the names cannot be read (no JetStream, no
    /// connection).
    pub async fn names(&self) -> Result<Vec<ClusterName>, Error> {
        let unreachable = |error: &dyn std::fmt::Display| Error::NodeDown {
            node: format!("nats://{}", self.cluster),
            reason: format!(
                "the cluster's names (JetStream bucket `{}`): {error}",
                names::bucket(&self.cluster)
            ),
        };
        let jetstream = jetstream::new(self.client.clone());
        let store = match jetstream.get_key_value(names::bucket(&self.cluster)).await {
            Ok(store) => store,
            // No bucket yet: no node has used the names.
            Err(error)
                if error.kind() == KeyValueErrorKind::GetBucket
                    && std::error::Error::source(&error)
                        .is_some_and(|source| source.to_string().contains("not found")) =>
            {
                return Ok(Vec::new());
            }
            Err(error) => return Err(unreachable(&error)),
        };
        names::list(&store)
            .await
            .map_err(|error| unreachable(&error))
    }
}
