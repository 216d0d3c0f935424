//! What one NATS message carries: a 10-byte header (a magic byte, the
//! protocol version, the sending node's id), a kind byte, and then by
//! kind:
//!
//! - `0` **one frame** of Actium's node protocol, postcard-encoded exactly
//!   as over TCP (`actium_remote::protocol::Frame`) but without the length
//!   prefix, outside any stream: heartbeats and goodbyes;
//! - `1` **a batch**: the sender's stream epoch (`u32`), the sequence
//!   number of its first frame (`u64`), a flags byte (bit 0: acknowledge
//!   this batch), then one or more frames, each with its 4-byte length
//!   prefix as over TCP;
//! - `2` **an acknowledgement**: epoch, and the last sequence number taken;
//! - `3` **a probe**: epoch, and the last sequence number sent;
//! - `4` **a reset**: the epoch of the receiver's stream that broke (or
//!   ended) at the sender of the reset, and the epoch that sender
//!   receives (a `u64` holding a `u32`), above which the next must be.
//!
//! Integers are big-endian. `flow` says what the streams are for.
//!
//! In a cluster with a secret ([`Seal`]), the version byte is 4 (3
//! without) and the message ends with a 32-byte HMAC-SHA256 tag, keyed by
//! the secret, over the subject the message is published to and
//! everything before the tag: a client without the secret can neither
//! make a message a node accepts nor move a node's message to another
//! subject.

use actium_core::NodeId;
use actium_core::transport;
use actium_remote::protocol::{Frame, read_frame};
use bytes::{BufMut, Bytes, BytesMut};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The first byte of every message Actium publishes.
const MAGIC: u8 = 0xAC;

/// The protocol version of messages without a tag.
const VERSION: u8 = 3;

/// The protocol version of messages authenticated by the cluster secret.
const SEALED: u8 = 4;

/// Bytes before the kind: magic, version, sender.
const HEADER: usize = 10;

/// The kinds of message.
const ONE_FRAME: u8 = 0;
const BATCH: u8 = 1;
const ACK: u8 = 2;
const PROBE: u8 = 3;
const RESET: u8 = 4;

/// The batch flag asking the receiver to acknowledge it.
const ASK_ACK: u8 = 1;

/// Bytes before a batch's first frame: header, kind, epoch, first
/// sequence number, flags.
pub(crate) const BATCH_HEADER: usize = HEADER + 1 + 4 + 8 + 1;

/// Bytes of a frame's length prefix in a batch.
const PREFIX: usize = 4;

/// Bytes of the tag that ends a sealed message.
pub(crate) const TAG: usize = 32;

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

    /// Whether messages carry a tag.
    pub(crate) fn is_sealed(&self) -> bool {
        self.key.is_some()
    }

    fn mac(key: &Hmac<Sha256>, subject: &str, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = key.clone();
        mac.update(&(subject.len() as u64).to_be_bytes());
        mac.update(subject.as_bytes());
        mac.update(message);
        mac
    }

    /// Appends the tag of `out` for `subject`, if sealed.
    fn append_tag(&self, out: &mut BytesMut, subject: &str) {
        if let Some(key) = &self.key {
            let tag = Seal::mac(key, subject, &out[..]).finalize().into_bytes();
            out.extend_from_slice(&tag);
        }
    }
}

fn header(out: &mut BytesMut, from: NodeId, sealed: bool, kind: u8) {
    out.put_u8(MAGIC);
    out.put_u8(if sealed { SEALED } else { VERSION });
    out.put_u64(from.as_u64());
    out.put_u8(kind);
}

/// Encodes `frame` from node `from`, for `subject`, as one NATS message's
/// payload outside any stream, tagged if `seal` holds a secret.
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
    header(&mut out, from, seal.is_sealed(), ONE_FRAME);
    transport::encode(frame, &mut out)?;
    seal.append_tag(&mut out, subject);
    if out.len() > max {
        return Err(format!(
            "the message is {} bytes encoded, more than the largest frame allowed ({max})",
            out.len()
        ));
    }
    Ok(out.freeze())
}

/// What a stream's receiver or sender says of it, besides frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Every frame up to `seq` of `epoch` was taken.
    Ack { epoch: u32, seq: u64 },
    /// Every frame up to `seq` of `epoch` was sent.
    Probe { epoch: u32, seq: u64 },
    /// The stream's `epoch` broke (or ended) at its receiver, which
    /// receives epoch `current`: the sender starts its next above both.
    Reset { epoch: u32, current: u32 },
}

/// Encodes `control` from node `from`, for `subject`.
pub(crate) fn encode_control(from: NodeId, control: Control, seal: &Seal, subject: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(HEADER + 13 + TAG);
    let (kind, epoch, seq) = match control {
        Control::Ack { epoch, seq } => (ACK, epoch, seq),
        Control::Probe { epoch, seq } => (PROBE, epoch, seq),
        Control::Reset { epoch, current } => (RESET, epoch, u64::from(current)),
    };
    header(&mut out, from, seal.is_sealed(), kind);
    out.put_u32(epoch);
    out.put_u64(seq);
    seal.append_tag(&mut out, subject);
    out.freeze()
}

/// Starts a batch of `epoch` at the end of `out`: its header, with the
/// first sequence number and the flags left for [`finish_batch`].
pub(crate) fn begin_batch(out: &mut BytesMut, from: NodeId, sealed: bool, epoch: u32) {
    header(out, from, sealed, BATCH);
    out.put_u32(epoch);
    out.put_u64(0);
    out.put_u8(0);
}

/// Appends `frame`, with its length prefix, to the batch at the end of
/// `out`.
///
/// # Errors
///
/// The reason, if it does not encode; `out` is then as it was.
pub(crate) fn append_frame(out: &mut BytesMut, frame: &Frame<'_>) -> Result<(), String> {
    let start = out.len();
    out.put_u32(0);
    if let Err(reason) = transport::encode(frame, out) {
        out.truncate(start);
        return Err(reason);
    }
    let length = out.len() - start - PREFIX;
    let Ok(prefix) = u32::try_from(length) else {
        out.truncate(start);
        return Err(format!("a frame of {length} bytes"));
    };
    out[start..start + PREFIX].copy_from_slice(&prefix.to_be_bytes());
    Ok(())
}

/// Completes a batch made by [`begin_batch`] and [`append_frame`] (and,
/// sealed, followed by [`TAG`] bytes of room): its first sequence number,
/// whether to acknowledge it, and the tag for `subject`.
pub(crate) fn finish_batch(
    batch: &mut BytesMut,
    first: u64,
    ask_ack: bool,
    seal: &Seal,
    subject: &str,
) {
    batch[HEADER + 5..HEADER + 13].copy_from_slice(&first.to_be_bytes());
    batch[HEADER + 13] = if ask_ack { ASK_ACK } else { 0 };
    if let Some(key) = &seal.key {
        let at = batch.len() - TAG;
        let tag = Seal::mac(key, subject, &batch[..at])
            .finalize()
            .into_bytes();
        batch[at..].copy_from_slice(&tag);
    }
}

/// One message, decoded.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    /// One frame outside any stream.
    Frame(Frame<'a>),
    /// Frames of the sender's stream to this node.
    Batch {
        epoch: u32,
        first: u64,
        ask_ack: bool,
        frames: Frames<'a>,
    },
    /// About a stream.
    Control(Control),
}

/// The frames of a batch, decoded one by one as they are delivered (their
/// lengths were checked with the batch).
#[derive(Debug, Clone)]
pub(crate) struct Frames<'a> {
    rest: &'a [u8],
    count: u64,
}

impl<'a> Frames<'a> {
    /// Checks the lengths of the frames in `bytes`.
    fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let mut count = 0;
        let mut rest = bytes;
        while !rest.is_empty() {
            let Some((prefix, after)) = rest.split_first_chunk::<PREFIX>() else {
                return Err("a batch ending inside a length prefix".to_owned());
            };
            let length = u32::from_be_bytes(*prefix) as usize;
            let Some(after) = after.get(length..) else {
                return Err(format!("a frame of {length} bytes past the batch's end"));
            };
            rest = after;
            count += 1;
        }
        if count == 0 {
            return Err("an empty batch".to_owned());
        }
        Ok(Frames { rest: bytes, count })
    }

    /// How many frames the batch holds.
    pub(crate) fn frame_count(&self) -> u64 {
        self.count
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let (prefix, after) = self.rest.split_first_chunk::<PREFIX>()?;
        let length = u32::from_be_bytes(*prefix) as usize;
        // Checked in `new`; an empty rest ends the iteration otherwise.
        let (frame, rest) = after.split_at_checked(length)?;
        self.rest = rest;
        Some(read_frame(frame).map_err(|error| format!("malformed frame: {error}")))
    }
}

/// Decodes one NATS message's payload, received on `subject`: the sending
/// node, and what it says.
///
/// # Errors
///
/// Why the bytes are not a message this node can read: not Actium's, of
/// another version, without a valid tag where `seal` holds a secret, with
/// a tag where it holds none, or malformed.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    seal: &Seal,
    subject: &str,
) -> Result<(NodeId, Message<'a>), String> {
    let Some((header, _)) = bytes.split_at_checked(HEADER) else {
        return Err(format!("{} bytes, shorter than the header", bytes.len()));
    };
    if header[0] != MAGIC {
        return Err("not an Actium message (wrong first byte)".to_owned());
    }
    let message = match (header[1], &seal.key) {
        (VERSION, None) => bytes,
        (SEALED, Some(key)) => {
            let Some(at) = bytes.len().checked_sub(TAG).filter(|&at| at >= HEADER) else {
                return Err("a sealed message too short for its tag".to_owned());
            };
            let (message, tag) = bytes.split_at(at);
            Seal::mac(key, subject, message)
                .verify_slice(tag)
                .map_err(|_| "not authenticated: the tag does not match the cluster secret")?;
            message
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
    let from = NodeId::from_u64(u64::from_be_bytes(id));
    Ok((from, body(&message[HEADER..])?))
}

fn body(bytes: &[u8]) -> Result<Message<'_>, String> {
    let Some((&kind, rest)) = bytes.split_first() else {
        return Err("a message with no kind".to_owned());
    };
    let epoch_and_seq = |rest: &[u8]| -> Result<(u32, u64, usize), String> {
        let (Some(epoch), Some(seq)) = (rest.get(..4), rest.get(4..12)) else {
            return Err("a message too short for its sequence numbers".to_owned());
        };
        let epoch = u32::from_be_bytes(epoch.try_into().map_err(|_| "epoch")?);
        let seq = u64::from_be_bytes(seq.try_into().map_err(|_| "sequence")?);
        if epoch == 0 {
            return Err("epoch 0".to_owned());
        }
        Ok((epoch, seq, 12))
    };
    match kind {
        ONE_FRAME => read_frame(rest)
            .map(Message::Frame)
            .map_err(|error| format!("malformed frame: {error}")),
        BATCH => {
            let (epoch, first, at) = epoch_and_seq(rest)?;
            let Some((&flags, frames)) = rest[at..].split_first() else {
                return Err("a batch too short for its flags".to_owned());
            };
            let frames = Frames::new(frames)?;
            if first == 0 || first.checked_add(frames.frame_count()).is_none() {
                return Err(format!("a batch numbered {first}"));
            }
            Ok(Message::Batch {
                epoch,
                first,
                ask_ack: flags & ASK_ACK != 0,
                frames,
            })
        }
        ACK | PROBE | RESET => {
            let (epoch, seq, at) = epoch_and_seq(rest)?;
            if rest.len() != at {
                return Err(format!("{} unexpected bytes", rest.len() - at));
            }
            Ok(Message::Control(match kind {
                ACK => Control::Ack { epoch, seq },
                PROBE => Control::Probe { epoch, seq },
                _ => Control::Reset {
                    epoch,
                    current: u32::try_from(seq)
                        .map_err(|_| format!("a reset naming epoch {seq}"))?,
                },
            }))
        }
        other => Err(format!("a message of unknown kind {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actium_core::ActorId;

    fn tell(payload: &[u8]) -> Frame<'_> {
        Frame::Tell {
            to: ActorId::new(NodeId::from_u64(9), 3),
            method: "incr",
            payload,
            trace: None,
        }
    }

    /// A batch of `frames` numbered from `first`, as a stream makes it.
    fn batch(frames: &[Frame<'_>], first: u64, seal: &Seal, subject: &str) -> BytesMut {
        let mut out = BytesMut::new();
        begin_batch(&mut out, NodeId::from_u64(7), seal.is_sealed(), 5);
        for frame in frames {
            append_frame(&mut out, frame).unwrap();
        }
        if seal.is_sealed() {
            out.resize(out.len() + TAG, 0);
        }
        finish_batch(&mut out, first, true, seal, subject);
        out
    }

    #[test]
    fn a_frame_round_trips_with_its_sender() {
        let from = NodeId::from_u64(7);
        let frame = tell(&[1, 2]);
        let none = Seal::default();
        let bytes = encode(from, &frame, 1024, &none, "s").unwrap();
        let (sender, back) = decode(&bytes, &none, "s").unwrap();
        assert_eq!(sender, from);
        let Message::Frame(back) = back else {
            panic!("not a frame")
        };
        assert_eq!(format!("{back:?}"), format!("{frame:?}"));
        assert!(encode(from, &frame, 12, &none, "s").is_err());
    }

    #[test]
    fn a_batch_round_trips_its_frames_in_order() {
        let payloads: Vec<[u8; 1]> = (0..5).map(|i| [i]).collect();
        let frames: Vec<Frame<'_>> = payloads.iter().map(|p| tell(&p[..])).collect();
        for seal in [Seal::default(), Seal::with_secret(b"k")] {
            let bytes = batch(&frames, 41, &seal, "s");
            let (sender, message) = decode(&bytes, &seal, "s").unwrap();
            assert_eq!(sender, NodeId::from_u64(7));
            let Message::Batch {
                epoch,
                first,
                ask_ack,
                frames: back,
            } = message
            else {
                panic!("not a batch")
            };
            assert_eq!(
                (epoch, first, ask_ack, back.frame_count()),
                (5, 41, true, 5)
            );
            let back: Vec<String> = back.map(|frame| format!("{:?}", frame.unwrap())).collect();
            let sent: Vec<String> = frames.iter().map(|frame| format!("{frame:?}")).collect();
            assert_eq!(back, sent);
        }
    }

    #[test]
    fn acknowledgements_and_probes_round_trip() {
        for seal in [Seal::default(), Seal::with_secret(b"k")] {
            for control in [
                Control::Ack { epoch: 3, seq: 9 },
                Control::Probe {
                    epoch: 1,
                    seq: u64::MAX,
                },
                Control::Reset {
                    epoch: 4,
                    current: u32::MAX,
                },
            ] {
                let bytes = encode_control(NodeId::from_u64(2), control, &seal, "s");
                let (_, back) = decode(&bytes, &seal, "s").unwrap();
                assert!(matches!(back, Message::Control(c) if c == control));
            }
        }
    }

    #[test]
    fn malformed_batches_are_errors() {
        let none = Seal::default();
        let good = batch(&[tell(&[1])], 1, &none, "s");
        // A frame's length past the end, a cut prefix, no frame, seq 0.
        let mut long = good.to_vec();
        long[BATCH_HEADER..BATCH_HEADER + 4].copy_from_slice(&100_u32.to_be_bytes());
        let mut cut = good.to_vec();
        cut.extend_from_slice(&[0, 0]);
        let empty = good[..BATCH_HEADER].to_vec();
        let mut zero = good.to_vec();
        zero[HEADER + 5..HEADER + 13].copy_from_slice(&0_u64.to_be_bytes());
        let mut epoch_zero = good.to_vec();
        epoch_zero[HEADER + 1..HEADER + 5].copy_from_slice(&0_u32.to_be_bytes());
        for bad in [long, cut, empty, zero, epoch_zero] {
            assert!(decode(&bad, &none, "s").is_err(), "{bad:?}");
        }
        // A frame that does not decode is an error of that frame only.
        let mut garbage = good[..BATCH_HEADER].to_vec();
        garbage.extend_from_slice(&[0, 0, 0, 2, 200, 1]);
        let (_, message) = decode(&garbage, &none, "s").unwrap();
        let Message::Batch { mut frames, .. } = message else {
            panic!()
        };
        assert!(frames.next().unwrap().is_err());
        assert!(frames.next().is_none());
    }

    #[test]
    fn a_sealed_frame_is_accepted_only_with_its_secret_and_subject() {
        let from = NodeId::from_u64(7);
        let frame = Frame::Ping;
        let seal = Seal::with_secret(b"cluster secret");
        let bytes = encode(from, &frame, 1024, &seal, "actium.c.alive").unwrap();
        assert_eq!(bytes.len(), HEADER + 1 + 1 + TAG);
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
        // The version before streams is refused, not misread.
        wrong_version[1] = 1;
        assert!(decode(&wrong_version, &none, "s").is_err());
        let mut truncated = encode(NodeId::from_u64(1), &Frame::Ping, 64, &none, "s")
            .unwrap()
            .to_vec();
        truncated.push(0xff);
        assert!(decode(&truncated, &none, "s").is_err());
        let mut unknown_kind = truncated.clone();
        unknown_kind[HEADER] = 9;
        assert!(decode(&unknown_kind, &none, "s").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes: Vec<u8>, sealed: bool) {
            let seal = if sealed { Seal::with_secret(b"k") } else { Seal::default() };
            if let Ok((_, Message::Batch { frames, .. })) = decode(&bytes, &seal, "actium.c.node.1") {
                for frame in frames {
                    let _ = frame;
                }
            }
            let _ = crate::names::decode(&bytes);
        }

        #[test]
        fn sealed_batches_round_trip_and_any_flipped_byte_is_refused(
            payloads: Vec<Vec<u8>>,
            first in 1u64..1 << 40,
            flip in 0usize..8192,
        ) {
            let seal = Seal::with_secret(b"secret");
            let mut frames: Vec<Frame<'_>> = payloads.iter().map(|p| tell(&p[..])).collect();
            if frames.is_empty() {
                frames.push(Frame::Ping);
            }
            let bytes = batch(&frames, first, &seal, "s");
            let (sender, back) = decode(&bytes, &seal, "s").unwrap();
            proptest::prop_assert_eq!(sender, NodeId::from_u64(7));
            let Message::Batch { first: back_first, frames: back, .. } = back else {
                panic!("not a batch")
            };
            proptest::prop_assert_eq!(back_first, first);
            let back: Vec<String> = back.map(|frame| format!("{:?}", frame.unwrap())).collect();
            let sent: Vec<String> = frames.iter().map(|frame| format!("{frame:?}")).collect();
            proptest::prop_assert_eq!(back, sent);
            let mut flipped = bytes.to_vec();
            let at = flip % flipped.len();
            flipped[at] ^= 0x01;
            proptest::prop_assert!(decode(&flipped, &seal, "s").is_err());
        }
    }
}
