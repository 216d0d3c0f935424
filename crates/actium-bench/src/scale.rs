//! `scale`: what a cluster of many nodes costs, over NATS and over the TCP
//! mesh. Each transport is measured in a fresh process holding all the
//! nodes, each node its own system, after every node has called every
//! other once (so that every connection a cluster in use needs is open):
//!
//! ```text
//! scale <transport> nodes=<N> connections=<int> rss_bytes_per_node=<int>
//! ```
//!
//! `connections` are the established TCP connections counted in
//! `/proc/net/tcp`: for NATS those to the run's `nats-server`, for TCP
//! those accepted on the nodes' listening ports (each connection once).
//! `rss_bytes_per_node` is the resident memory added, over N; the
//! `systems` line is the same number of bare systems, so that the
//! transport's own share is the difference.

use std::time::Duration;

use actium::nats::NatsNode;
use actium::prelude::*;
use actium::remote::Node;

use crate::systems::actium_remote::Target;
use crate::systems::nats_peer::{CLUSTER, local_server};
use crate::workload::{Workload, actium_system, helper_process, rss_bytes};

const COOKIE: &str = "actium-bench-scale";

/// Runs `scale-one` for each transport in a fresh process and passes its
/// line on.
pub fn main(nodes: usize) {
    for transport in ["systems", "nats", "tcp"] {
        let output = helper_process(&["scale-one", transport, &nodes.to_string()])
            .and_then(|mut command| command.output());
        match output {
            Ok(output) if output.status.success() => {
                print!("{}", String::from_utf8_lossy(&output.stdout));
            }
            Ok(output) => panic!(
                "scale {transport} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("cannot run scale {transport}: {error}"),
        }
    }
}

/// What one transport measured.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub connections: usize,
    pub rss_bytes_per_node: u64,
}

/// Measures one transport in this process and prints its line.
pub fn one(transport: &str, nodes: usize) {
    match measure(transport, nodes) {
        Ok(Some(scale)) => println!(
            "scale {transport} nodes={nodes} connections={} rss_bytes_per_node={}",
            scale.connections, scale.rss_bytes_per_node
        ),
        Ok(None) => println!("scale {transport} skip"),
        Err(error) => panic!("scale {transport} failed: {error}"),
    }
}

/// Starts `nodes` systems, each with a node of `transport` (`systems`: no
/// node), has every node call every other, and measures. `None` when the
/// transport is unknown or `nats-server` is not installed.
pub fn measure(transport: &str, nodes: usize) -> Result<Option<Scale>, Error> {
    let before = rss_bytes();
    let systems = (0..nodes)
        .map(|_| actium_system(Mode::Tasks).start())
        .collect::<Result<Vec<_>, _>>()?;
    let settle = || std::thread::sleep(Duration::from_secs(1));
    let per_node = || rss_bytes().saturating_sub(before) / nodes.max(1) as u64;
    let scale = match transport {
        "systems" => Some(Scale {
            connections: 0,
            rss_bytes_per_node: per_node(),
        }),
        "nats" => match local_server(Workload::NatsAsk) {
            Some(server) => {
                let started = nats_mesh(&systems, &server.url())?;
                // Heartbeats flow, and memory settles, before it is read.
                settle();
                let connections =
                    established(|local, remote| remote == server.port() && local != server.port());
                let scale = Scale {
                    connections,
                    rss_bytes_per_node: per_node(),
                };
                started.iter().for_each(NatsNode::shutdown);
                Some(scale)
            }
            None => None,
        },
        "tcp" => {
            let (started, ports) = tcp_mesh(&systems)?;
            settle();
            let scale = Scale {
                connections: established(|local, _| ports.contains(&local)),
                rss_bytes_per_node: per_node(),
            };
            started.iter().for_each(Node::shutdown);
            Some(scale)
        }
        _ => None,
    };
    systems.into_iter().for_each(System::shutdown);
    Ok(scale)
}

/// A NATS node on each system, each calling every other's `target`.
fn nats_mesh(systems: &[System], url: &str) -> Result<Vec<NatsNode>, Error> {
    let mut nodes = Vec::new();
    for system in systems {
        let start = NatsNode::builder()
            .server(url)
            .cluster(CLUSTER)
            .system(system.handle())
            .start();
        let node = system.block_on(start)?;
        system.block_on(async { node.register("target", &Target::default().spawn()) })?;
        nodes.push(node);
    }
    let urls: Vec<String> = nodes.iter().map(|node| node.url("target")).collect();
    for (i, (system, node)) in systems.iter().zip(&nodes).enumerate() {
        system.block_on(async {
            for (j, url) in urls.iter().enumerate() {
                if i != j {
                    let target = node.lookup::<Target>(url).await?;
                    crate::workload::check(target.echo(7).await? == 7, "echo");
                }
            }
            Ok::<(), Error>(())
        })?;
    }
    Ok(nodes)
}

/// A TCP node on each system, each calling every other's `target`; with
/// the nodes' listening ports.
fn tcp_mesh(systems: &[System]) -> Result<(Vec<Node>, Vec<u16>), Error> {
    let mut nodes = Vec::new();
    for system in systems {
        let start = Node::builder()
            .cookie(COOKIE)
            .system(system.handle())
            .start();
        let node = system.block_on(start)?;
        system.block_on(async { node.register("target", &Target::default().spawn()) })?;
        nodes.push(node);
    }
    let ports: Vec<u16> = nodes.iter().map(|node| node.address().port()).collect();
    for (i, (system, node)) in systems.iter().zip(&nodes).enumerate() {
        system.block_on(async {
            for (j, port) in ports.iter().enumerate() {
                if i != j {
                    let url = format!("tcp://127.0.0.1:{port}/target");
                    let target = node.lookup::<Target>(&url).await?;
                    crate::workload::check(target.echo(7).await? == 7, "echo");
                }
            }
            Ok::<(), Error>(())
        })?;
    }
    Ok((nodes, ports))
}

/// Established TCP connections of this machine (IPv4 and IPv6) whose
/// local and remote ports `count` accepts.
fn established(count: impl Fn(u16, u16) -> bool) -> usize {
    let port = |field: &str| {
        field
            .rsplit(':')
            .next()
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
    };
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    // State 01 is ESTABLISHED.
                    (fields.get(3) == Some(&"01"))
                        .then(|| Some((port(fields.get(1)?)?, port(fields.get(2)?)?)))
                        .flatten()
                })
                .collect::<Vec<_>>()
        })
        .filter(|&(local, remote)| count(local, remote))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four nodes over NATS: one connection each to the server.
    #[test]
    fn nats_has_one_connection_per_node() {
        match measure("nats", 4) {
            Ok(Some(scale)) => assert_eq!(scale.connections, 4),
            Ok(None) => eprintln!("note: nats-server is not installed: test skipped"),
            Err(error) => panic!("{error}"),
        }
    }

    /// Four nodes over TCP, every one having called every other: at least
    /// one connection per pair.
    #[test]
    fn tcp_mesh_has_a_connection_per_pair() {
        match measure("tcp", 4) {
            Ok(Some(scale)) => assert!(scale.connections >= 6, "{scale:?}"),
            other => panic!("{other:?}"),
        }
    }
}
