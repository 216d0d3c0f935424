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

use std::cell::Cell;
use std::fmt;
use std::mem::size_of;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

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
struct Failure(Box<String>);

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

/// The deserializer the decoded types see.
struct Bounded<'b, D> {
    inner: D,
    budget: &'b Budget,
}

/// A visitor that keeps what it is given within the budget; `collection`
/// when it visits a sequence or map of declared length (not a tuple or a
/// struct, whose elements are charged as part of what holds them).
struct Wrap<'b, V> {
    visitor: V,
    budget: &'b Budget,
    collection: bool,
}

impl<'b, V> Wrap<'b, V> {
    #[inline]
    fn fixed(visitor: V, budget: &'b Budget) -> Self {
        Wrap {
            visitor,
            budget,
            collection: false,
        }
    }
}

struct Seed<'b, S> {
    seed: S,
    budget: &'b Budget,
}

struct Seq<'b, A> {
    seq: A,
    budget: &'b Budget,
    collection: bool,
    /// Whether the declared length fits in the bytes left (postcard's
    /// size hint says so: none when it does not).
    fits: bool,
    zero_sized: usize,
}

struct Map<'b, A> {
    map: A,
    budget: &'b Budget,
    zero_sized: usize,
}

struct Enum<'b, A> {
    data: A,
    budget: &'b Budget,
}

struct Variant<'b, A> {
    variant: A,
    budget: &'b Budget,
}

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
            let budget = self.budget;
            self.inner
                .$method(Wrap::fixed(visitor, budget))
                .map_err(|error| budget.lift(error))
        }
    )*};
}

impl<'de, 'b, D: Deserializer<'de>> Deserializer<'de> for Bounded<'b, D> {
    type Error = Failure;

    forward_deserialize! {
        deserialize_any deserialize_bool
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        let budget = self.budget;
        let visitor = Wrap {
            visitor,
            budget,
            collection: true,
        };
        self.inner
            .deserialize_seq(visitor)
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        let budget = self.budget;
        let visitor = Wrap {
            visitor,
            budget,
            collection: true,
        };
        self.inner
            .deserialize_map(visitor)
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_unit_struct(name, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_newtype_struct(name, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_tuple(len, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_tuple_struct(name, len, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_struct(name, fields, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.inner
            .deserialize_enum(name, variants, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            let budget = self.budget;
            self.visitor.$method(value).map_err(|failure| budget.lower(failure))
        }
    )*};
}

macro_rules! charged_visit {
    ($($method:ident($ty:ty))*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            let budget = self.budget;
            budget.charge(value.len()).map_err(|failure| budget.lower::<E>(failure))?;
            self.visitor.$method(value).map_err(|failure| budget.lower(failure))
        }
    )*};
}

impl<'de, 'b, V: Visitor<'de>> Visitor<'de> for Wrap<'b, V> {
    type Value = V::Value;

    #[inline]
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool)
        visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128)
        visit_f32(f32) visit_f64(f64) visit_char(char)
    }

    charged_visit! {
        visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        let budget = self.budget;
        self.visitor
            .visit_none()
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        let budget = self.budget;
        self.visitor
            .visit_unit()
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        let budget = self.budget;
        self.visitor
            .visit_some(Bounded { inner, budget })
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        let budget = self.budget;
        self.visitor
            .visit_newtype_struct(Bounded { inner, budget })
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let budget = self.budget;
        let fits = seq.size_hint().is_some();
        self.visitor
            .visit_seq(Seq {
                seq,
                budget,
                collection: self.collection,
                fits,
                zero_sized: 0,
            })
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let budget = self.budget;
        self.visitor
            .visit_map(Map {
                map,
                budget,
                zero_sized: 0,
            })
            .map_err(|failure| budget.lower(failure))
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let budget = self.budget;
        self.visitor
            .visit_enum(Enum { data, budget })
            .map_err(|failure| budget.lower(failure))
    }
}

impl<'de, 'b, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'b, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        let budget = self.budget;
        self.seed
            .deserialize(Bounded { inner, budget })
            .map_err(|failure| budget.lower(failure))
    }
}

impl<'de, 'b, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'b, A> {
    type Error = Failure;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Failure> {
        let size = size_of::<T::Value>();
        if self.collection && !self.fits {
            if size != 0 {
                return Err(Failure::new(
                    "a sequence declares more elements than there are bytes left".to_owned(),
                ));
            }
            self.zero_sized += 1;
            if self.zero_sized > MAX_ZERO_SIZED {
                return Err(Failure::new(format!(
                    "a sequence of zero-sized elements declares more than {MAX_ZERO_SIZED} \
                     beyond the bytes left"
                )));
            }
        }
        let budget = self.budget;
        let element = self
            .seq
            .next_element_seed(Seed { seed, budget })
            .map_err(|error| budget.lift(error))?;
        if self.collection && element.is_some() {
            budget.charge(size.max(1))?;
        }
        Ok(element)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        // Each element costs at least a byte of the budget: a hint past
        // what is left would only make the visitor reserve too much.
        self.seq
            .size_hint()
            .map(|declared| declared.min(self.budget.left.get()))
    }
}

impl<'de, 'b, A: MapAccess<'de>> MapAccess<'de> for Map<'b, A> {
    type Error = Failure;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Failure> {
        let size = size_of::<K::Value>();
        if size == 0 {
            // A map has one zero-sized key at most; decoding more only
            // spends time.
            self.zero_sized += 1;
            if self.zero_sized > MAX_ZERO_SIZED {
                return Err(Failure::new(format!(
                    "a map declares more than {MAX_ZERO_SIZED} zero-sized keys"
                )));
            }
        }
        let budget = self.budget;
        let key = self
            .map
            .next_key_seed(Seed { seed, budget })
            .map_err(|error| budget.lift(error))?;
        if key.is_some() {
            budget.charge(size.max(1))?;
        }
        Ok(key)
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Failure> {
        let budget = self.budget;
        let value = self
            .map
            .next_value_seed(Seed { seed, budget })
            .map_err(|error| budget.lift(error))?;
        budget.charge(size_of::<T::Value>())?;
        Ok(value)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.map
            .size_hint()
            .map(|declared| declared.min(self.budget.left.get()))
    }
}

impl<'de, 'b, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'b, A> {
    type Error = Failure;
    type Variant = Variant<'b, A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Failure> {
        let budget = self.budget;
        let (value, variant) = self
            .data
            .variant_seed(Seed { seed, budget })
            .map_err(|error| budget.lift(error))?;
        Ok((value, Variant { variant, budget }))
    }
}

impl<'de, 'b, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'b, A> {
    type Error = Failure;

    #[inline]
    fn unit_variant(self) -> Result<(), Failure> {
        let budget = self.budget;
        self.variant
            .unit_variant()
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Failure> {
        let budget = self.budget;
        self.variant
            .newtype_variant_seed(Seed { seed, budget })
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.variant
            .tuple_variant(len, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let budget = self.budget;
        self.variant
            .struct_variant(fields, Wrap::fixed(visitor, budget))
            .map_err(|error| budget.lift(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
        take::<T>(bytes).map(|(value, _rest)| value)
    }

    #[test]
    fn values_round_trip_as_with_bare_postcard() {
        type Value = (
            u64,
            String,
            Vec<u32>,
            Option<Vec<String>>,
            std::collections::BTreeMap<String, (i8, bool)>,
            Vec<()>,
        );
        let value: Value = (
            7,
            "key".to_owned(),
            (0..100).collect(),
            Some(vec![String::new(), "b".to_owned()]),
            [("a".to_owned(), (-1, true))].into_iter().collect(),
            vec![(); 3],
        );
        let bytes = postcard::to_allocvec(&value).unwrap();
        assert_eq!(decode::<Value>(&bytes).unwrap(), value);
    }

    #[test]
    fn a_declared_length_past_the_bytes_left_is_refused() {
        let mut bytes = varint(1 << 40);
        bytes.extend([1, 2, 3]);
        let error = decode::<Vec<u64>>(&bytes).unwrap_err();
        assert!(
            error.contains("more elements than there are bytes"),
            "{error}"
        );
    }

    #[test]
    fn a_vec_of_units_declaring_two_to_the_sixty_fails_at_once() {
        let started = std::time::Instant::now();
        let error = decode::<Vec<()>>(&varint(1 << 60)).unwrap_err();
        assert!(error.contains("zero-sized"), "{error}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Within the bound, such a vector decodes.
        assert_eq!(decode::<Vec<()>>(&varint(1000)).unwrap().len(), 1000);
    }

    #[test]
    fn a_map_of_zero_sized_keys_cannot_spin() {
        let error = decode::<std::collections::BTreeMap<(), ()>>(&varint(1 << 60)).unwrap_err();
        assert!(error.contains("zero-sized keys"), "{error}");
    }

    #[test]
    fn nested_empty_vectors_past_the_budget_are_refused() {
        // Each byte (an empty inner vector) would take 24 bytes.
        let count = 1 << 20;
        let mut bytes = varint(count);
        bytes.resize(bytes.len() + count as usize, 0);
        let error = with_limit(4 * 1024 * 1024, || decode::<Vec<Vec<u64>>>(&bytes)).unwrap_err();
        assert!(error.contains("more memory than allowed"), "{error}");
        // Under a larger cap the same bytes decode.
        let decoded = with_limit(usize::MAX, || decode::<Vec<Vec<u64>>>(&bytes)).unwrap();
        assert_eq!(decoded.len(), count as usize);
    }

    #[test]
    fn amplification_past_the_factor_is_refused_however_large_the_cap() {
        // `None` of a 4 KiB array: one byte each.
        let count = 1024;
        let mut bytes = varint(count);
        bytes.resize(bytes.len() + count as usize, 0);
        let error = with_limit(usize::MAX, || {
            decode::<Vec<Option<[[u64; 32]; 16]>>>(&bytes)
        })
        .unwrap_err();
        assert!(error.contains("more memory than allowed"), "{error}");
    }

    #[test]
    fn custom_messages_survive_postcards_error_type() {
        #[derive(Debug)]
        struct Picky;
        impl<'de> Deserialize<'de> for Picky {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = u8::deserialize(deserializer)?;
                Err(de::Error::custom(format!("{value} is not welcome")))
            }
        }
        let error = decode::<Vec<Option<Picky>>>(&[1, 1, 9]).unwrap_err();
        assert_eq!(error, "9 is not welcome");
    }

    #[test]
    fn the_limit_is_restored_after_a_panic() {
        let _ = std::panic::catch_unwind(|| with_limit(10, || panic!("inside")));
        assert_eq!(LIMIT.get(), DEFAULT_MAX_DECODED);
    }
}
