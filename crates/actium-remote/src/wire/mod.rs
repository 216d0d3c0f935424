//! The wire format: length-prefixed frames of postcard-encoded messages.
//!
//! Every frame is a 4-byte big-endian length followed by that many bytes
//! (tokio-util's `LengthDelimitedCodec` with its defaults reads them during
//! the handshake, the connection's reader after it); the
//! bytes are one postcard-encoded [`Handshake`] message while a connection
//! is being set up, then one [`Frame`] each. Frames borrow their strings and
//! payloads from the read buffer, so decoding copies nothing.
//!
//! Why postcard rather than bincode: on Actium's frames postcard is as fast
//! to encode and decode (both are a few tens of nanoseconds per frame) and
//! smaller (varints: a tell to a small id with a `u64` argument is ~20
//! bytes), its wire format is specified and stable across 1.x, and bincode
//! is no longer maintained. `docs/ARCHITECTURE.md` has the measurement.
//!
//! A versioned handshake opens every connection: a peer speaking another
//! version is refused with a reason it can log.
//!
//! Calls without a trace context, nearly every frame under load, and
//! replies carrying a value are written and read by hand (`call`), in
//! exactly the bytes postcard gives and takes for them.

pub(crate) mod call;

use std::borrow::Cow;

use actium_core::transport::{self, RemoteSignal, Response, TraceContext};
use actium_core::{ActorId, ActorLabel, NodeId};
use bytes::{BufMut, BytesMut};
use serde::{Deserialize, Serialize};

/// What every handshake starts with, so that a stray client is told off
/// rather than misread.
pub(crate) const MAGIC: [u8; 6] = *b"actium";

/// The protocol version this build speaks.
pub(crate) const VERSION: u16 = 1;

/// Bytes of the length prefix.
pub(crate) const PREFIX: usize = 4;

/// The default largest frame: 16 MiB.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// The largest frame read before a connection is authenticated. Handshake
/// messages are a few hundred bytes; a stranger must not make a node
/// reserve (or wait for) a maximum-size frame.
pub(crate) const MAX_HANDSHAKE_FRAME: usize = 64 * 1024;

/// Setting up a connection; see `auth` for the proofs.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Handshake<'a> {
    /// Connector → listener: who I am, and a challenge.
    Hello {
        magic: [u8; 6],
        version: u16,
        node: NodeId,
        #[serde(borrow)]
        name: Cow<'a, str>,
        /// Where the connector's own node listens.
        #[serde(borrow)]
        address: Cow<'a, str>,
        nonce: [u8; 32],
    },
    /// Listener → connector: who I am, my challenge, and proof that I know
    /// the cookie.
    Welcome {
        version: u16,
        node: NodeId,
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(borrow)]
        address: Cow<'a, str>,
        nonce: [u8; 32],
        proof: [u8; 32],
    },
    /// Connector → listener: proof that I know the cookie.
    Proof { proof: [u8; 32] },
    /// Listener → connector: the connection is open.
    Ready,
    /// Either way: the connection is refused, and why.
    Refused {
        #[serde(borrow)]
        reason: Cow<'a, str>,
    },
}

/// One message on an open connection.
// Public only through the hidden `protocol` module (for actium-nats): the
// variants say what each frame is; their fields are named for what they carry.
#[allow(missing_docs)]
#[derive(Debug, Serialize, Deserialize)]
pub enum Frame<'a> {
    /// A one-way call.
    Tell {
        to: ActorId,
        #[serde(borrow)]
        method: &'a str,
        #[serde(borrow, serialize_with = "transport::as_bytes")]
        payload: &'a [u8],
        /// The sender's message id while it records (one byte when not).
        trace: Option<TraceContext>,
    },
    /// A request-reply; the answer comes back as `Reply` with the same id.
    Ask {
        id: u64,
        to: ActorId,
        #[serde(borrow)]
        method: &'a str,
        #[serde(borrow, serialize_with = "transport::as_bytes")]
        payload: &'a [u8],
        trace: Option<TraceContext>,
    },
    /// The answer to an `Ask`.
    Reply {
        id: u64,
        #[serde(borrow)]
        response: Response<'a>,
    },
    /// A link, monitor or exit signal.
    Signal(RemoteSignal),
    /// A request to the node itself.
    Request {
        id: u64,
        #[serde(borrow)]
        request: Request<'a>,
    },
    /// The answer to a `Request`.
    Answer { id: u64, answer: NodeAnswer },
    /// Keeps an idle connection known to be alive.
    Ping,
    /// The answer to a `Ping`.
    Pong,
    /// The sender is closing the connection on purpose (it shuts down, or
    /// the other side broke the protocol).
    Bye {
        #[serde(borrow)]
        reason: Cow<'a, str>,
    },
}

/// What one node asks another about itself.
// Public only through the hidden `protocol` module (for actium-nats): the
// variants say what each frame is; their fields are named for what they carry.
#[allow(missing_docs)]
#[derive(Debug, Serialize, Deserialize)]
pub enum Request<'a> {
    /// The actor registered under a name.
    Lookup {
        #[serde(borrow)]
        name: &'a str,
    },
    /// Spawn an actor of a type the node allows, from its encoded state.
    Spawn {
        #[serde(borrow)]
        type_name: &'a str,
        #[serde(borrow, serialize_with = "transport::as_bytes")]
        state: &'a [u8],
    },
    /// The node's name, actors and registered names.
    Describe,
    /// The node's actors with their counters and relations, its names
    /// and its traffic: a [`SystemSnapshot`](actium_core::observe::SystemSnapshot).
    Snapshot,
    /// The last `last` events of the node's flight recorder that involve
    /// one of `actors` (all if empty), oldest first.
    Recent { actors: Vec<ActorId>, last: u32 },
}

/// A node's answer to a [`Request`].
// Public only through the hidden `protocol` module (for actium-nats): the
// variants say what each frame is; their fields are named for what they carry.
#[allow(missing_docs)]
#[derive(Debug, Serialize, Deserialize)]
pub enum NodeAnswer {
    /// The actor asked for.
    Found(ActorLabel),
    /// No actor has that name.
    NotRegistered,
    /// The spawned actor.
    Spawned(ActorLabel),
    /// The node does not allow spawning that type.
    NotSpawnable,
    /// Spawning failed, and why.
    SpawnFailed(String),
    /// The node's description.
    Description(NodeInfo),
    /// The node's snapshot (boxed: far larger than the other answers).
    Snapshot(Box<actium_core::observe::SystemSnapshot>),
    /// The events asked for by `Recent`, or why there are none.
    Recent(Result<Vec<actium_core::observe::RecentEvent>, actium_core::observe::RecentError>),
}

/// What a node says about itself: from [`Node::describe`](crate::Node::describe).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node's name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// Its running actors.
    pub actors: Vec<ActorLabel>,
    /// Its registered names, with the actor holding each.
    pub names: Vec<(String, ActorLabel)>,
}

/// Why a frame could not be written.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// Larger than the connection's maximum frame.
    TooLarge(usize),
    /// The serializer failed.
    Encode(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::TooLarge(size) => write!(
                f,
                "the message is {size} bytes encoded, more than the largest frame allowed"
            ),
            WriteError::Encode(message) => f.write_str(message),
        }
    }
}

/// Appends `message` to `out` as one frame: length, then postcard bytes.
/// On error `out` is left as it was.
pub(crate) fn write_frame<T: Serialize>(
    out: &mut BytesMut,
    message: &T,
    max_frame: usize,
) -> Result<(), WriteError> {
    let start = out.len();
    out.put_u32(0);
    if let Err(error) = transport::encode(message, out) {
        out.truncate(start);
        return Err(WriteError::Encode(error));
    }
    let length = out.len() - start - PREFIX;
    let prefix = length_prefix(length, max_frame).inspect_err(|_| out.truncate(start))?;
    out[start..start + PREFIX].copy_from_slice(&prefix.to_be_bytes());
    Ok(())
}

/// The length prefix of a frame of `length` bytes, if a frame may be that
/// long: at most `max_frame` bytes, and what the prefix's 32 bits hold.
fn length_prefix(length: usize, max_frame: usize) -> Result<u32, WriteError> {
    match u32::try_from(length) {
        Ok(prefix) if length <= max_frame => Ok(prefix),
        _ => Err(WriteError::TooLarge(length)),
    }
}

/// Appends `frame` to `out` as [`write_frame`] does, calls without a
/// trace context and replies carrying a value written by hand in the
/// same bytes (`call`). A peer's
/// own calls do not come here: it writes them from their parts
/// (`call::write_parts`), with no frame built.
#[inline]
pub(crate) fn write_message(
    out: &mut BytesMut,
    frame: &Frame<'_>,
    max_frame: usize,
) -> Result<(), WriteError> {
    match call::write(out, frame, max_frame) {
        Some(written) => written,
        None => write_frame(out, frame, max_frame),
    }
}

impl Frame<'_> {
    /// Whether this frame is a call to `kept`, the actor a receiver's
    /// `transport::Recipients` keeps: the call joins the calls staged
    /// for it. Before any other frame the receiver queues them.
    pub fn joins_run_to(&self, kept: &transport::Recipients) -> bool {
        match self {
            Frame::Tell { to, .. } | Frame::Ask { to, .. } => kept.keeps(*to),
            _ => false,
        }
    }
}

/// The reason in a `Bye` that closes a connection for being idle: the
/// node that receives it is not down, and connects again when next used.
pub(crate) const IDLE: &str = "idle";

/// How many characters of text a peer chose (a refusal's or a goodbye's
/// reason, a described frame) are kept.
pub const MAX_PEER_TEXT: usize = 200;

/// Text a peer chose, made safe to log and to copy into the error of
/// every call the connection fails: control characters escaped (a newline
/// cannot forge a log line), at most `MAX_PEER_TEXT` characters (a
/// megabyte of reason is not copied into each of a thousand errors).
pub fn from_peer(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_PEER_TEXT + 3));
    for (count, c) in text.chars().enumerate() {
        if count == MAX_PEER_TEXT {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes one frame's bytes (without the length prefix) as `T`; trailing
/// bytes are an error. Decoding keeps to the core's bounds on declared
/// lengths and decoded size (`transport::take_from`): a frame's lists (a
/// node's description, say) are bounded as calls' arguments are.
pub(crate) fn read<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, String> {
    match actium_core::transport::take_from::<T>(bytes)? {
        (message, []) => Ok(message),
        (_, rest) => Err(format!("{} unexpected bytes after the message", rest.len())),
    }
}

/// Decodes one frame's bytes, as `read` does. Calls, replies and
/// heartbeats (variants 0, 1, 2, 6 and 7) hold no sequence of declared
/// length, only integers, strings and byte arrays that postcard checks
/// against the bytes left, so they decode at most into the frame's size
/// with bare postcard: the bounded decoding, which costs a remote tell
/// about twice its decoding time, is kept for the frames with lists
/// (signals, requests and answers, goodbyes). Calls without a trace
/// context and replies carrying a value are read by hand first (`call`),
/// in exactly postcard's way.
#[inline]
pub fn read_frame(bytes: &[u8]) -> Result<Frame<'_>, String> {
    // Inlined where it is used (the NATS transport's reader), so that a
    // call's frame is not returned through memory twice. The TCP reader
    // reads calls into their parts instead (`call::read_parts`), and
    // replies too (`call::read_reply`).
    match call::read(bytes) {
        Some(call) => Ok(call),
        None => read_other(bytes),
    }
}

/// [`read_frame`] for frames other than calls without a trace context and
/// replies carrying a value (which it reads as `read_frame` does, only
/// slower).
#[inline(never)]
pub(crate) fn read_other(bytes: &[u8]) -> Result<Frame<'_>, String> {
    match bytes.first() {
        Some(0 | 1 | 2 | 6 | 7) => match postcard::take_from_bytes::<Frame<'_>>(bytes) {
            Ok((frame, [])) => Ok(frame),
            Ok((_, rest)) => Err(format!("{} unexpected bytes after the message", rest.len())),
            Err(error) => Err(error.to_string()),
        },
        _ => read(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actium_core::ExitReason;
    use proptest::prelude::*;

    fn round_trip(frame: &Frame<'_>) -> String {
        let mut out = BytesMut::new();
        write_frame(&mut out, frame, DEFAULT_MAX_FRAME).unwrap();
        let length = u32::from_be_bytes(out[..4].try_into().unwrap()) as usize;
        assert_eq!(length, out.len() - 4);
        let back: Frame<'_> = read(&out[4..]).unwrap();
        format!("{back:?}")
    }

    #[test]
    fn frames_round_trip() {
        let id = ActorId::new(NodeId::from_u64(9), 3);
        let frames = [
            Frame::Tell {
                to: id,
                method: "incr",
                payload: &[1, 2, 3],
                trace: None,
            },
            Frame::Ask {
                id: 7,
                to: id,
                method: "get",
                payload: &[],
                trace: None,
            },
            Frame::Reply {
                id: 7,
                response: Response::Value(&[5]),
            },
            Frame::Signal(RemoteSignal::Exit {
                from: ActorLabel::new(id, "Counter"),
                to: id,
                reason: ExitReason::Panicked("boom".into()),
                linked: true,
            }),
            Frame::Ping,
        ];
        for frame in &frames {
            assert_eq!(round_trip(frame), format!("{frame:?}"));
        }
    }

    #[test]
    fn a_frame_over_the_limit_is_refused_and_leaves_the_buffer_alone() {
        let mut out = BytesMut::new();
        out.extend_from_slice(b"xy");
        let payload = vec![0_u8; 100];
        let frame = Frame::Tell {
            to: ActorId::new(NodeId::from_u64(1), 1),
            method: "m",
            payload: &payload,
            trace: None,
        };
        assert!(matches!(
            write_frame(&mut out, &frame, 64),
            Err(WriteError::TooLarge(_))
        ));
        assert_eq!(&out[..], b"xy");
    }

    #[test]
    fn a_small_tell_is_small() {
        let mut out = BytesMut::new();
        let frame = Frame::Tell {
            to: ActorId::new(NodeId::from_u64(u64::MAX), 12),
            method: "incr",
            payload: &[1],
            trace: None,
        };
        write_frame(&mut out, &frame, DEFAULT_MAX_FRAME).unwrap();
        assert!(out.len() <= 24, "{} bytes", out.len());
    }

    #[test]
    fn text_from_a_peer_is_escaped_and_bounded() {
        assert_eq!(from_peer("going away"), "going away");
        assert_eq!(from_peer("a\nFORGED"), "a\\nFORGED");
        let long = "é".repeat(10_000);
        let kept = from_peer(&long);
        assert_eq!(kept.chars().count(), MAX_PEER_TEXT + 3);
        assert!(kept.ends_with("..."));
    }

    proptest! {
        /// Whatever bytes arrive, decoding returns an error or a frame; it
        /// never panics.
        #[test]
        fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = read::<Frame<'_>>(&bytes);
            let _ = read_frame(&bytes);
            let _ = read::<Handshake<'_>>(&bytes);
        }

        /// Tells round-trip whatever their method and payload.
        #[test]
        fn tells_round_trip(method in "[a-z_]{1,20}", payload in proptest::collection::vec(any::<u8>(), 0..64), local in any::<u64>()) {
            let frame = Frame::Tell { to: ActorId::new(NodeId::from_u64(1), local), method: &method, payload: &payload, trace: None };
            prop_assert_eq!(round_trip(&frame), format!("{frame:?}"));
        }

        /// Payloads written as bytes (`transport::as_bytes`) are the bytes
        /// serde's sequence of `u8` gave: nodes of either build understand
        /// each other.
        #[test]
        fn payloads_as_bytes_keep_the_wire(payload in proptest::collection::vec(any::<u8>(), 0..300), local in any::<u64>(), id in any::<u64>()) {
            #[derive(Serialize)]
            enum Sequence<'a> {
                Tell { to: ActorId, method: &'a str, payload: &'a [u8], trace: Option<TraceContext> },
                Ask { id: u64, to: ActorId, method: &'a str, payload: &'a [u8], trace: Option<TraceContext> },
                Reply { id: u64, response: Value<'a> },
            }
            #[derive(Serialize)]
            enum Value<'a> {
                Value(&'a [u8]),
            }
            let to = ActorId::new(NodeId::from_u64(7), local);
            let encoded = |frame: &dyn erased::Written| {
                let mut out = BytesMut::new();
                frame.write(&mut out);
                out
            };
            prop_assert_eq!(
                encoded(&Frame::Tell { to, method: "m", payload: &payload, trace: None }),
                encoded(&Sequence::Tell { to, method: "m", payload: &payload, trace: None })
            );
            prop_assert_eq!(
                encoded(&Frame::Ask { id, to, method: "m", payload: &payload, trace: None }),
                encoded(&Sequence::Ask { id, to, method: "m", payload: &payload, trace: None })
            );
            prop_assert_eq!(
                encoded(&Frame::Reply { id, response: Response::Value(&payload) }),
                encoded(&Sequence::Reply { id, response: Value::Value(&payload) })
            );
        }
    }

    /// Frames of either shape, written as the connection writes them.
    mod erased {
        use super::*;

        pub(super) trait Written {
            fn write(&self, out: &mut BytesMut);
        }

        impl<T: Serialize> Written for T {
            fn write(&self, out: &mut BytesMut) {
                write_frame(out, self, DEFAULT_MAX_FRAME).unwrap();
            }
        }
    }
}
