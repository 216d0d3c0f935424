//! What one NATS message carries: a 10-byte header (a magic byte, the
//! protocol version, the sending node's id), then one frame of Actium's
//! node protocol, postcard-encoded exactly as over TCP
//! (`actium_remote::protocol::Frame`) but without the length prefix: a
//! NATS message is its own frame.

use actium_core::NodeId;
use actium_core::transport;
use actium_remote::protocol::{Frame, read_frame};
use bytes::{BufMut, Bytes, BytesMut};

/// The first byte of every message Actium publishes.
const MAGIC: u8 = 0xAC;

/// The protocol version this build speaks on NATS.
const VERSION: u8 = 1;

/// Bytes before the frame: magic, version, sender.
const HEADER: usize = 10;

/// Encodes `frame` from node `from` as one NATS message's payload.
///
/// # Errors
///
/// The reason, if the frame does not encode or is larger than `max`.
pub(crate) fn encode(from: NodeId, frame: &Frame<'_>, max: usize) -> Result<Bytes, String> {
    let mut out = BytesMut::with_capacity(64);
    out.put_u8(MAGIC);
    out.put_u8(VERSION);
    out.put_u64(from.as_u64());
    transport::encode(frame, &mut out)?;
    if out.len() > max {
        return Err(format!(
            "the message is {} bytes encoded, more than the largest frame allowed ({max})",
            out.len()
        ));
    }
    Ok(out.freeze())
}

/// Decodes one NATS message's payload: the sending node, and the frame.
///
/// # Errors
///
/// Why the bytes are not a frame this node can read.
pub(crate) fn decode(bytes: &[u8]) -> Result<(NodeId, Frame<'_>), String> {
    let Some((header, frame)) = bytes.split_at_checked(HEADER) else {
        return Err(format!("{} bytes, shorter than the header", bytes.len()));
    };
    if header[0] != MAGIC {
        return Err("not an Actium message (wrong first byte)".to_owned());
    }
    if header[1] != VERSION {
        return Err(format!(
            "protocol version {}, where this node speaks {VERSION}",
            header[1]
        ));
    }
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
        let bytes = encode(from, &frame, 1024).unwrap();
        let (sender, back) = decode(&bytes).unwrap();
        assert_eq!(sender, from);
        assert_eq!(format!("{back:?}"), format!("{frame:?}"));
        assert!(encode(from, &frame, 12).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"").is_err());
        assert!(decode(b"hello world, this is not a frame").is_err());
        let mut wrong_version = encode(NodeId::from_u64(1), &Frame::Ping, 64)
            .unwrap()
            .to_vec();
        wrong_version[1] = 99;
        assert!(decode(&wrong_version).unwrap_err().contains("version 99"));
        let mut truncated = encode(NodeId::from_u64(1), &Frame::Ping, 64)
            .unwrap()
            .to_vec();
        truncated.push(0xff);
        assert!(decode(&truncated).is_err());
    }
}
