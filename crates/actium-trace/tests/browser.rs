//! The SVG displays in a real browser: Debian's headless Chromium takes a
//! screenshot of a rendered trace, and the picture must not be blank.
//!
//! Slow (it starts a browser) and needs Chromium
//! (`bash scripts/install-chromium`), so it is ignored by the default test
//! run; `.ci/run` runs it with
//! `cargo test -p actium-trace --test browser -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use actium_trace::{Diagram, Filter, Format, merge, read_file};

const CHROMIUM: &str = "/usr/bin/chromium";

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// A fresh directory for one check, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("actium-browser-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The size an SVG declares.
fn size(svg: &str) -> (u32, u32) {
    let document = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let root = document.root_element();
    let number = |name| {
        root.attribute(name)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v.ceil() as u32)
            .expect("the SVG declares its size")
    };
    (number("width"), number("height"))
}

/// Renders `svg` in headless Chromium and returns the screenshot's pixels
/// as RGBA rows, with its width and height.
fn screenshot(svg: &str, name: &str) -> (Vec<u8>, u32, u32) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `bash scripts/install-chromium` (as root)"
    );
    let scratch = Scratch::new(name);
    let picture = scratch.0.join("sequence.svg");
    let png = scratch.0.join("screenshot.png");
    std::fs::write(&picture, svg).expect("SVG written");
    let (width, height) = size(svg);
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.0.join("profile").display()
        ))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", picture.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish its screenshot within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium failed: {status}");
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png).expect("chromium wrote a screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG pixels");
    pixels.truncate(frame.buffer_size());
    let channels = frame.color_type.samples();
    let rgba: Vec<u8> = pixels
        .chunks(channels)
        .flat_map(|p| match p.len() {
            4 => [p[0], p[1], p[2], p[3]],
            3 => [p[0], p[1], p[2], 255],
            _ => [p[0], p[0], p[0], 255],
        })
        .collect();
    (rgba, frame.width, frame.height)
}

/// Fails unless the picture has ink on it: enough non-white pixels, in
/// several colours (black lines, blue headers, red errors).
fn assert_drawn(rgba: &[u8], width: u32, height: u32) {
    let pixels = rgba.len() / 4;
    assert_eq!(pixels, (width * height) as usize);
    let ink = rgba
        .chunks(4)
        .filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200)
        .count();
    let share = ink as f64 / pixels as f64;
    assert!(
        (0.01..0.6).contains(&share),
        "{:.1}% of the screenshot is ink: blank or unreadable",
        share * 100.0
    );
    let reddish = rgba
        .chunks(4)
        .filter(|p| p[0] > 150 && p[1] < 100 && p[2] < 100)
        .count();
    assert!(
        reddish > 50,
        "the error arrows are not red ({reddish} red pixels)"
    );
}

#[test]
#[ignore = "starts Chromium; run by .ci/run"]
fn the_svg_of_a_trace_displays_in_chromium() {
    let trace = read_file(golden("shop.jsonl")).expect("fixture");
    let svg = Format::Svg.render(&Diagram::build(&trace.records, &Filter::default()));
    let (rgba, width, height) = screenshot(&svg, "shop");
    assert_eq!((width, height), size(&svg), "the whole picture was shot");
    assert_drawn(&rgba, width, height);
}

#[test]
#[ignore = "starts Chromium; run by .ci/run"]
fn the_svg_of_two_nodes_displays_in_chromium() {
    let a = read_file(golden("node_a.jsonl")).expect("fixture").records;
    let b = read_file(golden("node_b.jsonl")).expect("fixture").records;
    let mut records = merge(vec![a, b]);
    // An error, so the check can look for red.
    if let Some(reply) = records
        .iter_mut()
        .find(|r| r.kind == actium_trace::Kind::Reply)
    {
        reply.kind = actium_trace::Kind::Error;
    }
    let svg = Format::Svg.render(&Diagram::build(&records, &Filter::default()));
    let (rgba, width, height) = screenshot(&svg, "two-nodes");
    assert_drawn(&rgba, width, height);
}
