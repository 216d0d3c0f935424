//! What the tests of `actium observe` share: a node in this process whose
//! actors keep talking, the `actium observe` binary serving a page about
//! it, and a plain HTTP client for that page.
#![allow(dead_code, reason = "each test file uses part of it")]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actium::prelude::*;
use actium::remote::Node;

pub const COOKIE: &str = "observe-test-cookie";

#[derive(Default)]
pub struct Ponger {
    pings: u64,
}

#[actor]
impl Ponger {
    #[ask]
    fn ping(&mut self, n: u64) -> u64 {
        self.pings += 1;
        n + 1
    }
}

pub struct Pinger {
    ponger: ActorRef<Ponger>,
}

#[actor]
impl Pinger {
    #[tell]
    fn start(&mut self, ctx: &mut Context<Self>) {
        let _timer = ctx.interval(Duration::from_millis(10), |me| me.ping());
    }

    #[tell]
    async fn ping(&mut self) {
        let _answer = self.ponger.ping(1).await;
    }
}

/// An actor that answers each request with the error it is given: texts
/// meant to break out of the page (`<script>`, quotes, `&`).
pub struct Tricky;

#[actor]
impl Tricky {
    #[ask]
    fn fail(&self, error: String) -> Result<u8, String> {
        Err(error)
    }
}

/// A text that would run a script if a page took it as markup.
pub const TRICKY: &str = r#"<script>alert("x")<\script><img src=x onerror=alert(1)>&amp;"q"'"#;

/// A node with a `pinger` asking a `ponger` every 10 ms; with a flight
/// recorder of 1,000 events if `flight`.
pub struct Demo {
    system: Option<System>,
    node: Option<Node>,
    pub address: String,
}

impl Demo {
    pub fn start(flight: bool) -> Demo {
        let system = System::builder().metrics(true).start().expect("system");
        let node = system
            .block_on(async {
                let mut builder = Node::builder().system(system.handle()).cookie(COOKIE);
                if flight {
                    builder = builder.flight_recorder(1_000);
                }
                builder.start().await
            })
            .expect("node");
        system.block_on(async {
            let ponger = Ponger::default().spawn();
            node.register("ponger", &ponger).expect("registered");
            let pinger = Pinger { ponger }.spawn();
            node.register("pinger", &pinger).expect("registered");
            pinger.start().expect("started");
        });
        let address = node.address().to_string();
        Demo {
            system: Some(system),
            node: Some(node),
            address,
        }
    }
}

impl Demo {
    /// Spawns a [`Tricky`] registered under `name` and asks it once to
    /// fail with `error`, so the flight recorder holds both texts.
    pub fn trick(&self, name: &str, error: &str) {
        let (Some(system), Some(node)) = (&self.system, &self.node) else {
            return;
        };
        system.block_on(async {
            let tricky = Tricky.spawn();
            node.register(name, &tricky).expect("registered");
            let answer = tricky.fail(error.to_owned()).await;
            assert!(matches!(answer, Ok(Err(_))), "{answer:?}");
        });
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(node) = self.node.take() {
            node.shutdown();
        }
        if let Some(system) = self.system.take() {
            system.shutdown();
        }
    }
}

/// `actium observe` running against a node, killed when dropped.
pub struct Observer {
    child: Child,
    /// Where it serves, from the first line it printed.
    pub url: String,
}

impl Observer {
    /// Starts `actium observe NODE ARGS…`, refreshing every 200 ms and
    /// stopping by itself after a minute at most.
    pub fn start(node: &str, args: &[&str]) -> Observer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_actium"))
            .args([
                "observe",
                node,
                "--interval",
                "200ms",
                "--exit-after",
                "60s",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the actium binary runs");
        let stdout = child.stdout.take().expect("piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("a first line");
        let url = first.trim().trim_end_matches('/').to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first line: {first:?}"
        );
        Observer { child, url }
    }

    /// Stops it and returns what it wrote on standard error.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }

    /// `GET path`: the status code and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        get(&self.url, path)
    }

    /// The page's state, parsed.
    pub fn state(&self) -> serde_json::Value {
        let (status, body) = self.get("/api/state.json");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("the state is JSON")
    }

    /// Waits, at most 20 s, until the state satisfies `done`, and returns
    /// it. The server offers no event to wait on, so this asks every 50 ms.
    pub fn state_when(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let state = self.state();
            if done(&state) {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "gave up waiting for {what}: {state}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `url` (`http://host:port`) with HTTP/1.0: the status
/// code and the body.
pub fn get(url: &str, path: &str) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let (status, _, body) = get_as(url, path, host);
    (status, body)
}

/// `GET path` on `url` with `host` as the `Host` header, as a browser on
/// another site's page would send it: the status code, the head (status
/// line and headers) and the body.
pub fn get_as(url: &str, path: &str, host: &str) -> (u16, String, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("the server listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("request sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    (status, head.to_owned(), body.to_owned())
}

/// The `handled` count of the actor registered as `name`, in a state.
pub fn handled(state: &serde_json::Value, name: &str) -> Option<u64> {
    state["actors"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == name)?["handled"]
        .as_u64()
}
