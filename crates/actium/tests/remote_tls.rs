//! Node connections over TLS: calls work as without it; a node without
//! TLS, or with a certificate nobody trusts, cannot connect.
#![cfg(feature = "tls")]

mod support;

use actium::Error;
use actium::System;
use actium::prelude::*;
use actium::remote::{Node, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

struct Echo;

#[actor(remote)]
impl Echo {
    #[ask]
    fn echo(&self, text: String) -> String {
        text
    }
}

/// A CA, and a TLS configuration signed by it for 127.0.0.1.
fn tls_from(ca: &CertifiedIssuer<'_, KeyPair>) -> TlsConfig {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, ca)
        .unwrap();
    TlsConfig::from_pem(
        cert.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
        ca.pem().as_bytes(),
    )
    .unwrap()
}

fn ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn node(system: &System, tls: Option<TlsConfig>) -> Node {
    let mut builder = Node::builder().system(system.handle()).cookie("tls-test");
    if let Some(tls) = tls {
        builder = builder.tls(tls);
    }
    system.block_on(builder.start()).unwrap()
}

#[test]
fn calls_work_over_tls() {
    let ca = ca();
    let (a, b) = (
        System::builder().start().unwrap(),
        System::builder().start().unwrap(),
    );
    let (server, client) = (node(&a, Some(tls_from(&ca))), node(&b, Some(tls_from(&ca))));
    a.block_on(async { server.register("echo", &Echo.spawn()).unwrap() });
    b.block_on(async {
        let echo = client.lookup::<Echo>(&server.url("echo")).await.unwrap();
        assert_eq!(echo.echo("over tls".into()).await.unwrap(), "over tls");
    });
    server.shutdown();
    client.shutdown();
}

#[test]
fn a_node_without_tls_or_trust_cannot_connect() {
    let ca = ca();
    let systems: Vec<System> = (0..3).map(|_| System::builder().start().unwrap()).collect();
    let server = node(&systems[0], Some(tls_from(&ca)));
    let plain = node(&systems[1], None);
    let untrusted = node(&systems[2], Some(tls_from(&self::ca())));
    systems[0].block_on(async { server.register("echo", &Echo.spawn()).unwrap() });
    for (system, client) in [(&systems[1], &plain), (&systems[2], &untrusted)] {
        system.block_on(async {
            let result = client.lookup::<Echo>(&server.url("echo")).await;
            assert!(matches!(result, Err(Error::NodeDown { .. })), "{result:?}");
        });
    }
}
