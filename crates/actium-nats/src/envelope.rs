//! What one NATS message carries: a 10-byte header (a magic byte, the
//! protocol version, the sending node's id), then one frame of Actium's
//! node protocol, postcard-encoded exactly as over TCP
//! (`actium_remote::protocol::Frame`) but without the length prefix: a
//! NATS message is its own frame.
//!
//! In a cluster with a secret ([`Seal`]), the version byte is 2 and the
//! message ends with a 32-byte HMAC-SHA256 tag, keyed by the secret, over
//! the subject the message is published to and everything before the
//! tag: a client without the secret can neither make a message a node
//! accepts nor move a node's message to another subject.

use actium_core::NodeId;
use actium_core::transport;
use actium_remote::protocol::{Frame, read_frame};
use bytes::{BufMut, Bytes, BytesMut};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The first byte of every message Actium publishes.
const MAGIC: u8 = 0xAC;

/// The protocol version of messages without a tag.
const VERSION: u8 = 1;

/// The protocol version of messages authenticated by the cluster secret.
const SEALED: u8 = 2;

/// Bytes before the frame: magic, version, sender.
const HEADER: usize = 10;

/// Bytes of the tag that ends a sealed message.
const TAG: usize = 32;

/// The cluster secret, ready to tag and check messages; or none.
#[derive(Clone, Default)]
pub(crate) struct Seal {
    key: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.key.is_some() {
            "Seal(secret)"
        } else {
            "Seal(none)"
        })
    }
}

impl Seal {
    /// A seal keyed by `secret`.
    pub(crate) fn with_secret(secret: &[u8]) -> Self {
        Seal {
            // HMAC takes a key of any length.
            key: Hmac::new_from_slice(secret).ok(),
        }
    }

    fn mac(key: &Hmac<Sha256>, subject: &str, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = key.clone();
        mac.update(&(subject.len() as u64).to_be_bytes());
        mac.update(subject.as_bytes());
        mac.update(message);
        mac
    }
}

/// Encodes `frame` from node `from`, for `subject`, as one NATS message's
/// payload, tagged if `seal` holds a secret.
///
/// # Errors
///
/// The reason, if the frame does not encode or is larger than `max`.
pub(crate) fn encode(
    from: NodeId,
    frame: &Frame<'_>,
    max: usize,
    seal: &Seal,
    subject: &str,
) -> Result<Bytes, String> {
    let mut out = BytesMut::with_capacity(64);
    out.put_u8(MAGIC);
    out.put_u8(if seal.key.is_some() { SEALED } else { VERSION });
    out.put_u64(from.as_u64());
    transport::encode(frame, &mut out)?;
    if let Some(key) = &seal.key {
        let tag = Seal::mac(key, subject, &out).finalize().into_bytes();
        out.extend_from_slice(&tag);
    }
    if out.len() > max {
        return Err(format!(
            "the message is {} bytes encoded, more than the largest frame allowed ({max})",
            out.len()
        ));
    }
    Ok(out.freeze())
}

/// Decodes one NATS message's payload, received on `subject`: the sending
/// node, and the frame.
///
/// # Errors
///
/// Why the bytes are not a frame this node can read: not Actium's, of
/// another version, without a valid tag where `seal` holds a secret, with
/// a tag where it holds none, or malformed.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    seal: &Seal,
    subject: &str,
) -> Result<(NodeId, Frame<'a>), String> {
    let Some((header, rest)) = bytes.split_at_checked(HEADER) else {
        return Err(format!("{} bytes, shorter than the header", bytes.len()));
    };
    if header[0] != MAGIC {
        return Err("not an Actium message (wrong first byte)".to_owned());
    }
    let frame = match (header[1], &seal.key) {
        (VERSION, None) => rest,
        (SEALED, Some(key)) => {
            let Some(at) = bytes.len().checked_sub(TAG).filter(|&at| at >= HEADER) else {
                return Err("a sealed message too short for its tag".to_owned());
            };
            let (message, tag) = bytes.split_at(at);
            Seal::mac(key, subject, message)
                .verify_slice(tag)
                .map_err(|_| "not authenticated: the tag does not match the cluster secret")?;
            &message[HEADER..]
        }
        (VERSION, Some(_)) => {
            return Err("not authenticated: this cluster requires its secret".to_owned());
        }
        (SEALED, None) => {
            return Err("sealed with a cluster secret, and this node was given none".to_owned());
        }
        (other, _) => {
            return Err(format!(
                "protocol version {other}, where this node speaks {VERSION} and {SEALED}"
            ));
        }
    };
    let mut id = [0; 8];
    id.copy_from_slice(&header[2..HEADER]);
    let frame = read_frame(frame).map_err(|error| format!("malformed frame: {error}"))?;
    Ok((NodeId::from_u64(u64::from_be_bytes(id)), frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actium_core::ActorId;

    #[test]
    fn a_frame_round_trips_with_its_sender() {
        let from = NodeId::from_u64(7);
        let to = ActorId::new(NodeId::from_u64(9), 3);
        let frame = Frame::Tell {
            to,
            method: "incr",
            payload: &[1, 2],
            trace: None,
        };
        let none = Seal::default();
        let bytes = encode(from, &frame, 1024, &none, "s").unwrap();
        let (sender, back) = decode(&bytes, &none, "s").unwrap();
        assert_eq!(sender, from);
        assert_eq!(format!("{back:?}"), format!("{frame:?}"));
        assert!(encode(from, &frame, 12, &none, "s").is_err());
    }

    #[test]
    fn a_sealed_frame_is_accepted_only_with_its_secret_and_subject() {
        let from = NodeId::from_u64(7);
        let frame = Frame::Ping;
        let seal = Seal::with_secret(b"cluster secret");
        let bytes = encode(from, &frame, 1024, &seal, "actium.c.alive").unwrap();
        assert_eq!(bytes.len(), HEADER + 1 + TAG);
        let (sender, _) = decode(&bytes, &seal, "actium.c.alive").unwrap();
        assert_eq!(sender, from);
        let other = Seal::with_secret(b"another secret");
        assert!(decode(&bytes, &other, "actium.c.alive").is_err());
        assert!(decode(&bytes, &seal, "actium.c.node.1").is_err());
        assert!(decode(&bytes, &Seal::default(), "actium.c.alive").is_err());
        let plain = encode(from, &frame, 1024, &Seal::default(), "actium.c.alive").unwrap();
        assert!(decode(&plain, &seal, "actium.c.alive").is_err());
        let mut flipped = bytes.to_vec();
        flipped[HEADER] ^= 1;
        assert!(decode(&flipped, &seal, "actium.c.alive").is_err());
        assert!(decode(&bytes[..HEADER + 5], &seal, "actium.c.alive").is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let none = Seal::default();
        assert!(decode(b"", &none, "s").is_err());
        assert!(decode(b"hello world, this is not a frame", &none, "s").is_err());
        let mut wrong_version = encode(NodeId::from_u64(1), &Frame::Ping, 64, &none, "s")
            .unwrap()
            .to_vec();
        wrong_version[1] = 99;
        assert!(
            decode(&wrong_version, &none, "s")
                .unwrap_err()
                .contains("version 99")
        );
        let mut truncated = encode(NodeId::from_u64(1), &Frame::Ping, 64, &none, "s")
            .unwrap()
            .to_vec();
        truncated.push(0xff);
        assert!(decode(&truncated, &none, "s").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes: Vec<u8>, sealed: bool) {
            let seal = if sealed { Seal::with_secret(b"k") } else { Seal::default() };
            let _ = decode(&bytes, &seal, "actium.c.node.1");
            let _ = crate::names::decode(&bytes);
        }

        #[test]
        fn sealed_tells_round_trip_and_any_flipped_byte_is_refused(
            payload: Vec<u8>,
            from: u64,
            flip in 0usize..4096,
        ) {
            let seal = Seal::with_secret(b"secret");
            let to = actium_core::ActorId::new(NodeId::from_u64(9), 3);
            let frame = Frame::Tell { to, method: "m", payload: &payload, trace: None };
            let bytes = encode(NodeId::from_u64(from), &frame, 1 << 20, &seal, "s").unwrap();
            let (sender, back) = decode(&bytes, &seal, "s").unwrap();
            proptest::prop_assert_eq!(sender, NodeId::from_u64(from));
            proptest::prop_assert_eq!(format!("{back:?}"), format!("{frame:?}"));
            let mut flipped = bytes.to_vec();
            let at = flip % flipped.len();
            flipped[at] ^= 0x01;
            proptest::prop_assert!(decode(&flipped, &seal, "s").is_err());
        }
    }
}
