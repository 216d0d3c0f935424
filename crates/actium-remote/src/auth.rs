//! Mutual authentication with a shared secret, as Erlang's cookie.
//!
//! The cookie never crosses the wire. Each side sends a fresh random
//! nonce; each proves it knows the cookie with an HMAC-SHA256 over both
//! nonces and both node ids, under a label saying which side it is (so a
//! proof cannot be reflected back). The listener proves itself first, so a
//! connector never reveals a proof to a node that does not know the
//! cookie; the listener's proof covers a nonce of its own choosing, so it
//! is useless to replay elsewhere.

use std::path::PathBuf;

use actium_core::NodeId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The environment variable a node reads its cookie from when none is
/// given in code.
pub const COOKIE_ENV: &str = "ACTIUM_COOKIE";

/// The shared secret nodes authenticate each other with.
#[derive(Clone)]
pub(crate) struct Cookie(Vec<u8>);

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cookie(..)")
    }
}

/// Which side of the handshake a proof is from.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    Listener,
    Connector,
}

impl Cookie {
    pub(crate) fn new(secret: impl AsRef<[u8]>) -> Self {
        Cookie(secret.as_ref().to_vec())
    }

    /// The cookie a node uses when none is given in code: `ACTIUM_COOKIE`,
    /// else the file `~/.actium.cookie`, created with a random secret (and
    /// mode 0600) if missing — Erlang's rule, so that nodes of one user on
    /// one machine or a shared home directory trust each other.
    pub(crate) fn from_environment() -> std::io::Result<Self> {
        if let Ok(secret) = std::env::var(COOKIE_ENV) {
            return Ok(Cookie::new(secret));
        }
        let path = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join(".actium.cookie");
        match std::fs::read(&path) {
            Ok(secret) => Ok(Cookie(trim(secret))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let secret: String = nonce()
                    .iter()
                    .map(|byte| char::from(b'A' + byte % 26))
                    .collect();
                write_private(&path, secret.as_bytes())?;
                Ok(Cookie::new(secret))
            }
            Err(error) => Err(error),
        }
    }

    /// This side's proof for a handshake between `mine` and `theirs`.
    pub(crate) fn prove(
        &self,
        side: Side,
        my_nonce: &[u8; 32],
        their_nonce: &[u8; 32],
        mine: NodeId,
        theirs: NodeId,
    ) -> [u8; 32] {
        self.mac(side, my_nonce, their_nonce, mine, theirs)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Checks the other side's proof, in constant time.
    pub(crate) fn verify(
        &self,
        side: Side,
        their_nonce: &[u8; 32],
        my_nonce: &[u8; 32],
        theirs: NodeId,
        mine: NodeId,
        proof: &[u8; 32],
    ) -> bool {
        self.mac(side, their_nonce, my_nonce, theirs, mine)
            .verify_slice(proof)
            .is_ok()
    }

    fn mac(
        &self,
        side: Side,
        prover_nonce: &[u8; 32],
        other_nonce: &[u8; 32],
        prover: NodeId,
        other: NodeId,
    ) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(match side {
            Side::Listener => b"actium listener v1",
            Side::Connector => b"actium connector v1",
        });
        mac.update(prover_nonce);
        mac.update(other_nonce);
        mac.update(&prover.as_u64().to_be_bytes());
        mac.update(&other.as_u64().to_be_bytes());
        mac
    }
}

fn trim(mut secret: Vec<u8>) -> Vec<u8> {
    while secret.last().is_some_and(u8::is_ascii_whitespace) {
        secret.pop();
    }
    secret
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, secret: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(secret)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, secret: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, secret)
}

/// A fresh random challenge.
pub(crate) fn nonce() -> [u8; 32] {
    let mut nonce = [0_u8; 32];
    // The OS entropy source failing is not something a node can work
    // around; fall back to the weaker but unique node-id mixer rather
    // than abort.
    if getrandom::fill(&mut nonce).is_err() {
        for (chunk, word) in nonce
            .chunks_mut(8)
            .zip(std::iter::repeat_with(NodeId::random))
        {
            chunk.copy_from_slice(&word.as_u64().to_le_bytes());
        }
    }
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_verifies_only_with_the_same_cookie_nonces_and_side() {
        let cookie = Cookie::new("secret");
        let (a, b) = (NodeId::from_u64(1), NodeId::from_u64(2));
        let (na, nb) = (nonce(), nonce());
        let proof = cookie.prove(Side::Listener, &na, &nb, a, b);
        assert!(cookie.verify(Side::Listener, &na, &nb, a, b, &proof));
        assert!(!Cookie::new("other").verify(Side::Listener, &na, &nb, a, b, &proof));
        assert!(!cookie.verify(Side::Connector, &na, &nb, a, b, &proof));
        assert!(!cookie.verify(Side::Listener, &nb, &na, a, b, &proof));
        assert!(!cookie.verify(Side::Listener, &na, &nb, b, a, &proof));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
