//! How node processes reach each other: each listening on TCP and
//! connecting to the others, or all meeting through a NATS server. The
//! Chord code is the same either way: it holds `ActorRef<ChordNode>`s,
//! and the node under them carries the calls.

use actium::nats::NatsNode;
use actium::prelude::*;
use actium::remote::Node;

/// How a ring's node processes reach each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meeting {
    /// Each node listens on a TCP port; nodes connect to each other and
    /// present a shared cookie.
    Tcp,
    /// The nodes meet through a NATS server, in one cluster; none listens
    /// on a port of its own.
    Nats {
        /// The NATS server's URL, such as `nats://127.0.0.1:4222`.
        server: String,
        /// The cluster's name.
        cluster: String,
    },
}

/// A node on either transport: what a Chord process needs of it.
pub enum AnyNode {
    /// A TCP node.
    Tcp(Node),
    /// A NATS node.
    Nats(NatsNode),
}

impl AnyNode {
    /// Starts a node that meets the others as `meeting` says: on TCP it
    /// listens on `listen` (if given) and presents `cookie`.
    ///
    /// # Errors
    ///
    /// If the node cannot listen, or cannot reach the NATS server.
    pub async fn start(
        meeting: &Meeting,
        listen: Option<&str>,
        cookie: &str,
    ) -> Result<AnyNode, Error> {
        match meeting {
            Meeting::Tcp => {
                let mut builder = Node::builder().cookie(cookie);
                if let Some(listen) = listen {
                    builder = builder.listen(listen);
                }
                Ok(AnyNode::Tcp(builder.start().await?))
            }
            Meeting::Nats { server, cluster } => {
                let node = NatsNode::builder()
                    .server(server)
                    .cluster(cluster)
                    .start()
                    .await?;
                Ok(AnyNode::Nats(node))
            }
        }
    }

    /// The node's address: `tcp://host:port` or `nats://<cluster>/<id>`.
    pub fn address(&self) -> String {
        match self {
            AnyNode::Tcp(node) => node.address().to_string(),
            AnyNode::Nats(node) => node.address().to_owned(),
        }
    }

    /// Registers `actor` under `name`, for other nodes' look-ups.
    ///
    /// # Errors
    ///
    /// The name is taken, or the actor has stopped.
    pub fn register<A: Actor>(&self, name: &str, actor: &ActorRef<A>) -> Result<(), Error> {
        match self {
            AnyNode::Tcp(node) => node.register(name, actor),
            AnyNode::Nats(node) => node.register(name, actor),
        }
    }

    /// A reference to the actor registered at `url` (`<address>/<name>`).
    ///
    /// # Errors
    ///
    /// As the transport's own `lookup`: no such node or name, another type.
    pub async fn lookup<A: Actor>(&self, url: &str) -> Result<ActorRef<A>, Error> {
        match self {
            AnyNode::Tcp(node) => node.lookup(url).await,
            AnyNode::Nats(node) => node.lookup(url).await,
        }
    }

    /// Leaves the network: the other nodes learn it at once.
    pub fn shutdown(&self) {
        match self {
            AnyNode::Tcp(node) => node.shutdown(),
            AnyNode::Nats(node) => node.shutdown(),
        }
    }
}
