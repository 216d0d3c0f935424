//! The NATS workloads once at a tiny size on each system that has them:
//! each run checks its own result (every ask echoed, every tell counted)
//! and panics on a wrong one. Skipped, with a note, where `nats-server`
//! is not installed.

use super::*;

const TINY: u64 = 200;

fn once(workload: Workload) {
    if which_nats_server().is_none() {
        eprintln!("note: nats-server is not installed: {workload} not tested");
        return;
    }
    for system in [System::ActiumTasks, System::ActiumThreads, System::NatsRaw] {
        let Some(measurement) = system.run(workload, TINY) else {
            panic!("{} has no {workload}", system.name());
        };
        assert_eq!(measurement.ops, TINY, "{workload} on {}", system.name());
    }
}

/// Where `nats-server` is on the `PATH`, if it is.
fn which_nats_server() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("nats-server"))
        .find(|file| file.is_file())
}

#[test]
fn nats_ask_once() {
    once(Workload::NatsAsk);
}

#[test]
fn nats_tell_once() {
    once(Workload::NatsTell);
}

/// Systems without a NATS transport say so instead of measuring.
#[test]
fn other_systems_skip_nats() {
    assert!(System::TcpRaw.run(Workload::NatsAsk, TINY).is_none());
    assert!(System::NatsRaw.run(Workload::RemoteAsk, TINY).is_none());
}
