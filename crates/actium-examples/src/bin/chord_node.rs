//! One Chord node in its own process:
//!
//! ```text
//! chord_node                                        # starts a ring
//! chord_node --join tcp://127.0.0.1:40123/chord     # joins it
//! ```
//!
//! Prints `listening <address>` once the node is in the ring, and serves
//! until its standard input closes or it is killed. See
//! `actium_examples::chord::process`.

use std::process::ExitCode;

use actium::prelude::*;
use actium_examples::chord::process::{NodeArgs, serve};
use clap::Parser;

fn main() -> ExitCode {
    let args = NodeArgs::parse();
    match actium::launch(Mode::Tasks, serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chord_node: {error}");
            ExitCode::FAILURE
        }
    }
}
