//! `actium nats nodes` and `actium nats names` against a real
//! `nats-server` with JetStream and two real nodes; `actium top` and
//! `actium observe` watching a node of such a cluster.
#![cfg(feature = "nats")]

// The NATS tests' helpers: a server of the test's own, a small cluster.
#[path = "../../actium-nats/tests/support/mod.rs"]
mod support;
// `actium observe` run as a child and its page read over HTTP.
#[path = "support/mod.rs"]
mod observe_support;

use std::process::{Command, Output};

use actium::prelude::*;
use observe_support::Observer;
use support::{Cluster, NatsServer, wait_until};

struct Greeter;

#[actor(remote)]
impl Greeter {
    #[ask]
    fn greet(&self) -> u8 {
        1
    }
}

fn actium(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actium"))
        .args(args)
        .output()
        .expect("the actium binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn nodes_and_names_are_listed_from_outside_the_cluster() {
    let cluster = Cluster::start(2);
    let url = cluster.server.url();
    let greeter = cluster.run(0, async { Greeter.spawn() });
    cluster
        .run(0, cluster.node(0).register_global("greeter", &greeter))
        .unwrap();
    let common = ["--server", url.as_str(), "--cluster", "test"];

    let mut expected: Vec<String> = (0..2)
        .map(|i| cluster.node(i).address().to_owned())
        .collect();
    expected.sort();
    let nodes = actium(&[&["nats", "nodes"], &common[..], &["--listen", "1s"]].concat());
    assert!(nodes.status.success(), "{}", text(&nodes.stderr));
    let listed: Vec<String> = text(&nodes.stdout).lines().map(str::to_owned).collect();
    assert_eq!(listed, expected);

    let names = actium(&[&["nats", "names"], &common[..]].concat());
    assert!(names.status.success(), "{}", text(&names.stderr));
    let node = cluster.node(0).id();
    assert_eq!(
        text(&names.stdout),
        format!("greeter\t{}\t{node}\n", greeter.label())
    );

    // Another cluster on the same server has no names and no nodes.
    let other = ["--server", url.as_str(), "--cluster", "other"];
    let names = actium(&[&["nats", "names"], &other[..]].concat());
    assert!(names.status.success(), "{}", text(&names.stderr));
    assert_eq!(text(&names.stdout), "");
    let nodes = actium(&[&["nats", "nodes", "--listen", "300ms"], &other[..]].concat());
    assert_eq!(text(&nodes.stdout), "");

    // Freed names disappear from the listing.
    cluster.run(0, async { greeter.stop() });
    wait_until("the stopped actor's name is freed", || {
        let names = actium(&[&["nats", "names"], &common[..]].concat());
        names.status.success() && names.stdout.is_empty()
    });
}

#[test]
fn no_server_and_bad_cluster_names_fail_clearly() {
    // Held for the test, so that no other test's server gets it.
    let (_held, port) = support::refusing_port();
    let url = format!("nats://127.0.0.1:{port}");
    let out = actium(&["nats", "names", "--server", &url, "--cluster", "test"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot connect to NATS"),
        "{}",
        text(&out.stderr)
    );
    let out = actium(&["nats", "nodes", "--server", &url, "--cluster", "a.b"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("a.b"), "{}", text(&out.stderr));
}

#[test]
fn top_draws_the_actors_of_a_nats_clusters_node() {
    let cluster = Cluster::start(1);
    let url = cluster.server.url();
    let greeter = cluster.run(0, async { Greeter.spawn() });
    cluster.node(0).register("greeter", &greeter).unwrap();
    let watched = cluster.node(0).address().to_owned();

    let out = actium(&[
        "top", &watched, "--server", &url, "--frames", "1", "--width", "160",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let frame = text(&out.stdout);
    assert!(frame.contains("greeter → Greeter#"), "{frame}");
    // The header shows the node's network part, as for a TCP node.
    assert!(
        frame.contains(&format!("actium top — {watched}  actors")),
        "{frame}"
    );
    assert!(!frame.contains("in 0 B  out 0 B"), "bytes counted: {frame}");
}

#[test]
fn top_of_a_node_that_is_not_in_the_cluster_fails_with_a_reason() {
    let cluster = Cluster::start(1);
    let url = cluster.server.url();
    let out = actium(&[
        "top",
        "nats://test/00000000000000ff",
        "--server",
        &url,
        "--frames",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot get a snapshot of nats://test/00000000000000ff"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn observe_serves_a_nats_nodes_actors_and_its_last_messages() {
    let cluster = Cluster::on(NatsServer::start(), 1, |_, builder| {
        builder.flight_recorder(1_000)
    });
    let url = cluster.server.url();
    let greeter = cluster.run(0, async { Greeter.spawn() });
    cluster.node(0).register("greeter", &greeter).unwrap();
    for _ in 0..3 {
        assert_eq!(cluster.run(0, greeter.greet()).unwrap(), 1);
    }
    let watched = cluster.node(0).address().to_owned();

    let observer = Observer::start(&watched, &["--server", &url, "--actors", "greeter"]);
    let state = observer.state_when("the greeter and a diagram", |s| {
        s["events"].as_u64() > Some(0)
            && s["names"]
                .as_array()
                .is_some_and(|names| names.iter().any(|n| n["name"] == "greeter"))
    });
    assert!(state["problem"].is_null(), "{state}");
    let (status, svg) = observer.get("/api/diagram.svg");
    assert_eq!(status, 200, "{svg}");
    assert!(svg.contains("greet"), "the calls are drawn: {svg}");
}
