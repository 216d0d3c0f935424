//! The simulated network on the transport seam: a node's [`Resolver`],
//! its [`Peer`] for each other node, and the [`Respond`]er of a request
//! that came over it.

use std::sync::{Arc, Weak};

use super::connection::Connection;
use super::network::Network;
use crate::base::Error;
use crate::transport::{OutgoingCall, Peer, Rejection, RemoteSignal, Resolver, Respond, Response};

/// A node's network layer: peers for `sim://` addresses.
pub(super) struct SimResolver {
    network: Weak<Network>,
    name: Arc<str>,
    address: String,
}

impl SimResolver {
    pub(super) fn new(network: Weak<Network>, name: Arc<str>) -> Self {
        SimResolver {
            address: format!("sim://{name}"),
            network,
            name,
        }
    }
}

impl Resolver for SimResolver {
    fn address(&self) -> &str {
        &self.address
    }

    fn peer(&self, address: &str) -> Result<Arc<dyn Peer>, Error> {
        let name = address
            .strip_prefix("sim://")
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .ok_or_else(|| Error::InvalidAddress {
                address: address.to_owned(),
                reason: "a simulated node's address is sim://<name>".to_owned(),
            })?;
        Ok(Arc::new(SimPeer::new(
            self.network.clone(),
            self.name.clone(),
            name.into(),
        )))
    }
}

/// Node `from`'s view of node `to`.
pub(super) struct SimPeer {
    network: Weak<Network>,
    from: Arc<str>,
    to: Arc<str>,
    address: String,
}

impl SimPeer {
    pub(super) fn new(network: Weak<Network>, from: Arc<str>, to: Arc<str>) -> Self {
        SimPeer {
            address: format!("sim://{to}"),
            network,
            from,
            to,
        }
    }

    fn network(&self) -> Result<Arc<Network>, Error> {
        self.network.upgrade().ok_or_else(|| Error::NodeDown {
            node: self.address.clone(),
            reason: "the simulation has ended".to_owned(),
        })
    }
}

impl Peer for SimPeer {
    fn address(&self) -> &str {
        &self.address
    }

    fn is_connected(&self) -> bool {
        self.network
            .upgrade()
            .is_some_and(|network| network.is_connected(&self.from, &self.to))
    }

    fn call(&self, call: OutgoingCall<'_>) -> Result<(), Box<Error>> {
        Ok(self.network()?.call(&self.from, &self.to, call)?)
    }

    fn signal(&self, signal: RemoteSignal) -> Result<(), Error> {
        self.network()?.signal(&self.from, &self.to, signal)
    }
}

/// A response, owned while it crosses the simulated network.
pub(super) enum OwnedResponse {
    Value(Vec<u8>),
    Panicked(String),
    Stopped,
    Rejected(Rejection),
}

impl OwnedResponse {
    fn new(response: Response<'_>) -> Self {
        match response {
            Response::Value(bytes) => OwnedResponse::Value(bytes.to_vec()),
            Response::Panicked(message) => OwnedResponse::Panicked(message),
            Response::Stopped => OwnedResponse::Stopped,
            Response::Rejected(rejection) => OwnedResponse::Rejected(rejection),
        }
    }

    pub(super) fn as_response(&self) -> Response<'_> {
        match self {
            OwnedResponse::Value(bytes) => Response::Value(bytes),
            OwnedResponse::Panicked(message) => Response::Panicked(message.clone()),
            OwnedResponse::Stopped => Response::Stopped,
            OwnedResponse::Rejected(rejection) => Response::Rejected(rejection.clone()),
        }
    }
}

/// Answers a request that came over `connection` to end `end`.
pub(super) struct SimResponder {
    network: Weak<Network>,
    connection: Arc<Connection>,
    end: usize,
    id: u64,
}

impl SimResponder {
    pub(super) fn new(
        network: Weak<Network>,
        connection: Arc<Connection>,
        end: usize,
        id: u64,
    ) -> Self {
        SimResponder {
            network,
            connection,
            end,
            id,
        }
    }
}

impl Respond for SimResponder {
    fn respond(self: Box<Self>, response: Response<'_>) {
        if let Some(network) = self.network.upgrade() {
            network.reply(
                &self.connection,
                self.end,
                self.id,
                OwnedResponse::new(response),
            );
        }
    }
}
