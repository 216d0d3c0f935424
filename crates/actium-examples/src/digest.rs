//! A digest of what a simulated run did: 64-bit FNV-1a over the events a
//! driver notes in order, so two runs with one seed print the same digest
//! and any difference in what they did shows as a different one.

use std::fmt;

/// FNV-1a, 64 bits: no keys, no per-process randomness, the same on every
/// machine — what a digest printed to compare runs needs (std's
/// `DefaultHasher` promises none of that).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest(u64);

impl Digest {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// The digest of nothing.
    pub fn new() -> Self {
        Digest(Self::OFFSET)
    }

    /// Adds `bytes`.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(Self::PRIME);
        }
    }

    /// Adds a number, as its 8 little-endian bytes.
    pub fn number(&mut self, number: u64) {
        self.bytes(&number.to_le_bytes());
    }

    /// Adds a string, followed by its length so that `"ab", "c"` and
    /// `"a", "bc"` differ.
    pub fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
        self.number(text.len() as u64);
    }

    /// The digest so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

impl Default for Digest {
    fn default() -> Self {
        Digest::new()
    }
}

/// Sixteen hex digits, as the examples print it.
impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_fnv1a_64() {
        // The published test vectors of FNV-1a 64.
        assert_eq!(Digest::new().value(), 0xcbf2_9ce4_8422_2325);
        let mut a = Digest::new();
        a.bytes(b"a");
        assert_eq!(a.value(), 0xaf63_dc4c_8601_ec8c);
        let mut foobar = Digest::new();
        foobar.bytes(b"foobar");
        assert_eq!(foobar.value(), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn texts_are_delimited() {
        let (mut one, mut two) = (Digest::new(), Digest::new());
        one.text("ab");
        one.text("c");
        two.text("a");
        two.text("bc");
        assert_ne!(one, two);
    }
}
