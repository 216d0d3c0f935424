//! The Savina actor benchmark suite (Imam & Sarkar, "Savina — An Actor
//! Benchmark Suite", AGERE 2014): ten of its programs, the same algorithm
//! on every system, each run checking its own result.
//!
//! One module per system (`actium`, `tokio_raw`, `actix`, `ractor`,
//! `kameo`), each holding all ten programs written as that library's users
//! would write them: a one-way message where Savina sends, a request-reply
//! where Savina awaits a reply. This module holds what they share: the
//! programs' names, their parameters (Savina's defaults scaled down so the
//! whole suite runs in minutes on two cores), the deterministic random
//! choices and the expected results.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use ::actium::Mode;

use crate::systems::System;
use crate::workload::Measurement;

mod actium;
mod actix;
mod kameo;
mod ractor;
mod tokio_raw;

/// One program of the Savina suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Savina {
    /// Two actors exchange `n` pings and pongs by one-way sends.
    PingPong,
    /// A producer sends `n` increments to a counter, then asks its count.
    Count,
    /// A token makes `n` hops around a ring of 100 actors.
    ThreadRing,
    /// `n` messages sent round-robin to 60 actors, each doing a little work.
    FjThrput,
    /// `n` actors created, each sent one message, after which it stops.
    FjCreate,
    /// 100 chameneos meet `n` times through a broker (the mall).
    Chameneos,
    /// 120 actors ping random neighbours, `n` pings (and pongs) in all.
    Big,
    /// 20 workers make `n` requests in all to a dictionary actor, one in
    /// ten a write, each awaiting its answer.
    ConcDict,
    /// A teller makes `n` transfers between 1,000 accounts; the source
    /// account awaits the destination's answer before confirming.
    Banking,
    /// 20 philosophers eat `n` meals in all, asking an arbitrator for forks.
    Philosophers,
}

impl Savina {
    pub const ALL: [Savina; 10] = [
        Savina::PingPong,
        Savina::Count,
        Savina::ThreadRing,
        Savina::FjThrput,
        Savina::FjCreate,
        Savina::Chameneos,
        Savina::Big,
        Savina::ConcDict,
        Savina::Banking,
        Savina::Philosophers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Savina::PingPong => "savina-pingpong",
            Savina::Count => "savina-count",
            Savina::ThreadRing => "savina-threadring",
            Savina::FjThrput => "savina-fjthrput",
            Savina::FjCreate => "savina-fjcreate",
            Savina::Chameneos => "savina-chameneos",
            Savina::Big => "savina-big",
            Savina::ConcDict => "savina-concdict",
            Savina::Banking => "savina-banking",
            Savina::Philosophers => "savina-philosophers",
        }
    }

    /// The main parameter `n` (what one operation is: see each variant),
    /// full and quick, for task-based systems and for one OS thread per
    /// actor. Savina's defaults: pingpong 40,000; count 1,000,000;
    /// threadring 100,000 hops; fjthrput 60 × 10,000; fjcreate 40,000;
    /// chameneos 200,000; big 120 × 20,000; concdict 20 × 10,000; banking
    /// 50,000; philosophers 20 × 10,000.
    pub fn size(self, quick: bool, threads: bool) -> u64 {
        let (quick_n, full_n, threads_n) = match self {
            Savina::PingPong => (20_000, 200_000, 20_000),
            Savina::Count => (200_000, 1_000_000, 1_000_000),
            Savina::ThreadRing => (100_000, 500_000, 50_000),
            Savina::FjThrput => (60_000, 300_000, 60_000),
            Savina::FjCreate => (10_000, 40_000, 1_000),
            Savina::Chameneos => (20_000, 100_000, 10_000),
            Savina::Big => (24_000, 120_000, 12_000),
            Savina::ConcDict => (20_000, 100_000, 10_000),
            Savina::Banking => (10_000, 50_000, 5_000),
            Savina::Philosophers => (20_000, 100_000, 10_000),
        };
        match (threads, quick) {
            (true, true) => threads_n.min(quick_n),
            (true, false) => threads_n,
            (false, true) => quick_n,
            (false, false) => full_n,
        }
    }
}

impl fmt::Display for Savina {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Actors in the thread ring (Savina's default).
pub fn ring_size(n: u64) -> usize {
    100.min(n.max(2) as usize)
}

/// Actors of fork-join throughput, and messages each gets.
pub fn fjthrput_shape(n: u64) -> (usize, u64) {
    let actors = 60.min(n.max(1) as usize);
    (actors, (n / actors as u64).max(1))
}

/// Chameneos taking part (Savina's default).
pub fn chameneos_count(n: u64) -> usize {
    100.min(n.max(2) as usize)
}

/// Workers of big, and pings each sends.
pub fn big_shape(n: u64) -> (usize, u64) {
    let workers = 120.min(n.max(2) as usize);
    (workers, (n / workers as u64).max(1))
}

/// Workers of the concurrent dictionary, and requests each makes.
pub fn dict_shape(n: u64) -> (usize, u64) {
    let workers = 20.min(n.max(1) as usize);
    (workers, (n / workers as u64).max(1))
}

/// Accounts of the bank: Savina's 1,000, fewer on small runs.
pub fn bank_accounts(n: u64) -> usize {
    (n as usize / 50).clamp(2, 1_000)
}

/// Each account's opening balance.
pub const OPENING_BALANCE: i64 = 1_000_000;

/// Philosophers at the table, and meals each eats.
pub fn table_shape(n: u64) -> (usize, u64) {
    let philosophers = 20.min(n.max(2) as usize);
    (philosophers, (n / philosophers as u64).max(1))
}

/// The arbitrator's forks at the philosophers' table, the same for every
/// system. Each request for a seat's forks counts as an attempt, so that
/// the benchmark can say how often philosophers had to ask again: the time
/// per meal depends on it as much as on the cost of a message.
pub struct Forks {
    taken: Vec<bool>,
}

/// Attempts made since [`take_attempts`] last looked: systems run one at a
/// time in a benchmark process, so the count is one system's.
static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

impl Forks {
    /// A table of `seats` seats, every fork free.
    pub fn new(seats: usize) -> Self {
        Forks {
            taken: vec![false; seats],
        }
    }

    /// Hands seat `seat` both its forks if both are free.
    pub fn take(&mut self, seat: usize) -> bool {
        ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        let right = (seat + 1) % self.taken.len();
        if self.taken[seat] || self.taken[right] {
            return false;
        }
        self.taken[seat] = true;
        self.taken[right] = true;
        true
    }

    /// Seat `seat` puts both its forks back.
    pub fn put_back(&mut self, seat: usize) {
        let right = (seat + 1) % self.taken.len();
        self.taken[seat] = false;
        self.taken[right] = false;
    }

    /// Whether every fork is back on the table.
    pub fn all_free(&self) -> bool {
        self.taken.iter().all(|taken| !taken)
    }
}

/// The attempts to take forks made since the last call, and starts
/// counting afresh.
pub fn take_attempts() -> u64 {
    ATTEMPTS.swap(0, Ordering::Relaxed)
}

/// The little computation each fork-join message does (Savina's
/// `performComputation`), kept from being optimised away.
pub fn compute(theta: f64) -> f64 {
    let sint = std::hint::black_box(theta).to_radians().sin();
    std::hint::black_box(sint * sint)
}

/// A deterministic random sequence (SplitMix64), the same on every system.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }

    /// Another index than `me` in `0..count` (`count` ≥ 2).
    pub fn other(&mut self, me: usize, count: usize) -> usize {
        (me + 1 + self.below(count - 1)) % count
    }
}

/// A chameneo's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Blue,
    Red,
    Yellow,
}

impl Colour {
    /// The colour chameneo `i` starts with.
    pub fn initial(i: usize) -> Colour {
        [Colour::Blue, Colour::Red, Colour::Yellow][i % 3]
    }

    /// The colour after meeting one of colour `other`.
    pub fn complement(self, other: Colour) -> Colour {
        use Colour::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Blue, Red) | (Red, Blue) => Yellow,
            (Blue, Yellow) | (Yellow, Blue) => Red,
            _ => Blue,
        }
    }
}

/// One request of concurrent-dictionary worker `worker`, number `i`: a
/// write of `(key, value)` one time in ten, else a read of the key this
/// worker wrote last (which must be found).
pub fn dict_request(worker: usize, per: u64, i: u64) -> (bool, u64, u64) {
    let key = worker as u64 * per + i / 10 * 10;
    (i % 10 == 0, key, key * 2 + 1)
}

/// The dictionary's expected size and sum of values after every worker.
pub fn dict_expected(workers: usize, per: u64) -> (u64, u64) {
    let mut len = 0;
    let mut sum = 0_u64;
    for w in 0..workers {
        for i in (0..per).step_by(10) {
            let (_, _, value) = dict_request(w, per, i);
            len += 1;
            sum = sum.wrapping_add(value);
        }
    }
    (len, sum)
}

/// The teller's `i`-th transfer among `accounts`: source, destination and
/// amount.
pub fn transfer(rng: &mut Rng, accounts: usize) -> (usize, usize, i64) {
    let from = rng.below(accounts);
    let to = rng.other(from, accounts);
    (from, to, 1 + rng.below(1_000) as i64)
}

/// Runs `program` on `system`; `None` where the system has no version of
/// it (the remote floors, and `threads-raw`).
pub fn run(system: System, program: Savina, n: u64) -> Option<Measurement> {
    match system {
        System::ActiumTasks => actium::run(program, n, Mode::Tasks),
        System::ActiumThreads => actium::run(program, n, Mode::Threads),
        System::TokioRaw => tokio_raw::run(program, n),
        System::Actix => actix::run(program, n),
        System::Ractor => ractor::run(program, n),
        System::Kameo => kameo::run(program, n),
        System::TcpRaw | System::ThreadsRaw | System::NatsRaw => None,
    }
}

#[cfg(test)]
mod tests;
