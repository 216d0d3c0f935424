//! A shutdown that has to wait says why: once it has waited a second for
//! actors that have not stopped, it prints one line naming each of them
//! and the method it runs, then goes on waiting until the grace ends.
//!
//! Each case runs in a fresh process of this test binary (an ignored
//! scenario selected by name), so that no `tracing` subscriber of another
//! test is installed and the line goes to standard error, where the test
//! reads it.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::Gate;

#[test]
#[ignore = "run in a fresh process by the tests below"]
fn scenario_stuck_method() {
    System::builder()
        .mode(Mode::Tasks)
        .shutdown_grace(Duration::from_secs(3))
        .launch(async {
            let (gate, _open, entered) = Gate::new();
            let gate = gate.spawn();
            SystemHandle::current().register("stuck", &gate)?;
            // Sent, never answered: `hold` waits for a gate nobody opens.
            drop(gate.hold());
            entered.wait().await;
            Ok::<(), Error>(())
        })
        .expect("the program ends");
}

#[test]
#[ignore = "run in a fresh process by the tests below"]
fn scenario_quick_stop() {
    System::builder()
        .mode(Mode::Tasks)
        .shutdown_grace(Duration::from_secs(3))
        .launch(async {
            let counter = support::Counter::default().spawn();
            counter.incr()?;
            assert_eq!(counter.get().await?, 1);
            Ok::<(), Error>(())
        })
        .expect("the program ends");
}

#[test]
fn a_shutdown_kept_waiting_names_the_actors_and_their_methods() {
    let stderr = support::in_fresh_process("scenario_stuck_method");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("shutdown is waiting"))
        .collect();
    assert_eq!(lines.len(), 1, "one line, once:\n{stderr}");
    assert!(
        lines[0].contains("1 actor(s)") && lines[0].contains("Gate") && lines[0].contains("`hold`"),
        "names the actor and its method: {}",
        lines[0]
    );
    assert!(
        lines[0].contains("shutdown_grace"),
        "says how to change the wait: {}",
        lines[0]
    );
}

#[test]
fn a_shutdown_that_does_not_wait_says_nothing() {
    let stderr = support::in_fresh_process("scenario_quick_stop");
    assert!(
        !stderr.contains("shutdown is waiting"),
        "a quick shutdown is quiet:\n{stderr}"
    );
}
