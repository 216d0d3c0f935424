//! `#[actium::sim_test]`: a body run over many seeds, the first failing
//! seed reported with the command that replays it, and the replay failing
//! the same way — same seed, same run digest — in another process.

#[path = "support/register.rs"]
mod register;

use std::process::Command;

use actium::prelude::*;
use register::Register;

struct Client;

#[actor]
impl Client {
    /// Get, then set one more: loses updates when clients interleave.
    #[ask]
    async fn get_then_set(&self, register: ActorRef<Register>) -> Result<(), Error> {
        let seen = register.get().await?;
        register.set(seen + 1).await
    }
}

#[actium::sim_test(seeds = 200)]
async fn atomic_increments_are_never_lost(seed: u64) -> actium::Result<()> {
    let register = Register::default().spawn();
    let calls: Vec<_> = (0..4).map(|_| register.incr()).collect();
    for call in calls {
        call.await?;
    }
    assert_eq!(register.get().await?, 4, "seed {seed}");
    Ok(())
}

/// The bug: run only from `the_first_failing_seed_is_reported_and_replays`.
#[actium::sim_test(seeds = 200)]
#[ignore = "fails on purpose; run by another test in a fresh process"]
async fn get_then_set_loses_updates() -> actium::Result<()> {
    let register = Register::default().spawn();
    let calls: Vec<_> = (0..2)
        .map(|_| Client.spawn().get_then_set(register.clone()))
        .collect();
    for call in calls {
        call.await??;
    }
    assert_eq!(register.get().await?, 2, "an update was lost");
    Ok(())
}

/// Runs `get_then_set_loses_updates` in a fresh process with `env`, and
/// returns its failure report.
fn run_buggy(env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([
            "get_then_set_loses_updates",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(env.iter().copied())
        .env_remove(if env.is_empty() {
            actium::sim::SEED_VAR
        } else {
            ""
        })
        .output()
        .expect("the test binary runs");
    assert!(!output.status.success(), "the bug was not found");
    // The report: from the line naming the seed to the replay command.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let start = stderr
        .find("simulation `")
        .unwrap_or_else(|| panic!("no failure report in:\n{stderr}"));
    let report = &stderr[start..];
    let end = report.find("cargo test").expect("a replay command");
    report[..end].to_owned()
}

#[test]
fn the_first_failing_seed_is_reported_and_replays() {
    let found = run_buggy(&[]);
    let seed = found
        .split("failed with seed ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("a seed")
        .to_owned();
    assert!(found.contains("an update was lost"), "{found}");
    assert!(found.contains("run digest"), "{found}");
    // Replayed alone, in another process: the same failure, same digest.
    let replayed = run_buggy(&[(actium::sim::SEED_VAR, &seed)]);
    assert_eq!(replayed, found);
}
