//! CI's slice of the reliability runs: the panicking-calls run at full size
//! and a short mixed soak. Each runs the `actium-soak` binary, which checks
//! its own figures (answers, typed errors, RSS, open files) and exits
//! non-zero on a failure; the ten-minute soak is a separate command (see
//! the crate's docs).

use std::process::Command;

fn soak(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_actium-soak"))
        .args(args)
        .output()
        .expect("the soak binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "actium-soak {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{stdout}");
    stdout
}

#[test]
fn ten_thousand_panicking_calls_local_and_remote_leave_the_process_whole() {
    let summary = soak(&["panics", "--calls", "10000"]);
    assert!(
        summary.contains("local_panicked=10000 remote_panicked=10000"),
        "{summary}"
    );
}

#[test]
fn a_short_mixed_soak_answers_every_call_and_stays_flat() {
    let summary = soak(&["mixed", "--seconds", "12", "--clients", "8"]);
    assert!(summary.contains("late=0"), "{summary}");
    assert!(
        !summary.contains("node_restarts=0 "),
        "the remote node was restarted: {summary}"
    );
}
