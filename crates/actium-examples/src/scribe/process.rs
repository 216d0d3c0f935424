//! A Chord node and its Scribe node per process: [`serve`] is the
//! `scribe_node` binary's `main`, Chord's node process with a
//! [`ScribeNode`] attached and registered as [`NAME`].

use actium::prelude::*;

use super::node::ScribeNode;
use super::protocol::Config;
use crate::chord::Id;
use crate::chord::process::{NodeArgs, ProcessError, serve_with};

/// The name each node process registers its [`ScribeNode`] under: the
/// node at `tcp://127.0.0.1:4000` has it at `tcp://127.0.0.1:4000/scribe`.
pub const NAME: &str = "scribe";

/// A node process's `main`: Chord's [`serve`](crate::chord::process::serve),
/// with a [`ScribeNode`] spawned beside the Chord node before it joins,
/// using `config`, and registered as [`NAME`].
///
/// # Errors
///
/// As Chord's `serve`.
pub async fn serve(args: NodeArgs, config: Config) -> Result<(), ProcessError> {
    serve_with(args, move |node, chord| {
        let id = Id::hash(node.address());
        let scribe = ScribeNode::new(id, chord.clone(), config).spawn();
        node.register(NAME, &scribe)?;
        Ok(())
    })
    .await
}
