//! Micro-benchmarks of Actium's hot paths, so that a regression shows up
//! in review: `cargo bench -p actium-bench --bench hot_paths`.
//!
//! - `mailbox`: one push and one take; one push, its take and the actor
//!   loop's lock-free wait that follows (a request-reply's share of the
//!   mailbox); and a burst of 64 taken as a batch;
//! - `reply`: a reply slot created, answered and taken;
//! - `ask`: the caller's `Ask` polled while pending (registering its
//!   deadline), answered and polled again;
//! - `dispatch`: a call through the code `#[actor]` generates — proxy,
//!   message enum, `handle` — run inline, without mailbox or scheduler;
//! - `recording`: a local tell and a local ask end to end (proxy, mailbox,
//!   actor loop, reply slot), called from a task on the system's workers,
//!   first while nothing records, then while the system records into a
//!   sink that discards (queue, writer thread and conversion to trace
//!   records all run): `cargo bench -p actium-bench --bench hot_paths --
//!   recording`. Figures in `docs/TRACING.md`.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use actium::__private::probe::{self, Inline, MailboxProbe};
use actium::prelude::*;
use actium_trace::{Record, Recording, Sink};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self, by: u64) {
        self.n += by;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

fn mailbox(c: &mut Criterion) {
    let mut group = c.benchmark_group("mailbox");
    let mut one = MailboxProbe::default();
    group.bench_function("push_take_1", |b| {
        b.iter(|| {
            one.push(black_box(1));
            one.take_all()
        });
    });
    // An actor loop's part of a request-reply round trip: take the one
    // message, then find the mailbox still armed and wait without the lock.
    let mut round_trip = MailboxProbe::default();
    group.bench_function("push_take_then_wait", |b| {
        b.iter(|| {
            round_trip.push(black_box(1));
            round_trip.take_then_wait()
        });
    });
    let mut burst = MailboxProbe::default();
    group.throughput(Throughput::Elements(64));
    group.bench_function("push_64_take_batch", |b| {
        b.iter(|| {
            for n in 0..64 {
                burst.push(black_box(n));
            }
            burst.take_all()
        });
    });
    group.finish();
}

fn reply(c: &mut Criterion) {
    c.bench_function("reply/round_trip", |b| {
        b.iter(|| probe::reply_round_trip(black_box(7)));
    });
    let mut group = c.benchmark_group("ask");
    // Callers are actors and tasks on the system's worker threads.
    probe::batch_deadlines_like_a_worker();
    group.bench_function("pending_then_answered/default_timeout", |b| {
        b.iter(|| probe::ask_round_trip(black_box(7), Duration::from_secs(5)));
    });
    group.bench_function("pending_then_answered/short_timeout", |b| {
        b.iter(|| probe::ask_round_trip(black_box(7), Duration::from_millis(100)));
    });
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let system = match System::builder().start() {
        Ok(system) => system,
        Err(error) => panic!("no system for the dispatch benchmark: {error}"),
    };
    let counter = Inline::proxy(Counter::default(), &system);
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("tell", |b| b.iter(|| counter.incr(black_box(1))));
    group.bench_function("ask", |b| b.iter(|| counter.get()));
    group.finish();
    drop(counter);
    system.shutdown();
}

/// Runs `work` as a task on the system's workers, as an actor's caller
/// would be, and returns the time it measured.
fn on_a_worker(system: &System, work: impl Future<Output = Duration> + Send + 'static) -> Duration {
    system.block_on(async move {
        match tokio::spawn(work).await {
            Ok(elapsed) => elapsed,
            Err(error) => panic!("the caller task failed: {error}"),
        }
    })
}

/// `iters` tells, then one ask so that they have all been handled.
async fn tells(counter: ActorRef<Counter>, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        if counter.incr(black_box(1)).is_err() {
            panic!("the counter stopped");
        }
    }
    black_box(counter.get().await.ok());
    start.elapsed()
}

/// `iters` asks, one after the other.
async fn asks(counter: ActorRef<Counter>, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(counter.get().await.ok());
    }
    start.elapsed()
}

fn calls(c: &mut Criterion, system: &System, counter: &ActorRef<Counter>, recording: &str) {
    let mut group = c.benchmark_group("recording");
    group.bench_function(format!("tell/{recording}"), |b| {
        b.iter_custom(|iters| on_a_worker(system, tells(counter.clone(), iters)));
    });
    group.bench_function(format!("ask/{recording}"), |b| {
        b.iter_custom(|iters| on_a_worker(system, asks(counter.clone(), iters)));
    });
    group.finish();
}

/// Takes every record and keeps none: what recording costs without the
/// cost of a particular sink's I/O.
struct Discard;

impl Sink for Discard {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        black_box(record);
        Ok(())
    }
}

fn recording(c: &mut Criterion) {
    let system = match System::builder().start() {
        Ok(system) => system,
        Err(error) => panic!("no system for the recording benchmark: {error}"),
    };
    let counter = Counter::default().spawner().system(system.handle()).spawn();
    calls(c, &system, &counter, "off");
    let recording = match Recording::builder().sink(Discard).start(system.handle()) {
        Ok(recording) => recording,
        Err(error) => panic!("cannot record: {error}"),
    };
    calls(c, &system, &counter, "on");
    let summary = recording.finish();
    println!(
        "recording: {} events written, {} dropped (queue full)",
        summary.written, summary.dropped
    );
    drop(counter);
    system.shutdown();
}

criterion_group!(benches, mailbox, reply, dispatch, recording);
criterion_main!(benches);
