//! What the credential tests share: an actor to call, a scratch directory
//! for configuration files and keys, servers with arguments, and the two
//! outcomes a test of credentials checks (two nodes talk; a node is
//! refused).

use std::path::PathBuf;

use actium::Error;
use actium::nats::{NatsNode, NatsNodeBuilder};
use actium::prelude::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa};

use crate::support::{Cluster, NatsServer, unique};

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[actor(remote)]
impl Counter {
    #[tell]
    pub fn add(&mut self, amount: u64) {
        self.count += amount;
    }

    #[ask]
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// A directory of the test's own, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "actium-nats-{name}-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server with `args`, without JetStream.
pub fn server(args: &[&str]) -> NatsServer {
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    NatsServer::with_args(&args, false)
}

/// Two nodes configured by `configure` call each other.
pub fn two_nodes_talk(server: NatsServer, configure: impl Fn(NatsNodeBuilder) -> NatsNodeBuilder) {
    let cluster = Cluster::on(server, 2, |_, builder| configure(builder));
    let url = cluster.node(0).url("counter");
    cluster.run(0, async {
        cluster
            .node(0)
            .register("counter", &Counter::default().spawn())
            .unwrap();
    });
    let counter = cluster
        .run(1, cluster.node(1).lookup::<Counter>(&url))
        .unwrap();
    cluster.run(1, async { counter.add(2) }).unwrap();
    assert_eq!(cluster.run(1, counter.count()).unwrap(), 2);
}

/// Starting a node configured by `configure` on `url` fails with
/// `Error::Listen`; its reason.
pub fn refused(url: &str, configure: impl FnOnce(NatsNodeBuilder) -> NatsNodeBuilder) -> String {
    let system = System::builder().start().unwrap();
    let builder = NatsNode::builder().server(url).system(system.handle());
    let result = system.block_on(configure(builder).start());
    system.shutdown();
    match result {
        Err(Error::Listen { reason, .. }) => reason,
        other => panic!("expected Listen, got {other:?}"),
    }
}

/// A self-signed certificate authority.
pub fn ca() -> CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}
