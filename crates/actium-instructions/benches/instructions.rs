//! Instruction counts (and atomic instructions) of the hot paths under
//! callgrind (gungraun). Run
//! through `scripts/instructions`, which installs the matching
//! `gungraun-runner` and compares the counts with `baseline.json`;
//! `scripts/instructions --update` writes a new baseline.

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented public items"
)]

use std::hint::black_box;

use actium::__private::probe::MailboxProbe;
use actium::prelude::*;
use actium::{ActorRef, System};
use actium_instructions as ops;
use gungraun::{
    Callgrind, LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main,
};

fn spawned_counter() -> (System, ActorRef<ops::Counter>) {
    let system = ops::one_thread_system();
    let counter = system.block_on(async { ops::Counter::default().spawn() });
    // Its loop has started and answered once: the benchmark measures
    // calls, not the first scheduling.
    let _ = system.block_on(counter.get());
    (system, counter)
}

#[library_benchmark]
#[bench::repeat(setup = MailboxProbe::default)]
fn mailbox_push_take(mut mailbox: MailboxProbe) -> u64 {
    ops::checked(
        "mailbox",
        black_box(ops::mailbox_push_take(&mut mailbox)),
        ops::REPEAT,
    )
}

#[library_benchmark]
fn reply_slot() -> u64 {
    ops::checked("reply_slot", black_box(ops::reply_slot()), ops::REPEAT_SUM)
}

#[library_benchmark]
fn ask_poll() -> u64 {
    ops::checked("ask_poll", black_box(ops::ask_poll()), ops::REPEAT_SUM)
}

#[library_benchmark]
#[bench::repeat(setup = ops::one_thread_system)]
fn dispatch_inline(system: System) -> u64 {
    ops::checked(
        "dispatch",
        black_box(ops::dispatch_inline(&system)),
        ops::REPEAT,
    )
}

#[library_benchmark]
#[bench::repeat(setup = spawned_counter)]
fn local_tell((system, counter): (System, ActorRef<ops::Counter>)) -> u64 {
    ops::checked(
        "local_tell",
        black_box(ops::local_tells(&system, &counter)),
        ops::REPEAT,
    )
}

#[library_benchmark]
#[bench::repeat(setup = spawned_counter)]
fn local_ask((system, counter): (System, ActorRef<ops::Counter>)) -> u64 {
    ops::checked(
        "local_ask",
        black_box(ops::local_asks(&system, &counter)),
        ops::REPEAT,
    )
}

#[library_benchmark]
#[bench::repeat(setup = ops::one_thread_system)]
fn spawn(system: System) -> u64 {
    ops::checked("spawn", black_box(ops::spawns(&system)), ops::REPEAT / 10)
}

#[library_benchmark]
fn remote_tell_codec() -> u64 {
    ops::checked("codec", black_box(ops::remote_tell_codec()), ops::REPEAT)
}

library_benchmark_group!(
    name = hot_paths;
    benchmarks = mailbox_push_take, reply_slot, ask_poll, dispatch_inline,
        local_tell, local_ask, spawn, remote_tell_codec
);

// `collect-bus`: callgrind also counts the atomic (locked) instructions,
// which the guard checks beside the instructions: on the machines
// measured one costs about as much as ten plain ones, and a change can
// add one while the instruction count falls (`docs/BENCHMARKS.md`).
main!(
    config = LibraryBenchmarkConfig::default().tool(Callgrind::with_args(["collect-bus=yes"]));
    library_benchmark_groups = hot_paths
);
