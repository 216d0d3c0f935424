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

/// A tmux session running a command, killed when dropped.
struct Tmux {
    session: String,
}

impl Tmux {
    fn tmux(args: &[&str]) -> Option<std::process::Output> {
        Command::new("tmux").args(args).output().ok()
    }

    fn start(command: &[&str]) -> Option<Tmux> {
        let session = format!("actium-top-test-{}", std::process::id());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "140",
            "-y",
            "40",
            "--",
        ];
        args.extend_from_slice(command);
        let started = Tmux::tmux(&args)?;
        started.status.success().then_some(Tmux { session })
    }

    fn screen(&self) -> String {
        Tmux::tmux(&["capture-pane", "-p", "-t", &self.session])
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    }

    fn keys(&self, keys: &str) {
        let _ = Tmux::tmux(&["send-keys", "-t", &self.session, keys]);
    }

    fn alive(&self) -> bool {
        Tmux::tmux(&["has-session", "-t", &self.session]).is_some_and(|out| out.status.success())
    }

    /// Waits until `done` holds, at most 20 s. tmux offers no event to
    /// wait on for "the screen shows this", so this looks every 50 ms.
    fn until(&self, what: &str, done: impl Fn(&Tmux) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !done(self) {
            assert!(
                std::time::Instant::now() < deadline,
                "gave up waiting for {what}; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Tmux::tmux(&["kill-session", "-t", &self.session]);
    }
}

#[test]
fn top_in_a_terminal_switches_sort_on_s_and_quits_on_q() {
    if Tmux::tmux(&["-V"]).is_none_or(|out| !out.status.success()) {
        eprintln!("skipped: tmux is not installed");
        return;
    }
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
    let address = node.address().to_string();
    let binary = env!("CARGO_BIN_EXE_actium");
    let tmux = Tmux::start(&[binary, "top", &address, "--cookie", COOKIE]).expect("tmux starts");
    tmux.until("the ticker's row", |t| {
        t.screen().contains("ticker → Ticker#")
    });
    assert!(tmux.screen().contains("sorted by mailbox depth"));
    tmux.keys("s");
    tmux.until("the rate sort", |t| {
        t.screen().contains("sorted by message rate")
    });
    tmux.keys("q");
    tmux.until("top to quit", |t| !t.alive());
    drop(tmux);
    node.shutdown();
    system.shutdown();
}
