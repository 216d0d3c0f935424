//! `actium observe`: a local web page watching a running node.
//!
//! The CLI starts a client node (`client`, as `actium top` does: TCP, or
//! NATS for a `nats://` node) and a small HTTP
//! server (tiny_http) on 127.0.0.1. A poller thread asks the node, each
//! interval, for its snapshot and for the last messages of its flight
//! recorder, draws those as an SVG sequence diagram with actium-trace's
//! renderer, and keeps the result in a [`Watch`]; the server answers from
//! it without waiting for the node, so an unreachable node slows no page.
//!
//! - `GET /` — the page (`page.html`: inline CSS and JS, nothing from
//!   elsewhere), which fetches the two below every interval;
//! - `GET /api/state.json` — the actors, tree, names and traffic, and
//!   why the last request failed if it did (`state.rs`);
//! - `GET /api/diagram.svg` — the diagram; 503 with the reason as text
//!   when there is none (no flight recorder, an unknown actor).
//!
//! What goes wrong with the node is shown on the page and written once
//! to standard error each time it changes.
//!
//! Safety of the page: requests naming another host get 403 (`origin.rs`:
//! no DNS rebinding) and no answer carries CORS headers, so no other
//! site's page can read it. Every text from the node reaches the page
//! through `textContent` or escaped by the SVG renderer, and the page's
//! Content-Security-Policy runs only its own script (a per-process nonce),
//! loads nothing from elsewhere and may not be framed.

mod origin;
mod state;

use std::hash::{BuildHasher as _, RandomState};
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use actium_core::System;
use tiny_http::{Header, Method, Response, Server};

use state::Watch;

use crate::args::Observe;
use crate::client::{ClientNode, Join};

const PAGE: &str = include_str!("page.html");

/// Runs `actium observe`.
pub fn run(observe: &Observe) -> Result<(), String> {
    let server = Server::http(observe.listen)
        .map_err(|error| format!("cannot serve on {}: {error}", observe.listen))?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("cannot serve on {}: not an IP address", observe.listen))?;
    if !bound.ip().is_loopback() {
        eprintln!(
            "actium: warning: serving on {bound}, beyond this machine: the page has no password"
        );
    }
    let system = System::builder()
        .workers(1)
        .start()
        .map_err(|error| format!("cannot start a system: {error}"))?;
    let join = Join {
        name: "actium-observe",
        cookie: observe.cookie.as_deref(),
        #[cfg(feature = "nats")]
        nats: &observe.nats,
    };
    let result = ClientNode::start(&system, &observe.node, &join).and_then(|node| {
        // The first line of standard output is where to look: scripts
        // and tests read it.
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{bound}/")
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write: {error}"))?;
        drop(out);
        let served = serve(&system, &node, observe, &server);
        node.shutdown();
        served
    });
    system.shutdown();
    result
}

fn lock(watch: &Mutex<Watch>) -> std::sync::MutexGuard<'_, Watch> {
    // The watch is plain data, whole after any panic.
    watch.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Polls the node on a thread and answers HTTP requests on this one
/// until `--exit-after` (or forever).
fn serve(
    system: &System,
    node: &ClientNode,
    observe: &Observe,
    server: &Server,
) -> Result<(), String> {
    let watch = Arc::new(Mutex::new(Watch::default()));
    let deadline = observe.exit_after.map(|d| Instant::now() + d);
    let interval_ms = u64::try_from(observe.interval.as_millis()).unwrap_or(u64::MAX);
    let page = Page::new(interval_ms, server_port(server));
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let polled = watch.clone();
        scope.spawn(move || poll(system, node, observe, &polled, &stopped));
        let result = loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Ok(());
            }
            let request = match server.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(request)) => request,
                Ok(None) => continue,
                Err(error) => break Err(format!("the web server failed: {error}")),
            };
            answer(request, &watch, &observe.node, &page);
        };
        drop(stop);
        result
    })
}

/// Asks the node each interval until `stopped` says the server ended.
fn poll(
    system: &System,
    node: &ClientNode,
    observe: &Observe,
    watch: &Mutex<Watch>,
    stopped: &mpsc::Receiver<()>,
) {
    let mut reported: Option<String> = None;
    loop {
        let problem = poll_once(system, node, observe, watch);
        if problem != reported {
            if let Some(problem) = &problem {
                eprintln!("actium: {problem}");
            }
            reported = problem;
        }
        match stopped.recv_timeout(observe.interval) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}

/// One round: the snapshot, then the diagram. Returns what went wrong,
/// if anything did.
fn poll_once(
    system: &System,
    node: &ClientNode,
    observe: &Observe,
    watch: &Mutex<Watch>,
) -> Option<String> {
    let snapshot = match node.snapshot(system, &observe.node) {
        Ok(snapshot) => snapshot,
        Err(problem) => {
            lock(watch).view.problem = Some(problem.clone());
            return Some(problem);
        }
    };
    let diagram = state::resolve(&snapshot, &observe.actors)
        .and_then(|actors| node.recent(system, &observe.node, &actors, observe.last));
    let (diagram, events) = match diagram {
        Ok(events) => {
            let (svg, drawn) = state::diagram(&state::records(&events, &snapshot));
            (Ok(svg), drawn)
        }
        Err(problem) => (Err(problem), 0),
    };
    let problem = diagram.as_ref().err().cloned();
    let mut watch = lock(watch);
    watch.view.update(snapshot);
    watch.updates += 1;
    watch.diagram = Some(diagram);
    watch.events = events;
    problem
}

fn server_port(server: &Server) -> u16 {
    server
        .server_addr()
        .to_ip()
        .map_or(0, |address| address.port())
}

/// What every answer of the server needs: the page as served, its
/// script's nonce, and the port that requests must name.
struct Page {
    html: String,
    policy: String,
    interval_ms: u64,
    port: u16,
}

impl Page {
    fn new(interval_ms: u64, port: u16) -> Page {
        // The nonce must only be unknown to what the node sends (which
        // could try to smuggle a script into the page): std's hasher keys
        // come from the operating system's randomness.
        let nonce = format!(
            "{:016x}{:016x}",
            RandomState::new().hash_one(interval_ms),
            RandomState::new().hash_one(port)
        );
        Page {
            html: PAGE
                .replace("__INTERVAL_MS__", &interval_ms.to_string())
                .replace("__NONCE__", &nonce),
            policy: format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                 form-action 'none'; frame-ancestors 'none'"
            ),
            interval_ms,
            port,
        }
    }
}

fn answer(request: tiny_http::Request, watch: &Mutex<Watch>, node: &str, page: &Page) {
    let path = request.url().split('?').next().unwrap_or_default();
    let host = request
        .headers()
        .iter()
        .find(|header| header.field.equiv("Host"))
        .map(|header| header.value.as_str());
    let text = "text/plain; charset=utf-8";
    let (status, content_type, body): (u16, &str, String) =
        if !origin::host_allowed(host, page.port) {
            (
                403,
                text,
                format!(
                    "actium observe answers only for localhost or an IP address with port {}, \
                     not for {}",
                    page.port,
                    host.unwrap_or_default()
                ),
            )
        } else if *request.method() != Method::Get {
            (405, text, "only GET".to_owned())
        } else {
            match path {
                "/" | "/index.html" => (200, "text/html; charset=utf-8", page.html.clone()),
                "/api/state.json" => (
                    200,
                    "application/json",
                    state::json(&lock(watch), node, page.interval_ms).to_string(),
                ),
                "/api/diagram.svg" => match &lock(watch).diagram {
                    Some(Ok(svg)) => (200, "image/svg+xml", svg.clone()),
                    Some(Err(problem)) => (503, text, problem.clone()),
                    None => (503, text, "waiting for the node…".to_owned()),
                },
                _ => (404, text, format!("nothing at {path}: try /")),
            }
        };
    let mut response = Response::from_string(body).with_status_code(status);
    // No CORS header, ever: other origins must not read these answers.
    for (name, value) in [
        ("Content-Type", content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", page.policy.as_str()),
    ] {
        if let Ok(header) = Header::from_bytes(name, value) {
            response.add_header(header);
        }
    }
    // A browser that went away is not the server's problem.
    let _ = request.respond(response);
}
