//! `actium top` against a real node (issue 18): the binary asks a node in
//! this process for snapshots over TCP with the cluster's cookie and
//! prints frames as text (`--frames`), so no terminal is needed.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actium::prelude::*;
use actium::remote::Node;

const COOKIE: &str = "top-test-cookie";

#[derive(Default)]
struct Ticker {
    ticks: u64,
}

#[actor]
impl Ticker {
    #[ask]
    fn tick(&mut self) -> u64 {
        self.ticks += 1;
        self.ticks
    }
}

/// The HANDLED column of the table row naming `name`, in one frame.
fn handled(frame: &str, name: &str) -> Option<u64> {
    // The table is the left panel: cut each line at the side panels.
    let row = frame
        .lines()
        .filter_map(|line| line.split("││").next())
        .find(|table| table.contains(name) && table.contains("Ticker#"))?;
    let cells: Vec<&str> = row
        .trim_start_matches('│')
        .trim_start_matches("> ")
        .split_whitespace()
        .collect();
    // ACTOR NAME DEPTH MSG/S HANDLED
    cells.get(4)?.parse().ok()
}

#[test]
fn top_shows_a_nodes_actors_and_their_counters_moving() {
    let system = System::builder().start().expect("system");
    let node = system
        .block_on(
            Node::builder()
                .system(system.handle())
                .cookie(COOKIE)
                .start(),
        )
        .expect("node");
    let ticker = system.block_on(async { Ticker::default().spawn() });
    node.register("ticker", &ticker).expect("registered");

    // Keeps the ticker busy while `top` watches, one request at a time.
    let done = Arc::new(AtomicBool::new(false));
    let busy = {
        let (done, ticker) = (done.clone(), ticker.clone());
        std::thread::spawn(move || {
            for _ in 0..10_000_000 {
                if done.load(Ordering::Relaxed) || ticker.tick().wait().is_err() {
                    break;
                }
            }
        })
    };
    let output = Command::new(env!("CARGO_BIN_EXE_actium"))
        .args(["top", &node.address().to_string(), "--cookie", COOKIE])
        .args(["--frames", "2", "--interval", "200ms", "--width", "160"])
        .output()
        .expect("the actium binary runs");
    done.store(true, Ordering::Relaxed);
    busy.join().expect("the busy thread ends");
    node.shutdown();
    system.shutdown();

    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (first, second) = text
        .split_once("--- frame 2 ---")
        .expect("two frames printed");
    assert!(first.contains("ticker → Ticker#"), "{first}");
    let before =
        handled(first, "ticker").unwrap_or_else(|| panic!("no ticker row in frame 1:\n{first}"));
    let after = handled(second, "ticker").expect("the ticker's row in frame 2");
    assert!(
        after > before,
        "handled went from {before} to {after}\n{text}"
    );
}

#[test]
fn top_with_the_wrong_cookie_fails_with_a_reason() {
    let system = System::builder().start().expect("system");
    let node = system
        .block_on(
            Node::builder()
                .system(system.handle())
                .cookie(COOKIE)
                .start(),
        )
        .expect("node");
    let output = Command::new(env!("CARGO_BIN_EXE_actium"))
        .args(["top", &node.address().to_string(), "--cookie", "wrong"])
        .args(["--frames", "1"])
        .output()
        .expect("the actium binary runs");
    node.shutdown();
    system.shutdown();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("cannot get a snapshot of tcp://"), "{error}");
}
