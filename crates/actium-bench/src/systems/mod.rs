//! The systems compared, each implementing the workloads it can express.

use ::actium::Mode;

use crate::workload::{Measurement, Workload};

pub mod actium_nats;
pub mod actium_remote;
mod actium_system;
mod actix_peer;
mod kameo_peer;
pub mod nats_peer;
pub mod nats_raw;
mod ractor_peer;
pub mod tcp_raw;
mod threads_raw;
mod tokio_raw;

/// One system under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    ActiumTasks,
    ActiumThreads,
    TokioRaw,
    Actix,
    Ractor,
    Kameo,
    TcpRaw,
    ThreadsRaw,
    /// The floor of the NATS workloads: raw async-nats.
    NatsRaw,
}

impl System {
    pub const ALL: [System; 8] = [
        System::ActiumTasks,
        System::ActiumThreads,
        System::TokioRaw,
        System::Actix,
        System::Ractor,
        System::Kameo,
        System::TcpRaw,
        System::ThreadsRaw,
    ];

    /// Systems that run only the NATS workloads: kept out of the main
    /// table and chart, which `System::ALL` makes.
    pub const EXTRA: [System; 1] = [System::NatsRaw];

    /// The peers users would pick instead (the floors are not peers).
    pub const PEERS: [System; 3] = [System::Actix, System::Ractor, System::Kameo];

    pub fn name(self) -> &'static str {
        match self {
            System::ActiumTasks => "actium-tasks",
            System::ActiumThreads => "actium-threads",
            System::TokioRaw => "tokio-raw",
            System::Actix => "actix",
            System::Ractor => "ractor",
            System::Kameo => "kameo",
            System::TcpRaw => "tcp-raw",
            System::ThreadsRaw => "threads-raw",
            System::NatsRaw => "nats-raw",
        }
    }

    pub fn parse(name: &str) -> Option<System> {
        System::ALL
            .into_iter()
            .chain(System::EXTRA)
            .find(|s| s.name() == name)
    }

    /// Whether each actor is an OS thread (so workloads use fewer).
    pub fn is_threaded(self) -> bool {
        matches!(self, System::ActiumThreads | System::ThreadsRaw)
    }

    /// Runs one workload in this process; `None` when the system cannot
    /// express it.
    pub fn run(self, workload: Workload, n: u64) -> Option<Measurement> {
        if let Workload::Savina(program) = workload {
            return crate::savina::run(self, program, n);
        }
        match self {
            System::ActiumTasks => actium_system::run(workload, n, Mode::Tasks),
            System::ActiumThreads => actium_system::run(workload, n, Mode::Threads),
            System::TokioRaw => tokio_raw::run(workload, n),
            System::Actix => actix_peer::run(workload, n),
            System::Ractor => ractor_peer::run(workload, n),
            System::Kameo => kameo_peer::run(workload, n),
            System::TcpRaw => tcp_raw::run(workload, n),
            System::ThreadsRaw => threads_raw::run(workload, n),
            System::NatsRaw => nats_raw::run(workload, n),
        }
    }
}

#[cfg(test)]
mod nats_tests;
