//! The page of `actium observe` in a real browser (issue 18): Debian's
//! headless Chromium loads it from the CLI watching a node in this
//! process, runs its script, and dumps the DOM it built: the actors'
//! names, the sequence diagram's SVG, and counts that grow between two
//! loads.
//!
//! Slow (it starts a browser twice) and needs Chromium
//! (`bash scripts/install-chromium`), so it is ignored by the default test
//! run; `.ci/run` runs it with
//! `cargo test -p actium-cli --test observe_browser -- --ignored`.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{COOKIE, Demo, Observer};

/// A name that would mark the page if the browser ran it as markup.
const MARKING: &str = r#"<img src=x onerror="document.body.dataset.pwned=1">&"q"<script>document.body.dataset.pwned=2<\script>"#;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM of `url` after its script ran for `budget_ms` of virtual time
/// (fetches pause virtual time, so their answers are in).
fn dump_dom(url: &str, budget_ms: u32) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `bash scripts/install-chromium` (as root)"
    );
    // One profile a launch: two browsers on one profile refuse to start,
    // and the tests run in parallel.
    static LAUNCHES: AtomicUsize = AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "actium-observe-browser-{}-{}",
        std::process::id(),
        LAUNCHES.fetch_add(1, Ordering::Relaxed)
    ));
    let child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let output = child.wait_with_output().expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "chromium took {:?}",
        started.elapsed()
    );
    assert!(
        output.status.success(),
        "chromium failed: {}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of `attribute="…"` on the first element that has `marker`.
fn attribute_near(dom: &str, marker: &str, attribute: &str) -> Option<u64> {
    let at = dom.find(marker)?;
    let start = if marker.starts_with('<') {
        at
    } else {
        dom[..at].rfind('<')?
    };
    let element = &dom[start..];
    let element = &element[..element.find('>')?];
    let value = element.split(&format!("{attribute}=\"")).nth(1)?;
    value[..value.find('"')?].parse().ok()
}

#[test]
#[ignore = "starts Chromium; run by .ci/run"]
fn the_page_shows_the_actors_and_the_diagram_and_updates_in_chromium() {
    let demo = Demo::start(true);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    let first = observer.state_when("a snapshot with a diagram", |s| {
        s["events"].as_u64() > Some(0)
    });
    let seen = first["updates"].as_u64().unwrap_or_default();

    let before = dump_dom(&format!("{}/", observer.url), 3_000);
    assert!(before.contains("Ponger#"), "{before}");
    assert!(before.contains(">ponger<"), "the names show: {before}");
    assert!(before.contains("<svg"), "the diagram is drawn: {before}");
    let refreshes = attribute_near(&before, "<body", "data-refreshes").expect("a count");
    assert!(refreshes >= 2, "the page refreshed {refreshes} times");
    let handled_before =
        attribute_near(&before, "data-label=\"Ponger#", "data-handled").expect("the row");

    // The CLI's poller must have heard from the node since: a new load
    // then shows newer counts.
    observer.state_when("a newer snapshot", |s| {
        s["updates"].as_u64() > Some(seen + 2)
    });
    let after = dump_dom(&format!("{}/", observer.url), 1_000);
    let handled_after =
        attribute_near(&after, "data-label=\"Ponger#", "data-handled").expect("the row");
    assert!(
        handled_after > handled_before,
        "handled went from {handled_before} to {handled_after}"
    );
}

#[test]
#[ignore = "starts Chromium; run by .ci/run"]
fn texts_from_the_node_run_no_script_in_chromium() {
    let demo = Demo::start(true);
    demo.trick(MARKING, MARKING);
    let observer = Observer::start(&demo.address, &["--cookie", COOKIE]);
    observer.state_when("the tricky actor's row and a diagram", |s| {
        s["events"].as_u64() > Some(0)
            && s["actors"]
                .as_array()
                .is_some_and(|actors| actors.iter().any(|a| a["name"] == MARKING))
    });
    let dom = dump_dom(&format!("{}/", observer.url), 3_000);
    assert!(dom.contains("<svg"), "the diagram is drawn: {dom}");
    assert!(
        dom.contains("&lt;img src=x onerror="),
        "the name shows as text: {dom}"
    );
    assert!(
        !dom.contains("data-pwned"),
        "a script from the node ran: {dom}"
    );
    assert!(
        !dom.contains("<img"),
        "markup from the node was built: {dom}"
    );
}
