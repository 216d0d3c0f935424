//! TLS under the handshake, with rustls.
//!
//! TLS adds confidentiality and server authentication to the connection;
//! the cookie handshake then runs inside it as without TLS, so a node must
//! both present a certificate its peer trusts and know the cookie.

use std::sync::Arc;

use actium_core::Error;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::connection::{Io, ReadSide, Writer, split_locked};

/// TLS settings of a node: its certificate and key, and the certificates
/// it trusts for the nodes it connects to. Both nodes of a connection need
/// TLS. From [`TlsConfig::from_pem`], or [`TlsConfig::new`] with rustls
/// configurations of your own.
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
    connector: TlsConnector,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig(..)")
    }
}

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::Listen {
        address: "(TLS configuration)".to_owned(),
        reason: reason.to_string(),
    }
}

impl TlsConfig {
    /// From PEM text: this node's certificate chain and private key, and
    /// the CA certificates that other nodes' certificates must chain to.
    /// A node's certificate must name the host other nodes dial (a DNS
    /// name or an IP address).
    ///
    /// # Errors
    ///
    /// [`Error::Listen`] saying which part did not parse or fit.
    pub fn from_pem(cert_chain: &[u8], key: &[u8], trusted: &[u8]) -> Result<Self, Error> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("the certificate chain does not parse: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| invalid(format!("the private key does not parse: {e}")))?;
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(trusted) {
            let ca =
                ca.map_err(|e| invalid(format!("a trusted certificate does not parse: {e}")))?;
            roots
                .add(ca)
                .map_err(|e| invalid(format!("a trusted certificate is unusable: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid(format!("the certificate and key do not fit: {e}")))?;
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConfig::new(Arc::new(server), Arc::new(client)))
    }

    /// From rustls configurations: `server` for connections other nodes
    /// open, `client` for those this node opens.
    pub fn new(server: Arc<ServerConfig>, client: Arc<ClientConfig>) -> Self {
        TlsConfig {
            acceptor: TlsAcceptor::from(server),
            connector: TlsConnector::from(client),
        }
    }

    pub(crate) async fn connect(
        &self,
        host: &str,
        stream: TcpStream,
    ) -> Result<Box<dyn Io>, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("`{host}` cannot be checked against a certificate: {e}"))?;
        let stream = self
            .connector
            .connect(name, stream)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        Ok(Box::new(stream))
    }

    pub(crate) async fn accept(&self, stream: TcpStream) -> Result<Box<dyn Io>, String> {
        let stream = self
            .acceptor
            .accept(stream)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        Ok(Box::new(stream))
    }
}

/// A TLS session reads and writes through one state: its halves share it
/// under `tokio::io::split`'s lock.
impl Io for tokio_rustls::client::TlsStream<TcpStream> {
    fn halves(self: Box<Self>) -> (ReadSide, Writer) {
        split_locked(*self)
    }
}

impl Io for tokio_rustls::server::TlsStream<TcpStream> {
    fn halves(self: Box<Self>) -> (ReadSide, Writer) {
        split_locked(*self)
    }
}
