//! The reader's buffer: where a frame ends, and how much room a read gets.

use bytes::BytesMut;

use crate::wire;

/// How many bytes of spare room the reader gives each read: a read takes
/// whatever has arrived up to this (thousands of small frames under
/// load), so a flood costs one system call per this many bytes.
const READ_ROOM: usize = 64 * 1024;

/// The most room the reader reserves at once, and the most an empty
/// buffer keeps between reads (see `read_loop`).
pub(super) const MOST_ROOM: usize = 1024 * 1024;

/// Makes room in the reader's buffer for the `wanted` bytes still missing
/// from the frame begun (see `read_loop`); `large` says a frame over
/// `MOST_ROOM` went through it since it was last made small.
pub(super) fn make_room(buffer: &mut BytesMut, wanted: usize, large: &mut bool) {
    if *large && buffer.len() <= READ_ROOM {
        // One big frame does not keep its room for the connection's
        // life (`capacity` counts only the room after the frames read,
        // so the allocation's size is not known: a big frame says it).
        let mut fresh = BytesMut::with_capacity(READ_ROOM);
        fresh.extend_from_slice(buffer);
        *buffer = fresh;
        *large = false;
    }
    // Room for the frame begun, but at most `MOST_ROOM` more at a time:
    // a peer that announces a frame of `max_frame` bytes and sends
    // little of it holds memory in proportion to what it sent (the
    // buffer grows by doubling), not to what it announced.
    buffer.reserve(wanted.clamp(READ_ROOM, MOST_ROOM));
}

/// What the start of the reader's buffer holds.
pub(crate) enum Framed {
    /// A whole frame of this many bytes after its length prefix.
    Whole(usize),
    /// Part of a frame: this many more bytes are needed at least.
    Partial(usize),
}
pub(super) use Framed::{Partial, Whole};

/// Reads the frame at the start of `bytes` (a 4-byte big-endian length,
/// then that many bytes), as tokio-util's `LengthDelimitedCodec` does.
///
/// # Errors
///
/// A length over `max_frame`, in the codec's words.
pub(crate) fn frame_length(bytes: &[u8], max_frame: usize) -> Result<Framed, String> {
    let Some(prefix) = bytes.first_chunk::<{ wire::PREFIX }>() else {
        return Ok(Partial(wire::PREFIX - bytes.len()));
    };
    let length = u32::from_be_bytes(*prefix) as usize;
    if length > max_frame {
        return Err("unreadable frame: frame size too big".to_owned());
    }
    let have = bytes.len() - wire::PREFIX;
    if have < length {
        return Ok(Partial(length - have));
    }
    Ok(Whole(length))
}
