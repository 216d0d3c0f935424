//! Unit tests of bounded decoding: budgets, limits and hostile lengths.

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::{DEFAULT_MAX_DECODED, LIMIT, take, with_limit};

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
