//! Names on NATS: a node is `nats://<cluster>/<node-id>`, an actor
//! registered there `nats://<cluster>/<node-id>/<name>`; frames for a node
//! go to the subject `actium.<cluster>.node.<node-id>`, heartbeats to
//! `actium.<cluster>.alive`.

use actium_core::{Error, NodeId};

const SCHEME: &str = "nats://";

/// The longest cluster name: it is part of every subject.
const MAX_CLUSTER: usize = 64;

/// The address of node `node` in `cluster`, as references carry it.
pub(crate) fn node_address(cluster: &str, node: NodeId) -> String {
    format!("{SCHEME}{cluster}/{node}")
}

/// The subject that frames for `node` are published to.
pub(crate) fn node_subject(cluster: &str, node: NodeId) -> String {
    format!("actium.{cluster}.node.{node}")
}

/// The subject every node of `cluster` publishes its heartbeat to.
pub(crate) fn alive_subject(cluster: &str) -> String {
    format!("actium.{cluster}.alive")
}

/// Whether `cluster` can be a cluster's name: one NATS subject token of
/// letters, digits, `-` and `_`.
pub(crate) fn check_cluster(cluster: &str) -> Result<(), Error> {
    let valid = !cluster.is_empty()
        && cluster.len() <= MAX_CLUSTER
        && cluster
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidAddress {
            address: cluster.to_owned(),
            reason: format!("a cluster's name is 1 to {MAX_CLUSTER} letters, digits, `-` or `_`"),
        })
    }
}

/// A parsed `nats://<cluster>/<node-id>[/<name>]`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parsed<'a> {
    pub(crate) cluster: &'a str,
    pub(crate) node: NodeId,
    pub(crate) name: Option<&'a str>,
}

/// Parses a node's address or an actor's URL.
pub(crate) fn parse(url: &str) -> Result<Parsed<'_>, Error> {
    let invalid = |reason: &str| Error::InvalidAddress {
        address: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = url
        .strip_prefix(SCHEME)
        .ok_or_else(|| invalid("a NATS node's address starts with `nats://`"))?;
    let mut parts = rest.splitn(3, '/');
    let cluster = parts.next().unwrap_or_default();
    check_cluster(cluster).map_err(|_| invalid("the cluster's name is not valid"))?;
    let node = parts
        .next()
        .filter(|node| node.len() == 16)
        .and_then(|node| u64::from_str_radix(node, 16).ok())
        .map(NodeId::from_u64)
        .ok_or_else(|| invalid("expected `nats://<cluster>/<node id: 16 hex digits>`"))?;
    let name = match parts.next() {
        Some("") => return Err(invalid("the actor's name is empty")),
        other => other,
    };
    Ok(Parsed {
        cluster,
        node,
        name,
    })
}

/// The cluster and name of a cluster-wide name's URL,
/// `nats://<cluster>/<name>`; `None` for anything else (a node's address
/// or a node's actor's URL has more parts, or is not a NATS URL).
pub(crate) fn cluster_wide(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix(SCHEME)?;
    let (cluster, name) = rest.split_once('/')?;
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some((cluster, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_bad_ones_are_typed_errors() {
        let node = NodeId::from_u64(0xabc);
        let address = node_address("shop", node);
        assert_eq!(address, "nats://shop/0000000000000abc");
        let parsed = parse(&address).unwrap();
        assert_eq!(
            (parsed.cluster, parsed.node, parsed.name),
            ("shop", node, None)
        );
        let url = format!("{address}/greeter");
        assert_eq!(parse(&url).unwrap().name, Some("greeter"));
        for bad in [
            "tcp://shop/0000000000000abc",
            "nats://sh op/0000000000000abc",
            "nats://shop/abc",
            "nats://shop/000000000000zzzz",
            "nats://shop/0000000000000abc/",
            "nats:///0000000000000abc",
        ] {
            assert!(
                matches!(parse(bad), Err(Error::InvalidAddress { .. })),
                "{bad}"
            );
        }
        assert!(check_cluster("a.b").is_err());
        assert_eq!(
            cluster_wide("nats://shop/greeter"),
            Some(("shop", "greeter"))
        );
        assert_eq!(cluster_wide(&url), None);
        assert_eq!(cluster_wide("nats://shop/"), None);
        assert_eq!(cluster_wide("tcp://shop/greeter"), None);
        assert!(check_cluster(&"x".repeat(65)).is_err());
    }
}
