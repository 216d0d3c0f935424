//! Distributed algorithms written with Actium the way their papers print
//! them: one actor per participant, one method per procedure, and remote
//! calls that read like the pseudocode's.
//!
//! # Layout
//!
//! - [`chord`]: the Chord lookup protocol and a replicated key-value store
//!   on top, plus an in-process [`Ring`](chord::Ring) that builds, checks and
//!   fails rings of up to thousands of nodes.
//! - [`paxos`]: single-decree Paxos with proposers, acceptors and learners,
//!   under crashed, partitioned and lossy acceptors; [`paxos::simulate`]
//!   checks its safety over thousands of seeds in deterministic simulation.
//! - [`kv`]: a replicated key-value store on Multi-Paxos, with leader
//!   election, exactly-once retries and a linearizability checker;
//!   [`kv::simulate`] checks its histories over thousands of seeds.
//! - [`scribe`]: publish/subscribe over Chord (Scribe): multicast trees
//!   built from Chord's lookup paths, repaired when nodes fail.
//! - [`digest`]: what a simulated run prints to show that a seed replays.
//!
//! The algorithms live in this library, not in the example binaries, so the
//! examples (`cargo run --example chord`), the tests and a later
//! one-node-per-process mode share one copy of each.
#![warn(missing_docs)]

pub mod chord;
pub mod digest;
pub mod kv;
pub mod paxos;
pub mod scribe;
