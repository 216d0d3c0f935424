//! `actium nats nodes` and `actium nats names` against a real
//! `nats-server` with JetStream and two real nodes.
#![cfg(feature = "nats")]

// The NATS tests' helpers: a server of the test's own, a small cluster.
#[path = "../../actium-nats/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use actium::prelude::*;
use support::{Cluster, wait_until};

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
    let port = support::free_port().to_string();
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
