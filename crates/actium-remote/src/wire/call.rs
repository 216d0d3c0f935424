//! Calls without a trace context, nearly every frame under load, and the
//! replies that carry a value, written and read by hand in exactly the
//! bytes postcard gives and takes for them: the tests below compare the two on random frames and on random
//! bytes. Through serde, postcard costs a remote tell's sender a `memmove`
//! call per varint and its reader a visitor call per field; by hand both
//! are a few instructions per byte (`docs/BENCHMARKS.md`). Every other
//! frame, and any call this module does not read exactly as postcard
//! would, goes through postcard, which also names what is wrong.

use actium_core::transport::{Response, TraceContext};
use actium_core::{ActorId, NodeId};
use bytes::{BufMut, BytesMut};

use super::{Frame, PREFIX, WriteError, length_prefix};

/// Postcard's variant index of `Frame::Tell`, as a one-byte varint.
const TELL: u8 = 0;
/// Postcard's variant index of `Frame::Ask`.
const ASK: u8 = 1;
/// Postcard's variant index of `Frame::Reply`.
const REPLY: u8 = 2;
/// Postcard's variant index of `Response::Value`.
const VALUE: u8 = 0;
/// Postcard's `None`: the call carries no trace context.
const NONE: u8 = 0;
/// The most bytes a `u64` takes as a varint.
const VARINT_MAX: usize = 10;

/// Appends `frame` with its length prefix, if it is a call without a trace
/// context or a reply carrying a value; `None`, with nothing appended, for
/// any other frame. Inlined, so that its three-word result is not returned
/// through memory.
#[inline(always)]
pub(super) fn write(
    out: &mut BytesMut,
    frame: &Frame<'_>,
    max_frame: usize,
) -> Option<Result<(), WriteError>> {
    let (id, to, method, payload) = match *frame {
        Frame::Reply {
            id,
            response: Response::Value(value),
        } => return Some(write_reply(out, id, value, max_frame)),
        Frame::Tell {
            to,
            method,
            payload,
            trace: None,
        } => (None, to, method, payload),
        Frame::Ask {
            id,
            to,
            method,
            payload,
            trace: None,
        } => (Some(id), to, method, payload),
        _ => return None,
    };
    Some(write_parts(out, id, to, method, payload, max_frame))
}

/// Appends, with its length prefix, the frame of a call without a trace
/// context: a request-reply's if it has an `id`, else a one-way call's.
/// What a peer's sender calls directly, without building a [`Frame`].
#[inline]
pub(crate) fn write_parts(
    out: &mut BytesMut,
    id: Option<u64>,
    to: ActorId,
    method: &str,
    payload: &[u8],
    max_frame: usize,
) -> Result<(), WriteError> {
    // Tag, ask id, node, local id and the method's length.
    let mut head = [0; 1 + 4 * VARINT_MAX];
    let mut used = 1;
    head[0] = match id {
        None => TELL,
        Some(id) => {
            used += put_varint(id, &mut head[used..]);
            ASK
        }
    };
    used += put_varint(to.node().as_u64(), &mut head[used..]);
    used += put_varint(to.local(), &mut head[used..]);
    used += put_varint(method.len() as u64, &mut head[used..]);
    let mut payload_length = [0; VARINT_MAX];
    let payload_used = put_varint(payload.len() as u64, &mut payload_length);
    let length = used + method.len() + payload_used + payload.len() + 1;
    let prefix = length_prefix(length, max_frame)?;
    out.reserve(PREFIX + length);
    out.put_u32(prefix);
    out.put_slice(&head[..used]);
    out.put_slice(method.as_bytes());
    out.put_slice(&payload_length[..payload_used]);
    out.put_slice(payload);
    out.put_u8(NONE);
    Ok(())
}

/// Appends, with its length prefix, the frame of the reply `id` carrying
/// `value`: the method's answer, nearly every reply.
fn write_reply(
    out: &mut BytesMut,
    id: u64,
    value: &[u8],
    max_frame: usize,
) -> Result<(), WriteError> {
    // Tag, id, the response's variant and the value's length.
    let mut head = [0; 2 + 2 * VARINT_MAX];
    head[0] = REPLY;
    let mut used = 1;
    used += put_varint(id, &mut head[used..]);
    head[used] = VALUE;
    used += 1;
    used += put_varint(value.len() as u64, &mut head[used..]);
    let length = used + value.len();
    let prefix = length_prefix(length, max_frame)?;
    out.reserve(PREFIX + length);
    out.put_u32(prefix);
    out.put_slice(&head[..used]);
    out.put_slice(value);
    Ok(())
}

/// Reads a frame's bytes (without the length prefix) if they are a call
/// without a trace context or a reply carrying a value that postcard
/// reads as the same frame; `None` for anything else, malformed bytes
/// included.
#[inline(always)]
pub(super) fn read(bytes: &[u8]) -> Option<Frame<'_>> {
    if let Some(call) = read_parts(bytes) {
        return Some(call.into_frame(None));
    }
    let (id, value) = read_reply(bytes)?;
    Some(Frame::Reply {
        id,
        response: Response::Value(value),
    })
}

/// Reads a frame's bytes if they are a reply carrying a value that
/// postcard reads as the same frame: its id and the value's bytes.
#[inline]
pub(crate) fn read_reply(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (&tag, mut rest) = bytes.split_first()?;
    if tag != REPLY {
        return None;
    }
    let id = take_varint(&mut rest)?;
    let (&variant, mut rest) = rest.split_first()?;
    if variant != VALUE {
        return None;
    }
    let value = take_bytes(&mut rest)?;
    rest.is_empty().then_some((id, value))
}

/// A call without a trace context, as [`read_parts`] reads it: a
/// request-reply's if it has an `id`, else a one-way call's.
pub(crate) struct Parts<'a> {
    pub(crate) id: Option<u64>,
    pub(crate) to: ActorId,
    pub(crate) method: &'a str,
    pub(crate) payload: &'a [u8],
}

impl<'a> Parts<'a> {
    /// The call's frame, with `trace` as its trace context.
    pub(crate) fn into_frame(self, trace: Option<TraceContext>) -> Frame<'a> {
        let Parts {
            id,
            to,
            method,
            payload,
        } = self;
        match id {
            None => Frame::Tell {
                to,
                method,
                payload,
                trace,
            },
            Some(id) => Frame::Ask {
                id,
                to,
                method,
                payload,
                trace,
            },
        }
    }
}

/// [`read`], giving the call's parts rather than a [`Frame`]: for the
/// reader, which acts on them without building a frame on the stack.
#[inline(always)]
pub(crate) fn read_parts(bytes: &[u8]) -> Option<Parts<'_>> {
    let (&tag, mut rest) = bytes.split_first()?;
    let id = match tag {
        TELL => None,
        ASK => Some(take_varint(&mut rest)?),
        _ => return None,
    };
    let node = take_varint(&mut rest)?;
    let local = take_varint(&mut rest)?;
    let method = std::str::from_utf8(take_bytes(&mut rest)?).ok()?;
    let payload = take_bytes(&mut rest)?;
    if rest != [NONE] {
        return None;
    }
    Some(Parts {
        id,
        to: ActorId::new(NodeId::from_u64(node), local),
        method,
        payload,
    })
}

/// Writes `value` as a varint at the start of `out` (room for
/// [`VARINT_MAX`] bytes); returns how many bytes it took.
fn put_varint(mut value: u64, out: &mut [u8]) -> usize {
    let mut used = 0;
    while value >= 0x80 {
        out[used] = value as u8 | 0x80;
        value >>= 7;
        used += 1;
    }
    out[used] = value as u8;
    used + 1
}

/// Takes a `u64` varint off the front of `rest`, as postcard does.
fn take_varint(rest: &mut &[u8]) -> Option<u64> {
    take_varint_of(rest, u64::BITS)
}

/// Takes a varint of an integer of `bits` bits off the front of `rest`,
/// as postcard does: at most as many bytes as `bits` needs at seven a
/// byte, the last of which may not carry bits beyond `bits`. (Lengths are
/// `usize`s, of 32 bits on some targets.)
fn take_varint_of(rest: &mut &[u8], bits: u32) -> Option<u64> {
    let most = bits.div_ceil(7) as usize;
    let last_most = (1_u8 << (bits % 7)) - 1;
    let mut value = 0;
    for index in 0..most {
        let (&byte, tail) = rest.split_first()?;
        *rest = tail;
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return (index < most - 1 || byte <= last_most).then_some(value);
        }
    }
    None
}

/// Takes a length-prefixed run of bytes off the front of `rest`.
fn take_bytes<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(take_varint_of(rest, usize::BITS)?).ok()?;
    if length > rest.len() {
        return None;
    }
    let (taken, tail) = rest.split_at(length);
    *rest = tail;
    Some(taken)
}

#[cfg(test)]
mod tests {
    use actium_core::transport::TraceContext;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::*;
    use crate::wire::{DEFAULT_MAX_FRAME, write_frame};

    fn by_postcard(frame: &Frame<'_>, max_frame: usize) -> (BytesMut, Option<String>) {
        let mut out = BytesMut::new();
        let result = write_frame(&mut out, frame, max_frame);
        (out, result.err().map(|error| error.to_string()))
    }

    fn by_hand(frame: &Frame<'_>, max_frame: usize) -> Option<(BytesMut, Option<String>)> {
        let mut out = BytesMut::new();
        let result = write(&mut out, frame, max_frame)?;
        Some((out, result.err().map(|error| error.to_string())))
    }

    fn postcard_reads(bytes: &[u8]) -> Option<String> {
        match postcard::take_from_bytes::<Frame<'_>>(bytes) {
            Ok((frame, [])) => Some(format!("{frame:?}")),
            _ => None,
        }
    }

    /// `frame`, written by hand, is postcard's bytes, and the hand-written
    /// reader reads them back as postcard does: as `frame` itself.
    fn round_trips_as_postcard(frame: &Frame<'_>) -> Result<(), TestCaseError> {
        let (hand, error) = by_hand(frame, DEFAULT_MAX_FRAME).expect("a frame written by hand");
        prop_assert_eq!(error, None);
        prop_assert_eq!(&hand, &by_postcard(frame, DEFAULT_MAX_FRAME).0);
        let body = &hand[PREFIX..];
        let read = read(body).expect("the hand-written reader reads its own bytes");
        prop_assert_eq!(Some(format!("{read:?}")), postcard_reads(body));
        prop_assert_eq!(format!("{read:?}"), format!("{frame:?}"));
        Ok(())
    }

    /// A varint written with `extra` needless continuation bytes (`0x80`),
    /// which postcard reads as the same number.
    fn padded_varint(value: u64, extra: usize) -> Vec<u8> {
        let mut out = [0; VARINT_MAX];
        let used = put_varint(value, &mut out);
        let mut bytes = out[..used].to_vec();
        if extra > 0 {
            *bytes.last_mut().unwrap() |= 0x80;
            bytes.extend(std::iter::repeat_n(0x80, extra - 1));
            bytes.push(0);
        }
        bytes
    }

    proptest! {
        /// The hand-written bytes are postcard's, and postcard reads them
        /// back as the frame the hand-written reader reads.
        #[test]
        fn calls_are_written_and_read_as_postcard_does(
            ask in proptest::option::of(any::<u64>()),
            node in any::<u64>(),
            local in any::<u64>(),
            method in "\\PC{0,40}",
            payload in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let to = ActorId::new(NodeId::from_u64(node), local);
            let frame = match ask {
                None => Frame::Tell { to, method: &method, payload: &payload, trace: None },
                Some(id) => Frame::Ask { id, to, method: &method, payload: &payload, trace: None },
            };
            round_trips_as_postcard(&frame)?;
        }

        /// On any bytes at all, the hand-written reader reads a frame only
        /// where postcard reads the same frame (the rest it leaves to
        /// postcard), and never panics.
        #[test]
        fn any_bytes_are_read_as_postcard_reads_them_or_left_to_it(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            if let Some(frame) = read(&bytes) {
                prop_assert_eq!(Some(format!("{frame:?}")), postcard_reads(&bytes));
            }
        }

        /// Calls with needless varint bytes (in any of the ask id, the
        /// ids and the lengths), cut short or with bytes after them: read
        /// as postcard reads them, or left to it.
        #[test]
        fn altered_calls_are_read_as_postcard_reads_them_or_left_to_it(
            ask in proptest::option::of(0..300_u64),
            node in any::<u64>(),
            local in 0..300_u64,
            padding in proptest::array::uniform5(0..12_usize),
            cut in 0..40_usize,
            after in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            let mut bytes = vec![if ask.is_some() { ASK } else { TELL }];
            if let Some(id) = ask {
                bytes.extend(padded_varint(id, padding[0]));
            }
            bytes.extend(padded_varint(node, padding[1]));
            bytes.extend(padded_varint(local, padding[2]));
            bytes.extend(padded_varint(3, padding[3]));
            bytes.extend(b"get");
            bytes.extend(padded_varint(2, padding[4]));
            bytes.extend([7, 9, NONE]);
            bytes.truncate(bytes.len().saturating_sub(cut));
            bytes.extend(after);
            if let Some(frame) = read(&bytes) {
                prop_assert_eq!(Some(format!("{frame:?}")), postcard_reads(&bytes));
            }
        }
    }

    proptest! {
        /// A reply carrying a value: the hand-written bytes are postcard's,
        /// and postcard reads them back as the frame the hand-written
        /// reader reads.
        #[test]
        fn replies_are_written_and_read_as_postcard_does(
            id in any::<u64>(),
            value in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let frame = Frame::Reply { id, response: Response::Value(&value) };
            round_trips_as_postcard(&frame)?;
        }

        /// Replies with needless varint bytes, another response's variant,
        /// cut short or with bytes after them, and any bytes after a
        /// reply's tag: read as postcard reads them, or left to it.
        #[test]
        fn altered_replies_are_read_as_postcard_reads_them_or_left_to_it(
            id in 0..300_u64,
            padding in proptest::array::uniform2(0..12_usize),
            variant in prop_oneof![Just(VALUE), Just(2_u8), Just(0x80), any::<u8>()],
            cut in 0..20_usize,
            after in proptest::collection::vec(any::<u8>(), 0..3),
            noise in proptest::collection::vec(any::<u8>(), 0..24),
        ) {
            let mut bytes = vec![REPLY];
            bytes.extend(padded_varint(id, padding[0]));
            bytes.push(variant);
            bytes.extend(padded_varint(2, padding[1]));
            bytes.extend([7, 9]);
            bytes.truncate(bytes.len().saturating_sub(cut));
            bytes.extend(after);
            if let Some(frame) = read(&bytes) {
                prop_assert_eq!(Some(format!("{frame:?}")), postcard_reads(&bytes));
            }
            let mut noisy = vec![REPLY];
            noisy.extend(noise);
            if let Some(frame) = read(&noisy) {
                prop_assert_eq!(Some(format!("{frame:?}")), postcard_reads(&noisy));
            }
        }
    }

    proptest! {
        /// Varints of 64 and of 32 bits (a length on a 32-bit target) are
        /// taken as postcard takes a `u64` and a `u32`: the same value,
        /// the same bytes consumed, the same refusals.
        #[test]
        fn varints_are_taken_as_postcard_takes_them(
            bytes in proptest::collection::vec(
                prop_oneof![Just(0x80_u8), Just(0xff), Just(0x00), Just(0x01), Just(0x0f), Just(0x10), any::<u8>()],
                0..12,
            ),
        ) {
            let mut rest = &bytes[..];
            let taken = take_varint_of(&mut rest, 64).map(|value| (value, rest.len()));
            let postcard = postcard::take_from_bytes::<u64>(&bytes).ok().map(|(value, rest)| (value, rest.len()));
            prop_assert_eq!(taken, postcard);
            let mut rest = &bytes[..];
            let taken = take_varint_of(&mut rest, 32).map(|value| (value, rest.len()));
            let postcard = postcard::take_from_bytes::<u32>(&bytes).ok().map(|(value, rest)| (u64::from(value), rest.len()));
            prop_assert_eq!(taken, postcard);
        }
    }

    #[test]
    fn a_varint_of_ten_bytes_carries_at_most_64_bits() {
        let mut most = vec![TELL];
        most.extend([0xff; 9]);
        most.push(0x01);
        most.extend([0, 0, 0, NONE]);
        let frame = read(&most).expect("u64::MAX is a node id");
        assert!(matches!(frame, Frame::Tell { to, .. } if to.node() == NodeId::from_u64(u64::MAX)));
        assert_eq!(postcard_reads(&most), Some(format!("{frame:?}")));

        let mut over = most.clone();
        over[10] = 0x02;
        assert!(read(&over).is_none());
        assert_eq!(postcard_reads(&over), None);
    }

    #[test]
    fn other_frames_and_traced_calls_are_left_to_postcard() {
        let to = ActorId::new(NodeId::from_u64(9), 3);
        let traced = Frame::Tell {
            to,
            method: "m",
            payload: &[1],
            trace: Some(TraceContext {
                message: actium_core::observe::MessageId::next(),
                from: None,
            }),
        };
        assert!(by_hand(&traced, DEFAULT_MAX_FRAME).is_none());
        assert!(by_hand(&Frame::Ping, DEFAULT_MAX_FRAME).is_none());
        let (bytes, _) = by_postcard(&traced, DEFAULT_MAX_FRAME);
        assert!(read(&bytes[PREFIX..]).is_none());
        let stopped = Frame::Reply {
            id: 1,
            response: Response::Stopped,
        };
        assert!(by_hand(&stopped, DEFAULT_MAX_FRAME).is_none());
        let (bytes, _) = by_postcard(&stopped, DEFAULT_MAX_FRAME);
        assert!(read(&bytes[PREFIX..]).is_none());
        assert!(read_reply(&bytes[PREFIX..]).is_none());
    }

    #[test]
    fn a_call_over_the_largest_frame_is_refused_as_postcard_refuses_it() {
        let to = ActorId::new(NodeId::from_u64(9), 3);
        let payload = [0; 100];
        let frame = Frame::Tell {
            to,
            method: "m",
            payload: &payload,
            trace: None,
        };
        let mut out = BytesMut::from(&b"kept"[..]);
        let refused = write(&mut out, &frame, 64).expect("a call");
        assert_eq!(
            refused.map_err(|error| error.to_string()),
            Err(by_postcard(&frame, 64).1.expect("postcard refuses it too"))
        );
        assert_eq!(&out[..], b"kept", "nothing appended");
    }
}
