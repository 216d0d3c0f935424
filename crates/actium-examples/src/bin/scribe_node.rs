//! One Chord node with its Scribe node in its own process:
//!
//! ```text
//! scribe_node                                        # starts a ring
//! scribe_node --join tcp://127.0.0.1:40123/chord     # joins it
//! ```
//!
//! Takes `chord_node`'s options, prints `listening <address>` once the
//! node is in the ring, and serves until its standard input closes or it
//! is killed. See `actium_examples::scribe::process`.

use std::process::ExitCode;
use std::time::Duration;

use actium::prelude::*;
use actium_examples::chord::process::NodeArgs;
use actium_examples::scribe::{self, process::serve};
use clap::Parser;

fn main() -> ExitCode {
    let args = NodeArgs::parse();
    // Trees are checked as often as Chord's fastest maintenance runs.
    let config = scribe::Config {
        maintenance: Duration::from_millis(args.fastest_ms.max(1) * 4),
        call_timeout: Duration::from_millis(args.call_timeout_ms),
        ..scribe::Config::default()
    };
    match actium::launch(Mode::Tasks, serve(args, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scribe_node: {error}");
            ExitCode::FAILURE
        }
    }
}
