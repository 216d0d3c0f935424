//! Decoding within bounds: what another node's bytes may make this one
//! allocate, and for how long they may keep it busy.
//!
//! Postcard checks that a string or a byte array fits in the bytes left,
//! but a sequence's declared length is only a promise. A `Vec<()>` of
//! 2^60 elements is a few bytes and a loop of 2^60 iterations; a
//! `Vec<Vec<u64>>` of empty vectors turns each byte received into 24
//! bytes of memory, and a `Vec<Option<[[u64; 32]; 16]>>` of `None`s each byte
//! into 4 KiB. So every decoding of bytes from the wire goes through
//! [`take`], which wraps postcard's deserializer in one that
//!
//! - refuses a sequence that declares more elements than there are bytes
//!   left, unless its elements take no memory (then at most
//!   [`MAX_ZERO_SIZED`] beyond that);
//! - charges each element of a sequence or map its size in memory (at
//!   least one byte), and each string or byte array its length, to a
//!   budget of [`FACTOR`] times the bytes decoded plus [`FLOOR`], capped
//!   by the limit [`with_limit`] sets (a node's `max_decoded`, else
//!   [`DEFAULT_MAX_DECODED`]): past it, decoding fails.
//!
//! The charge is the memory of the decoded value's collections, not of
//! every allocation (a `Box` inside an element, a map's buckets): an
//! estimate within a small factor, which is what a bound needs. Fixed-size
//! values (tuples, structs, enums) are not charged: their memory is part
//! of the element that holds them, or of the value itself.
//!
//! The checks cost a few nanoseconds per decoding and a counter update per
//! element; a remote tell's decoding allocates nothing more.

mod deserializer;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;

use deserializer::Bounded;
use serde::Deserialize;
use serde::de;

/// How much memory one received message may decode into by default, at
/// most: 64 MiB (four times the default largest frame).
pub const DEFAULT_MAX_DECODED: usize = 64 * 1024 * 1024;

/// How many bytes of memory each byte received may decode into. The
/// worst amplification of common types is 24 (a `Vec<String>` of empty
/// strings, a `Vec<Option<String>>` of `None`s).
pub(crate) const FACTOR: usize = 32;

/// What any message may decode into, however small.
pub(crate) const FLOOR: usize = 64 * 1024;

/// How many zero-sized elements a sequence may hold beyond one per byte
/// left (`Vec<()>` is legal, and its elements take no bytes on the wire).
pub(crate) const MAX_ZERO_SIZED: usize = 65_536;

thread_local! {
    /// The cap on decoded memory of decodings on this thread.
    static LIMIT: Cell<usize> = const { Cell::new(DEFAULT_MAX_DECODED) };
}

/// Runs `decode` with decodings on this thread capped at `limit` bytes of
/// decoded memory.
pub(crate) fn with_limit<T>(limit: usize, decode: impl FnOnce() -> T) -> T {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            LIMIT.set(self.0);
        }
    }
    let _restore = Restore(LIMIT.replace(limit));
    decode()
}

/// Decodes one `T` from the start of `bytes` within the bounds above;
/// returns it and the bytes after it.
pub(crate) fn take<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<(T, &'de [u8]), String> {
    let limit = LIMIT.get();
    let budget = Budget {
        left: Cell::new(
            bytes
                .len()
                .saturating_mul(FACTOR)
                .saturating_add(FLOOR)
                .min(limit),
        ),
        received: bytes.len(),
        message: Cell::new(None),
    };
    let mut postcard = postcard::Deserializer::from_bytes(bytes);
    let value = T::deserialize(Bounded {
        inner: &mut postcard,
        budget: &budget,
    })
    .map_err(|failure| *failure.0)?;
    let rest = postcard.finalize().map_err(|error| error.to_string())?;
    Ok((value, rest))
}

/// What one decoding may still allocate, and the message of its error.
struct Budget {
    /// Bytes of memory left to decode into.
    left: Cell<usize>,
    /// The size of the input, for the error.
    received: usize,
    /// The first error's message while it crosses postcard's code, whose
    /// own error type keeps none.
    message: Cell<Option<String>>,
}

impl Budget {
    #[inline]
    fn charge(&self, bytes: usize) -> Result<(), Failure> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(Failure::new(format!(
                "{} bytes received would decode into more memory than allowed \
                 ({}x their size, at most {} bytes)",
                self.received,
                FACTOR,
                LIMIT.get()
            ))),
        }
    }

    /// An error from postcard's code, with the message it lost.
    fn lift(&self, error: impl fmt::Display) -> Failure {
        match self.message.take() {
            Some(message) => Failure(Box::new(message)),
            None => Failure(Box::new(error.to_string())),
        }
    }

    /// An error on its way through postcard's code: its message waits here.
    fn lower<E: de::Error>(&self, failure: Failure) -> E {
        let error = E::custom(&failure.0);
        self.message.set(Some(*failure.0));
        error
    }
}

/// A decoding error, with its message: boxed, so that results through
/// the decoding's many layers stay two words.
#[derive(Debug)]
#[expect(
    clippy::box_collection,
    reason = "a thin pointer keeps every result small"
)]
pub(crate) struct Failure(Box<String>);

impl Failure {
    #[cold]
    fn new(message: String) -> Self {
        Failure(Box::new(message))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

impl de::Error for Failure {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Failure(Box::new(message.to_string()))
    }
}
