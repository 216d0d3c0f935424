//! Feeds arbitrary bytes to everything a node decodes from the wire: the
//! length-delimited framing, handshake messages, frames, and call
//! payloads. Run: `cargo fuzz run frames` in `crates/actium-remote`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    actium_remote::testing::decode_untrusted(bytes);
});
