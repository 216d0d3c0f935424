//! Addresses: `tcp://host:port` for a node, `tcp://host:port/name` for an
//! actor registered under a name there.

use std::fmt;
use std::str::FromStr;

use actium_core::Error;

const SCHEME: &str = "tcp://";

/// The address of a node: `tcp://host:port`.
///
/// Parsing accepts the scheme-less `host:port` too, and IPv6 hosts in
/// brackets (`tcp://[::1]:4000`). The address is also the node's identity
/// among peers: use the same spelling everywhere (`127.0.0.1` and
/// `localhost` are two addresses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeAddress {
    host: String,
    port: u16,
}

impl NodeAddress {
    /// Builds an address from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        NodeAddress {
            host: host.into(),
            port,
        }
    }

    /// Parses `tcp://host:port` (or `host:port`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] saying what is wrong.
    pub fn parse(address: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidAddress {
            address: address.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = match address.split_once("://") {
            Some(("tcp", rest)) => rest,
            Some((scheme, _)) => {
                return Err(invalid(&format!(
                    "unknown scheme `{scheme}`; nodes are reached over `tcp://`"
                )));
            }
            None => address,
        };
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("an IPv6 host needs a closing `]`"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| invalid("expected `:port` after the host"))?;
            (host, port)
        } else {
            rest.rsplit_once(':')
                .ok_or_else(|| invalid("expected `host:port`"))?
        };
        if host.is_empty() {
            return Err(invalid("the host is empty"));
        }
        if host.contains('/') || port.contains('/') {
            return Err(invalid(
                "a node address has no path; `tcp://host:port/name` names an actor",
            ));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
        Ok(NodeAddress::new(host, port))
    }

    /// The host name or IP address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, as the socket layer takes it.
    pub fn socket(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.socket())
    }
}

impl FromStr for NodeAddress {
    type Err = Error;

    fn from_str(address: &str) -> Result<Self, Error> {
        NodeAddress::parse(address)
    }
}

/// An actor registered under a name on a node: `tcp://host:port/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorUrl {
    node: NodeAddress,
    name: String,
}

impl ActorUrl {
    /// Parses `tcp://host:port/name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidAddress`] for a malformed node part or a missing or
    /// invalid name.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidAddress {
            address: url.to_owned(),
            reason: reason.to_owned(),
        };
        let after_scheme = url
            .split_once("://")
            .map_or(0, |(scheme, _)| scheme.len() + 3);
        let slash = url[after_scheme..]
            .find('/')
            .ok_or_else(|| invalid("expected `tcp://host:port/name`: the name is missing"))?;
        let (node, name) = url.split_at(after_scheme + slash);
        let name = &name[1..];
        if name.is_empty() || name.contains('/') {
            return Err(invalid("a name is non-empty and contains no `/`"));
        }
        Ok(ActorUrl {
            node: NodeAddress::parse(node)?,
            name: name.to_owned(),
        })
    }

    /// The node's address.
    pub fn node(&self) -> &NodeAddress {
        &self.node
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ActorUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.node, self.name)
    }
}

impl FromStr for ActorUrl {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self, Error> {
        ActorUrl::parse(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses_parse_with_or_without_the_scheme() {
        let a = NodeAddress::parse("tcp://127.0.0.1:4000").unwrap();
        assert_eq!((a.host(), a.port()), ("127.0.0.1", 4000));
        assert_eq!(NodeAddress::parse("127.0.0.1:4000").unwrap(), a);
        assert_eq!(a.to_string(), "tcp://127.0.0.1:4000");
        let v6 = NodeAddress::parse("tcp://[::1]:9").unwrap();
        assert_eq!((v6.host(), v6.socket()), ("::1", "[::1]:9".to_owned()));
    }

    #[test]
    fn malformed_addresses_say_what_is_wrong() {
        for bad in [
            "udp://1.2.3.4:5",
            "tcp://1.2.3.4",
            "tcp://:5",
            "tcp://h:99999",
            "tcp://h:5/name",
            "tcp://[::1:5",
        ] {
            let error = NodeAddress::parse(bad).unwrap_err();
            assert!(
                matches!(error, Error::InvalidAddress { .. }),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn actor_urls_split_node_and_name() {
        let url = ActorUrl::parse("tcp://127.0.0.1:4000/store").unwrap();
        assert_eq!(url.node().to_string(), "tcp://127.0.0.1:4000");
        assert_eq!(url.name(), "store");
        assert_eq!(url.to_string(), "tcp://127.0.0.1:4000/store");
        for bad in [
            "tcp://127.0.0.1:4000",
            "tcp://127.0.0.1:4000/",
            "tcp://h:1/a/b",
        ] {
            assert!(ActorUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
