//! The wrapping deserializer that charges the budget of [`super`]: every
//! sequence, map, string and byte array postcard decodes goes through it.

use std::fmt;
use std::mem::size_of;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::{Budget, Failure, MAX_ZERO_SIZED};

/// The deserializer the decoded types see.
pub(crate) struct Bounded<'b, D> {
    pub(crate) inner: D,
    pub(crate) budget: &'b Budget,
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
