//! Instruction counts of Actium's hot paths, measured under callgrind by
//! [gungraun](https://docs.rs/gungraun) and checked against the committed
//! `baseline.json` by `scripts/instructions` (run by `.ci/run`).
//!
//! Instruction counts do not depend on the machine's load, so a change
//! that makes a hot path slower fails CI however noisy the machine is.
//! Callgrind also counts the atomic (locked) instructions, which cost
//! far more than plain ones and which the guard checks too.
//! The benchmark itself is `benches/instructions.rs`; this library holds
//! the operations it measures, so that they are ordinary, tested code:
//! each returns a value the tests below check, and a benchmark that
//! stopped doing its work would fail them.
//!
//! Every operation runs [`REPEAT`] times per benchmark, so that the
//! count per operation is the total divided by [`REPEAT`] and one-off
//! costs (a first allocation) weigh little.

use std::time::Duration;

use actium::__private::probe::{self, Inline, MailboxProbe};
use actium::prelude::*;
use actium::{ActorId, Mode, NodeId, System};

/// How many times each benchmark repeats its operation.
pub const REPEAT: u64 = 1_000;

/// The sum of `0..REPEAT`: what `reply_slot` and `ask_poll` return.
pub const REPEAT_SUM: u64 = REPEAT * (REPEAT - 1) / 2;

/// `got`, after checking it is `want`: a benchmark whose operation failed
/// panics, so that `cargo bench` (and `scripts/instructions`) fails
/// rather than measuring a short cut.
///
/// # Panics
///
/// If `got` is not `want`.
pub fn checked(what: &str, got: u64, want: u64) -> u64 {
    assert_eq!(got, want, "{what} did not do its work");
    got
}

/// The actor the end-to-end paths call.
#[derive(Default)]
pub struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    /// One-way: adds `by`.
    #[tell]
    pub fn incr(&mut self, by: u64) {
        self.n += by;
    }

    /// Request-reply: the sum so far.
    #[ask]
    pub fn get(&self) -> u64 {
        self.n
    }
}

/// A mailbox push and the actor loop's take, [`REPEAT`] times.
pub fn mailbox_push_take(mailbox: &mut MailboxProbe) -> u64 {
    let mut sum = 0;
    for _ in 0..REPEAT {
        mailbox.push(1);
        sum += mailbox.take_all();
    }
    sum
}

/// A reply slot created, answered and taken, [`REPEAT`] times.
pub fn reply_slot() -> u64 {
    (0..REPEAT).map(probe::reply_round_trip).sum()
}

/// The caller's `Ask` polled while pending (registering its deadline as
/// a worker thread does), answered and polled again, [`REPEAT`] times.
pub fn ask_poll() -> u64 {
    probe::batch_deadlines_like_a_worker();
    (0..REPEAT)
        .map(|n| probe::ask_round_trip(n, Duration::from_secs(5)))
        .sum()
}

/// A tell through the generated proxy and `handle`, inline (no mailbox,
/// no scheduler), [`REPEAT`] times, then one ask for the sum.
pub fn dispatch_inline(system: &System) -> u64 {
    let counter = Inline::proxy(Counter::default(), system);
    for _ in 0..REPEAT {
        counter.incr(1);
    }
    counter.get().unwrap_or(u64::MAX)
}

/// A system that runs everything on this thread: the simulated host with
/// a fixed seed, so that the same work takes the same instructions.
pub fn one_thread_system() -> System {
    System::builder()
        .mode(Mode::Simulated { seed: 1 })
        .start()
        .expect("a simulated system starts")
}

/// [`REPEAT`] local tells end to end (proxy, mailbox, actor loop), then
/// one ask that returns their sum.
pub fn local_tells(system: &System, counter: &ActorRef<Counter>) -> u64 {
    let result = system.try_block_on(async {
        for _ in 0..REPEAT {
            // Refused only once the actor has stopped: the sum says so.
            let _ = counter.incr(1);
        }
        counter.get().await
    });
    match result {
        Ok(Ok(sum)) => sum,
        _ => u64::MAX,
    }
}

/// [`REPEAT`] local asks end to end, one after the other (proxy,
/// mailbox, actor loop, reply slot, deadline).
pub fn local_asks(system: &System, counter: &ActorRef<Counter>) -> u64 {
    let result = system.try_block_on(async {
        let mut answered = 0;
        for _ in 0..REPEAT {
            if counter.get().await.is_ok() {
                answered += 1;
            }
        }
        answered
    });
    result.unwrap_or(u64::MAX)
}

/// [`REPEAT`] / 10 actors spawned, each asked once (so each has run) and
/// stopped.
pub fn spawns(system: &System) -> u64 {
    let result = system.try_block_on(async {
        let mut started = 0;
        for _ in 0..REPEAT / 10 {
            let counter = Counter::default().spawn();
            if counter.get().await.is_ok() {
                started += 1;
            }
            counter.stop();
        }
        started
    });
    result.unwrap_or(u64::MAX)
}

/// A remote tell's frame encoded and decoded as a node does (written from
/// its parts, read into them), [`REPEAT`] times; the number decoded.
pub fn remote_tell_codec() -> u64 {
    let target = ActorId::new(NodeId::from_u64(u64::MAX / 3), 17);
    let payload = [7_u8];
    let mut decoded = 0;
    for _ in 0..REPEAT {
        let frame = actium::remote::testing::tell_frame(target, "incr", &payload);
        if actium::remote::testing::read_frame(&frame).is_ok() {
            decoded += 1;
        }
    }
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_measured_operation_does_its_work() {
        assert_eq!(mailbox_push_take(&mut MailboxProbe::default()), REPEAT);
        assert_eq!(reply_slot(), REPEAT_SUM);
        assert_eq!(ask_poll(), REPEAT_SUM);
        assert_eq!(remote_tell_codec(), REPEAT);
        let system = one_thread_system();
        assert_eq!(dispatch_inline(&system), REPEAT);
        let counter = system.block_on(async { Counter::default().spawn() });
        assert_eq!(local_tells(&system, &counter), REPEAT);
        assert_eq!(local_asks(&system, &counter), REPEAT);
        assert_eq!(spawns(&system), REPEAT / 10);
        system.shutdown();
    }
}
