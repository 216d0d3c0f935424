//! The credentials of deployments that run NATS in operator mode or with
//! mutual TLS, against a real `nats-server`: a `.creds` file (a user JWT
//! and its NKey seed, made here as `nsc` would) and a client certificate
//! the server verifies. Nodes join and call each other with them, and are
//! refused (`Error::Listen`) without them or with ones the server does not
//! trust.

/// The credential tests' shared set-up (kept out of `support` because it
/// needs `rcgen`, which the other crates that reuse `support` lack).
#[path = "support/auth.rs"]
mod auth;
mod support;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use actium::nats::Credentials;
use auth::{Scratch, ca, refused, server, two_nodes_talk};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nkeys::KeyPair;
use rcgen::{CertificateParams, CertifiedIssuer};
use support::unique;

/// A JWT of NATS' decentralised auth: `claims` (JSON, without the common
/// fields) about `subject`, issued and signed by `issuer`.
fn jwt(issuer: &KeyPair, subject: &KeyPair, name: &str, nats: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    // Unique per JWT, as `nsc` makes it (the server does not check how).
    let jti = format!("{name}{now}{}", unique());
    let (iss, sub) = (issuer.public_key(), subject.public_key());
    let claims = format!(
        r#"{{"jti":"{jti}","iat":{now},"iss":"{iss}","name":"{name}","sub":"{sub}","nats":{nats}}}"#
    );
    let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
    let signature = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// An operator, an account it signs, and the server configuration that
/// trusts them (operator mode, accounts resolved from memory).
struct Operator {
    operator: KeyPair,
    account: KeyPair,
}

const ACCOUNT_CLAIMS: &str = r#"{"limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,"wildcards":true,"conn":-1,"leaf":-1},"type":"account","version":2}"#;

const USER_CLAIMS: &str =
    r#"{"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,"type":"user","version":2}"#;

impl Operator {
    fn new() -> Self {
        Operator {
            operator: KeyPair::new_operator(),
            account: KeyPair::new_account(),
        }
    }

    fn server_config(&self) -> String {
        let operator = jwt(
            &self.operator,
            &self.operator,
            "test-operator",
            r#"{"type":"operator","version":2}"#,
        );
        let account = jwt(&self.operator, &self.account, "actium", ACCOUNT_CLAIMS);
        format!(
            "operator: \"{operator}\"\nresolver: MEMORY\nresolver_preload: {{\n  {}: \"{account}\"\n}}\n",
            self.account.public_key()
        )
    }

    /// A `.creds` file for a new user of `account`, as `nsc` writes one.
    fn creds(account: &KeyPair) -> String {
        let user = KeyPair::new_user();
        let user_jwt = jwt(account, &user, "node", USER_CLAIMS);
        format!(
            "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        )
    }
}

fn creds(path: &Path) -> Credentials {
    Credentials::CredsFile(path.to_owned())
}

#[test]
fn nodes_join_with_a_creds_file_and_not_without() {
    let scratch = Scratch::new("creds");
    let trusted = Operator::new();
    let config = scratch.write("server.conf", &trusted.server_config());
    let server = server(&["-c", config.to_str().unwrap()]);
    let url = server.url();
    let good = scratch.write("node.creds", &Operator::creds(&trusted.account));
    // A user of an account the server's operator never signed.
    let stranger = scratch.write("stranger.creds", &Operator::creds(&KeyPair::new_account()));
    let missing = scratch.0.join("missing.creds");
    refused(&url, |builder| builder);
    let reason = refused(&url, |builder| builder.credentials(creds(&stranger)));
    assert!(reason.contains("authorization"), "{reason}");
    let reason = refused(&url, |builder| builder.credentials(creds(&missing)));
    assert!(reason.contains("credentials file"), "{reason}");
    two_nodes_talk(server, |builder| builder.credentials(creds(&good)));
}

/// A certificate for `names`, signed by `ca`, and its key, written to
/// `<file>.pem` and `<file>-key.pem`.
fn certificate(
    scratch: &Scratch,
    file: &str,
    names: &[&str],
    ca: &CertifiedIssuer<'static, rcgen::KeyPair>,
) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate().unwrap();
    let names = names.iter().map(ToString::to_string).collect::<Vec<_>>();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, ca)
        .unwrap();
    (
        scratch.write(&format!("{file}.pem"), &cert.pem()),
        scratch.write(&format!("{file}-key.pem"), &key.serialize_pem()),
    )
}

#[test]
fn nodes_with_a_client_certificate_the_server_verifies_join_and_others_do_not() {
    let scratch = Scratch::new("mtls");
    let ca = ca();
    let (server_cert, server_key) =
        certificate(&scratch, "server", &["127.0.0.1", "localhost"], &ca);
    let (client_cert, client_key) = certificate(&scratch, "node", &["node"], &ca);
    let other_ca = self::ca();
    let (forged_cert, forged_key) = certificate(&scratch, "forged", &["node"], &other_ca);
    let ca_file = scratch.write("ca.pem", &ca.pem());
    let server = server(&[
        "--tlsverify",
        "--tlscert",
        server_cert.to_str().unwrap(),
        "--tlskey",
        server_key.to_str().unwrap(),
        "--tlscacert",
        ca_file.to_str().unwrap(),
    ]);
    let url = server.url();
    // Trusting the server but proving nothing, or with a certificate of
    // another authority: refused.
    refused(&url, |builder| {
        builder.require_tls().tls_root_certificate(&ca_file)
    });
    refused(&url, |builder| {
        builder
            .require_tls()
            .tls_root_certificate(&ca_file)
            .tls_client_certificate(&forged_cert, &forged_key)
    });
    two_nodes_talk(server, |builder| {
        builder
            .require_tls()
            .tls_root_certificate(&ca_file)
            .tls_client_certificate(&client_cert, &client_key)
    });
}
