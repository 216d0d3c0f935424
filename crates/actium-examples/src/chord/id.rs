//! Identifiers on Chord's ring of 2^m points, and the interval tests the
//! paper's pseudocode is written in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// m, the number of bits of an identifier: the ring has 2^64 points, so a
/// finger table has 64 entries and identifiers never collide in practice.
pub const BITS: usize = 64;

/// A point on the identifier ring: a node's or a key's identifier.
///
/// Arithmetic wraps modulo 2^m. The interval tests read like the paper:
/// `x.between(a, b)` is x ∈ (a, b) and `x.between_incl(a, b)` is x ∈ (a, b],
/// both going clockwise from `a`; when `a == b` the interval is the whole
/// ring (without `a` for the open one), which is what a ring of one node
/// needs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Id(pub u64);

impl Id {
    /// The identifier of `name`: its SHA-1 digest truncated to m bits, as
    /// the paper hashes node addresses and keys.
    pub fn hash(name: impl AsRef<[u8]>) -> Id {
        let digest = sha1_smol::Sha1::from(name.as_ref()).digest().bytes();
        let mut first = [0; 8];
        first.copy_from_slice(&digest[..8]);
        Id(u64::from_be_bytes(first))
    }

    /// The start of finger `i` (counting from 0): n + 2^i, the point whose
    /// successor `finger[i]` names. The paper counts fingers from 1 and
    /// writes n + 2^(i-1).
    ///
    /// # Panics
    ///
    /// If `i` is not below [`BITS`].
    pub fn finger_start(self, i: usize) -> Id {
        Id(self.0.wrapping_add(1 << i))
    }

    /// x ∈ (a, b), clockwise.
    pub fn between(self, a: Id, b: Id) -> bool {
        let (x, end) = (self.0.wrapping_sub(a.0), b.0.wrapping_sub(a.0));
        x != 0 && (end == 0 || x < end)
    }

    /// x ∈ (a, b], clockwise.
    pub fn between_incl(self, a: Id, b: Id) -> bool {
        let (x, end) = (self.0.wrapping_sub(a.0), b.0.wrapping_sub(a.0));
        end == 0 || (x != 0 && x <= end)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_interval_goes_clockwise_and_wraps() {
        assert!(Id(5).between(Id(3), Id(8)));
        assert!(!Id(3).between(Id(3), Id(8)));
        assert!(!Id(8).between(Id(3), Id(8)));
        assert!(Id(1).between(Id(u64::MAX - 1), Id(3)));
        assert!(Id(u64::MAX).between(Id(u64::MAX - 1), Id(3)));
        assert!(!Id(5).between(Id(u64::MAX - 1), Id(3)));
    }

    #[test]
    fn half_open_interval_includes_its_end() {
        assert!(Id(8).between_incl(Id(3), Id(8)));
        assert!(!Id(3).between_incl(Id(3), Id(8)));
        assert!(Id(3).between_incl(Id(u64::MAX), Id(3)));
    }

    #[test]
    fn an_interval_from_a_point_to_itself_is_the_whole_ring() {
        // A ring of one node: its successor is itself and owns every key.
        assert!(Id(9).between(Id(4), Id(4)));
        assert!(!Id(4).between(Id(4), Id(4)));
        assert!(Id(9).between_incl(Id(4), Id(4)));
        assert!(Id(4).between_incl(Id(4), Id(4)));
    }

    #[test]
    fn finger_starts_double_the_distance() {
        assert_eq!(Id(10).finger_start(0), Id(11));
        assert_eq!(Id(10).finger_start(3), Id(18));
        assert_eq!(Id(u64::MAX).finger_start(0), Id(0));
        assert_eq!(Id(0).finger_start(63), Id(1 << 63));
    }

    #[test]
    fn hashing_is_sha1_truncated() {
        // SHA-1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d
        assert_eq!(Id::hash("abc"), Id(0xa999_3e36_4706_816a));
    }
}
