//! postcard against bincode on the messages a node sends: why the wire
//! format is postcard (`cargo bench -p actium-bench --bench codec`).
//!
//! Each case encodes into a reused buffer and decodes from borrowed bytes,
//! as the node does; the encoded sizes are printed first.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};

/// The shape of a call frame: target, method, encoded arguments.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
enum Frame<'a> {
    Tell {
        node: u64,
        local: u64,
        method: &'a str,
        #[serde(borrow)]
        payload: &'a [u8],
    },
}

/// Typical arguments: a small tuple, and a larger one with a string.
type Small = (u64,);
type Large = (u64, String, Vec<u32>);

fn large() -> Large {
    (42, "a key of some length".to_owned(), (0..16).collect())
}

fn sizes() {
    let frame = Frame::Tell {
        node: u64::MAX / 3,
        local: 17,
        method: "incr",
        payload: &[1],
    };
    let config = bincode::config::standard();
    let postcard = postcard::to_allocvec(&frame).map(|v| v.len()).unwrap_or(0);
    let bincode = bincode::serde::encode_to_vec(&frame, config)
        .map(|v| v.len())
        .unwrap_or(0);
    let postcard_large = postcard::to_allocvec(&large())
        .map(|v| v.len())
        .unwrap_or(0);
    let bincode_large = bincode::serde::encode_to_vec(large(), config)
        .map(|v| v.len())
        .unwrap_or(0);
    println!(
        "encoded sizes: tell frame postcard={postcard} bincode={bincode}; \
         large arguments postcard={postcard_large} bincode={bincode_large}"
    );
}

fn codecs(c: &mut Criterion) {
    sizes();
    let payload = postcard::to_allocvec(&(7_u64,)).unwrap_or_default();
    frame_codecs(c, &payload);
    argument_codecs(c);
    actium_decoding(c, &payload);
}

/// Encoding and decoding a whole tell frame, postcard against bincode.
fn frame_codecs(c: &mut Criterion, payload: &[u8]) {
    let config = bincode::config::standard();
    let frame = Frame::Tell {
        node: u64::MAX / 3,
        local: 17,
        method: "incr",
        payload,
    };
    let mut group = c.benchmark_group("frame");
    let mut buffer = Vec::with_capacity(256);
    group.bench_function("postcard/encode", |b| {
        b.iter(|| {
            buffer.clear();
            buffer = postcard::to_extend(black_box(&frame), std::mem::take(&mut buffer))
                .unwrap_or_default();
        })
    });
    group.bench_function("bincode/encode", |b| {
        b.iter(|| {
            buffer.clear();
            let _ = bincode::serde::encode_into_std_write(black_box(&frame), &mut buffer, config);
        })
    });
    let postcard_bytes = postcard::to_allocvec(&frame).unwrap_or_default();
    let bincode_bytes = bincode::serde::encode_to_vec(&frame, config).unwrap_or_default();
    group.bench_function("postcard/decode", |b| {
        b.iter(|| postcard::from_bytes::<Frame<'_>>(black_box(&postcard_bytes)).is_ok())
    });
    group.bench_function("bincode/decode", |b| {
        b.iter(|| {
            bincode::serde::borrow_decode_from_slice::<Frame<'_>, _>(
                black_box(&bincode_bytes),
                config,
            )
            .is_ok()
        })
    });
    group.finish();
}

/// A round trip of small and large arguments, postcard against bincode.
fn argument_codecs(c: &mut Criterion) {
    let config = bincode::config::standard();
    let mut group = c.benchmark_group("arguments");
    let args: Small = (123_456,);
    let args_large = large();
    group.bench_function("postcard/small", |b| {
        b.iter(|| {
            let bytes = postcard::to_allocvec(black_box(&args)).unwrap_or_default();
            postcard::from_bytes::<Small>(&bytes).is_ok()
        })
    });
    group.bench_function("bincode/small", |b| {
        b.iter(|| {
            let bytes = bincode::serde::encode_to_vec(black_box(args), config).unwrap_or_default();
            bincode::serde::decode_from_slice::<Small, _>(&bytes, config).is_ok()
        })
    });
    group.bench_function("postcard/large", |b| {
        b.iter(|| {
            let bytes = postcard::to_allocvec(black_box(&args_large)).unwrap_or_default();
            postcard::from_bytes::<Large>(&bytes).is_ok()
        })
    });
    group.bench_function("bincode/large", |b| {
        b.iter(|| {
            let bytes =
                bincode::serde::encode_to_vec(black_box(&args_large), config).unwrap_or_default();
            bincode::serde::decode_from_slice::<Large, _>(&bytes, config).is_ok()
        })
    });
    group.finish();
}

/// Actium's own decoding, bounded, against bare postcard.
fn actium_decoding(c: &mut Criterion, payload: &[u8]) {
    // What a node does with a remote tell: Actium's own decoding of the
    // frame and of its arguments, against bare postcard on the same bytes.
    let mut group = c.benchmark_group("actium");
    let tell = actium::remote::testing::tell_frame(
        actium::ActorId::new(actium::NodeId::from_u64(u64::MAX / 3), 17),
        "incr",
        payload,
    );
    group.bench_function("postcard/frame", |b| {
        b.iter(|| actium::remote::testing::read_frame_unbounded(black_box(&tell)).is_ok())
    });
    group.bench_function("actium/frame", |b| {
        b.iter(|| actium::remote::testing::read_frame(black_box(&tell)).is_ok())
    });
    let args: Small = (123_456,);
    let small_bytes = postcard::to_allocvec(&args).unwrap_or_default();
    let large_bytes = postcard::to_allocvec(&large()).unwrap_or_default();
    group.bench_function("postcard/small", |b| {
        b.iter(|| postcard::from_bytes::<Small>(black_box(&small_bytes)).is_ok())
    });
    group.bench_function("actium/small", |b| {
        b.iter(|| actium::transport::decode::<Small>(black_box(&small_bytes)).is_ok())
    });
    group.bench_function("postcard/large", |b| {
        b.iter(|| postcard::from_bytes::<Large>(black_box(&large_bytes)).is_ok())
    });
    group.bench_function("actium/large", |b| {
        b.iter(|| actium::transport::decode::<Large>(black_box(&large_bytes)).is_ok())
    });
    group.finish();
}

criterion_group!(benches, codecs);
criterion_main!(benches);
