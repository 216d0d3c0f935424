//! The `actium` binary on real trace files: rendering in each format, the
//! filters, statistics, and damaged or missing files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../actium-trace/tests/golden")
        .join(name)
}

fn actium(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actium"))
        .args(args)
        .output()
        .expect("the actium binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A scratch file removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        Scratch(std::env::temp_dir().join(format!("actium-cli-{}-{name}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn render_writes_mermaid_to_standard_output_like_the_library() {
    let out = actium(&[
        "trace",
        "render",
        path(&golden("shop.jsonl")),
        "--format",
        "mermaid",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(golden("shop.mmd")).expect("golden");
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn render_applies_actor_and_limit_filters() {
    let out = actium(&[
        "trace",
        "render",
        path(&golden("shop.jsonl")),
        "-f",
        "mermaid",
        "--actor",
        "warehouse",
        "--limit",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(golden("shop_limited.mmd")).expect("golden");
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn render_fails_when_the_filter_matches_nothing() {
    let out = actium(&[
        "trace",
        "render",
        path(&golden("shop.jsonl")),
        "-f",
        "mermaid",
        "--actor",
        "NoSuchActor",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("the filter matched no message"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn render_merges_nodes_and_picks_the_format_from_the_output_name() {
    let svg = Scratch::new("two.svg");
    let out = actium(&[
        "trace",
        "render",
        path(&golden("node_a.jsonl")),
        path(&golden("node_b.jsonl")),
        "-o",
        path(&svg.0),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let picture = std::fs::read_to_string(&svg.0).expect("written");
    assert!(picture.starts_with("<svg"));
    assert_eq!(picture.matches(r#"<g class="node""#).count(), 2);

    let puml = Scratch::new("two.puml");
    let out = actium(&[
        "trace",
        "render",
        path(&golden("node_a.jsonl")),
        path(&golden("node_b.jsonl")),
        "-o",
        path(&puml.0),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = std::fs::read_to_string(golden("two_nodes.puml")).expect("golden");
    assert_eq!(std::fs::read_to_string(&puml.0).expect("written"), expected);
}

#[test]
fn render_keeps_a_time_window_and_method_filter() {
    let out = actium(&[
        "trace",
        "render",
        path(&golden("shop.jsonl")),
        "-f",
        "plantuml",
        "--method",
        "reserve",
        "--until",
        "1s",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let diagram = text(&out.stdout);
    assert_eq!(diagram.matches("reserve(").count(), 2, "{diagram}");
    assert!(!diagram.contains("charge("), "{diagram}");
}

#[test]
fn bad_lines_are_reported_by_number_and_the_rest_is_drawn() {
    let good = std::fs::read_to_string(golden("shop.jsonl")).expect("fixture");
    let mut lines: Vec<&str> = good.lines().collect();
    let last = lines.pop().expect("a line");
    let damaged = format!(
        "{}\n{{\"v\":1,\"kind\":\n{}\n{}",
        lines[..4].join("\n"),
        lines[4..].join("\n"),
        &last[..last.len() / 2]
    );
    let file = Scratch::new("damaged.jsonl");
    std::fs::write(&file.0, damaged).expect("written");
    let out = actium(&["trace", "render", path(&file.0), "-f", "mermaid"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let warnings = text(&out.stderr);
    assert!(
        warnings.contains("damaged.jsonl:5: not a trace event"),
        "{warnings}"
    );
    let total = good.lines().count() + 1;
    assert!(
        warnings.contains(&format!("damaged.jsonl:{total}: truncated")),
        "{warnings}"
    );
    assert!(text(&out.stdout).contains("restock(\"apples\", 10)"));
}

#[test]
fn a_missing_file_fails_with_its_name() {
    let out = actium(&["trace", "render", "/nonexistent/trace.jsonl"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cannot read /nonexistent/trace.jsonl"));
}

#[test]
fn an_unknown_format_is_refused_by_name() {
    let out = actium(&["trace", "render", path(&golden("shop.jsonl")), "-f", "png"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown diagram format `png`"));
}

#[test]
fn stats_count_messages_and_measure_answers() {
    let out = actium(&["trace", "stats", path(&golden("shop.jsonl"))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("warehouse (Warehouse#1)"), "{table}");
    let reserve = table
        .lines()
        .find(|l| l.trim_start().starts_with("Warehouse::reserve"))
        .expect("a row for reserve");
    let columns: Vec<&str> = reserve.split_whitespace().collect();
    // method, tells, asks, errors, timeouts, late, refused, unanswered,
    // p50, p90, p99, max
    assert_eq!(
        &columns[1..8],
        ["0", "2", "1", "0", "0", "0", "0"],
        "{reserve}"
    );
    assert!(columns[8].ends_with('s'), "{reserve}");
}
