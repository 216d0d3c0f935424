//! Security with a real `nats-server`: credentials (user and password,
//! token, NKey) and TLS to the server, and a cluster secret that keeps
//! other clients of the same server from calling, stopping or
//! impersonating the cluster's actors.

/// The credential tests' shared set-up (kept out of `support` because it
/// needs `rcgen`, which the other crates that reuse `support` lack).
#[path = "support/auth.rs"]
mod auth;
mod support;

use std::time::Duration;

use actium::Error;
use actium::nats::{Credentials, NatsNode};
use actium::prelude::*;
use auth::{Counter, Scratch, ca, refused, server, two_nodes_talk};
use rcgen::{CertificateParams, KeyPair};
use support::{Cluster, NatsServer, wait_until};

#[test]
fn nodes_join_with_a_user_and_password_and_not_without() {
    let server = server(&["--user", "actium", "--pass", "s3cret"]);
    let url = server.url();
    let password = |password: &str| Credentials::UserPassword {
        user: "actium".to_owned(),
        password: password.to_owned(),
    };
    refused(&url, |builder| builder);
    let reason = refused(&url, |builder| builder.credentials(password("wrong")));
    assert!(reason.contains("authorization"), "{reason}");
    two_nodes_talk(server, |builder| builder.credentials(password("s3cret")));
}

#[test]
fn nodes_join_with_a_token_and_not_without() {
    let server = server(&["--auth", "t0ken"]);
    let url = server.url();
    refused(&url, |builder| builder);
    refused(&url, |builder| {
        builder.credentials(Credentials::Token("other".to_owned()))
    });
    two_nodes_talk(server, |builder| {
        builder.credentials(Credentials::Token("t0ken".to_owned()))
    });
}

#[test]
fn nodes_join_with_an_nkey_and_not_without() {
    let user = nkeys::KeyPair::new_user();
    let stranger = nkeys::KeyPair::new_user();
    let scratch = Scratch::new("nkey");
    let config = scratch.write(
        "server.conf",
        &format!(
            "authorization {{ users = [ {{ nkey: \"{}\" }} ] }}\n",
            user.public_key()
        ),
    );
    let server = server(&["-c", config.to_str().unwrap()]);
    let url = server.url();
    refused(&url, |builder| builder);
    let seed = stranger.seed().unwrap();
    refused(&url, |builder| builder.credentials(Credentials::NKey(seed)));
    let seed = user.seed().unwrap();
    two_nodes_talk(server, |builder| {
        builder.credentials(Credentials::NKey(seed.clone()))
    });
}

#[test]
fn nodes_reach_a_tls_server_that_they_trust_and_no_other() {
    let scratch = Scratch::new("tls");
    let ca = ca();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let cert_file = scratch.write("server.pem", &cert.pem());
    let key_file = scratch.write("server-key.pem", &key.serialize_pem());
    let ca_file = scratch.write("ca.pem", &ca.pem());
    let other_ca = scratch.write("other-ca.pem", &self::ca().pem());
    let server = server(&[
        "--tls",
        "--tlscert",
        cert_file.to_str().unwrap(),
        "--tlskey",
        key_file.to_str().unwrap(),
    ]);
    let url = server.url();
    // Not trusting the server's certificate authority: refused.
    let reason = refused(&url, |builder| builder.tls_root_certificate(&other_ca));
    assert!(!reason.is_empty());
    two_nodes_talk(server, |builder| {
        builder.require_tls().tls_root_certificate(&ca_file)
    });
}

/// A message with a header claiming to come from node `from`, unsealed,
/// carrying one frame outside any stream (as heartbeats and goodbyes go).
fn claiming(from: u64, frame: &[u8]) -> Vec<u8> {
    let mut message = vec![0xAC, 3];
    message.extend_from_slice(&from.to_be_bytes());
    message.push(0);
    message.extend_from_slice(frame);
    message
}

/// A message claiming to come from node `from`, unsealed: the first batch
/// of its stream (epoch 1, from sequence number 1), holding `frame`.
fn in_a_stream(from: u64, frame: &[u8]) -> Vec<u8> {
    let mut message = vec![0xAC, 3];
    message.extend_from_slice(&from.to_be_bytes());
    message.push(1);
    message.extend_from_slice(&1_u32.to_be_bytes());
    message.extend_from_slice(&1_u64.to_be_bytes());
    message.push(0);
    message.extend_from_slice(&u32::try_from(frame.len()).unwrap().to_be_bytes());
    message.extend_from_slice(frame);
    message
}

/// A cluster of two (with `secret`, if any) and a counter on node 0; a
/// stranger on the same server publishes a forged `add(5)` to it
/// claiming to be a node of the cluster (in a stream of its own: one
/// claiming node 1's stream would break node 1's), a forged goodbye from
/// node 1, garbage, a forged sealed message with a made-up tag, and an
/// oversize message. Returns
/// the counter's count after node 1 has added 1, and node 0's count of
/// dropped messages.
fn strangers_publish(secret: Option<&str>) -> (u64, u64) {
    let cluster = Cluster::on(NatsServer::start(), 2, |_, builder| match secret {
        Some(secret) => builder.secret(secret).max_frame(64 * 1024),
        None => builder.max_frame(64 * 1024),
    });
    let url = cluster.node(0).url("counter");
    let id = cluster.run(0, async {
        let counter = Counter::default().spawn();
        cluster.node(0).register("counter", &counter).unwrap();
        counter.id()
    });
    let counter = cluster
        .run(1, cluster.node(1).lookup::<Counter>(&url))
        .unwrap();
    let node1 = cluster.node(1).id().as_u64();
    let subject = format!("actium.test.node.{}", cluster.node(0).id());
    let tell = actium::remote::testing::tell_frame(id, "add", &[5]);
    let mut sealed_forgery = in_a_stream(node1, &tell);
    sealed_forgery[1] = 4;
    sealed_forgery.extend_from_slice(&[7; 32]);
    let forged = [
        (subject.as_str(), in_a_stream(0x5eed, &tell)),
        (subject.as_str(), sealed_forgery),
        (subject.as_str(), b"garbage".to_vec()),
        (subject.as_str(), vec![0xAC; 128 * 1024]),
        // A goodbye from node 1, to everyone.
        ("actium.test.alive", claiming(node1, &[8, 0])),
    ];
    cluster.run(1, async {
        let stranger = async_nats::connect(cluster.server.url()).await.unwrap();
        for (subject, message) in &forged {
            stranger
                .publish(subject.to_string(), message.clone().into())
                .await
                .unwrap();
        }
        stranger.flush().await.unwrap();
    });
    // Dropped in any case: the garbage, the oversize message, and the
    // sealed forgery (by a node without a secret as unexpected, by one
    // with a secret as not matching it); with a secret, all five.
    let dropped = if secret.is_some() { 5 } else { 3 };
    wait_until("node 0 has read the stranger's messages", || {
        cluster.node(0).stats().dropped_messages >= dropped
    });
    let count = cluster.run(1, async {
        counter.add(1).unwrap();
        counter.count().await.unwrap()
    });
    (count, cluster.node(0).stats().dropped_messages)
}

#[test]
fn without_a_secret_a_stranger_can_call_and_with_one_it_cannot() {
    // The control: without a secret, the forged tell is obeyed.
    let (count, dropped) = strangers_publish(None);
    assert_eq!((count, dropped), (6, 3));
    // With one, every forged message is dropped and counted, and the
    // cluster keeps serving (the forged goodbye did not part the nodes).
    let (count, dropped) = strangers_publish(Some("the cluster secret"));
    assert_eq!(count, 1);
    assert_eq!(dropped, 5);
}

#[test]
fn a_node_with_another_secret_cannot_reach_the_cluster() {
    let cluster = Cluster::on(NatsServer::start(), 1, |_, builder| builder.secret("right"));
    let url = cluster.node(0).url("counter");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("counter", &Counter::default().spawn())
            .unwrap();
    });
    for secret in [Some("wrong"), None] {
        let system = System::builder()
            .default_timeout(Duration::from_millis(500))
            .start()
            .unwrap();
        let mut builder = NatsNode::builder()
            .server(cluster.server.url())
            .cluster("test")
            .system(system.handle());
        if let Some(secret) = secret {
            builder = builder.secret(secret);
        }
        let intruder = system.block_on(builder.start()).unwrap();
        match system.block_on(intruder.lookup::<Counter>(&url)) {
            Err(Error::NodeDown { reason, .. }) => {
                assert!(reason.contains("no answer"), "{reason}")
            }
            other => panic!("expected NodeDown, got {other:?}"),
        }
        intruder.shutdown();
        system.shutdown();
    }
    assert!(cluster.node(0).stats().dropped_messages > 0);
}

/// The subject permissions `docs/NATS.md` suggests, for cluster `test`.
const PERMISSIONS: &str = r#"
authorization {
  users = [
    { user: test-node, password: "node-pass",
      permissions: {
        publish:   ["actium.test.>", "$JS.API.>", "$JS.FC.>", "$KV.actium_names_test.>"]
        subscribe: ["actium.test.>", "_INBOX.>"]
      } }
    { user: test-tool, password: "tool-pass",
      permissions: {
        publish:   ["$JS.API.STREAM.INFO.KV_actium_names_test",
                    "$JS.API.CONSUMER.>", "$JS.FC.>",
                    "$JS.API.DIRECT.GET.KV_actium_names_test.>"]
        subscribe: ["actium.test.alive", "_INBOX.>"]
      } }
  ]
}
"#;

#[test]
fn the_documented_subject_permissions_let_nodes_and_the_tool_work() {
    let scratch = Scratch::new("permissions");
    let config = scratch.write("server.conf", PERMISSIONS);
    let args = ["-c".to_owned(), config.display().to_string()];
    let server = NatsServer::with_args(&args, true);
    let user = |user: &str, password: &str| Credentials::UserPassword {
        user: user.to_owned(),
        password: password.to_owned(),
    };
    let cluster = Cluster::on(server, 2, |_, builder| {
        builder.credentials(user("test-node", "node-pass"))
    });
    let counter = cluster.run(0, async { Counter::default().spawn() });
    cluster
        .run(0, cluster.node(0).register_global("counter", &counter))
        .unwrap();
    let found = cluster
        .run(1, cluster.node(1).lookup::<Counter>("nats://test/counter"))
        .unwrap();
    cluster.run(1, async { found.add(3) }).unwrap();
    assert_eq!(cluster.run(1, found.count()).unwrap(), 3);
    // The tool lists nodes and names with its narrower rights.
    cluster.run(1, async {
        let view = NatsNode::builder()
            .server(cluster.server.url())
            .cluster("test")
            .credentials(user("test-tool", "tool-pass"))
            .view()
            .await
            .unwrap();
        let names = view.names().await.unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].actor, counter.label());
        let nodes = view.nodes(Duration::from_secs(1)).await.unwrap();
        assert_eq!(nodes.len(), 2);
    });
}
