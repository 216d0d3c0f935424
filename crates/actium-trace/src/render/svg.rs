//! A standalone SVG sequence diagram, laid out here: no Java, no browser,
//! no fonts to load.
//!
//! Layout, top to bottom: node groups (when several), a header box per
//! lifeline, then one row per message. Columns are as wide as their
//! headers, and the gap between two neighbours grows to fit the longest
//! label of an arrow between them. Activation bars start at the row of the
//! arrow that started the run and end at the row of its last arrow; nested
//! runs on one lifeline are offset to the right.
//!
//! Elements carry classes so tools (and the tests) can find them:
//! `participant` groups with a `lifeline` line, `message <arrow>` groups,
//! `activation` rectangles, `destroy` crosses where a lifeline ends,
//! `note` groups.

use std::fmt::Write as _;

use crate::diagram::{Arrow, Diagram, Step};

const MARGIN: f64 = 20.0;
/// Room for a node group's title: its id, and its address below.
const GROUP_TITLE: f64 = 36.0;
const GROUP_PAD: f64 = 10.0;
const HEADER: f64 = 44.0;
const ROW: f64 = 30.0;
const SELF_ROW: f64 = 44.0;
const BAR: f64 = 10.0;
const NEST: f64 = 6.0;
const MIN_BOX: f64 = 110.0;
const BOX_GAP: f64 = 24.0;
/// Average advance of a 12 px sans-serif character: an estimate, enough
/// to keep labels apart.
const CHAR: f64 = 7.0;

const INK: &str = "#263238";
const RED: &str = "#c62828";
const PURPLE: &str = "#6a1b9a";
const ORANGE: &str = "#ef6c00";
const GREY: &str = "#9e9e9e";

/// Escapes text for XML content and attribute values. Every text from a
/// trace (actor names and labels, methods, arguments, answers, errors,
/// exit reasons, node names and addresses) goes through it: `actium
/// observe` puts the SVG into a web page. Characters XML 1.0 forbids
/// (control characters but tab and line ends, U+FFFE, U+FFFF) become
/// U+FFFD, so that the SVG still parses.
fn xml(text: &str) -> String {
    super::escaped(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        '\t' | '\n' | '\r' => None,
        '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => Some("\u{fffd}"),
        _ => None,
    })
}

fn width_of(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR
}

/// Labels longer than this many characters are drawn on two lines, so
/// that long arguments widen the gap between lifelines by half as much.
const WRAP: usize = 26;
/// The height of a label's second line.
const LINE: f64 = 14.0;

/// A label's lines: itself, or two halves split at the last break (after
/// `,`, `(`, `@` or a space) within the first [`WRAP`] characters.
fn label_lines(label: &str) -> Vec<String> {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= WRAP {
        return vec![label.to_owned()];
    }
    let split = chars[..WRAP]
        .iter()
        .rposition(|c| matches!(c, ',' | '(' | '@' | ' '))
        .filter(|&at| at >= WRAP / 2)
        .map_or(WRAP, |at| at + 1);
    vec![
        chars[..split].iter().collect(),
        chars[split..]
            .iter()
            .collect::<String>()
            .trim_start()
            .to_owned(),
    ]
}

/// The width of a label as drawn (its widest line).
fn label_width(label: &str) -> f64 {
    label_lines(label)
        .iter()
        .map(|line| width_of(line))
        .fold(0.0, f64::max)
}

/// How far down a step moves the next row: a message's row (taller for a
/// message to oneself, and for a label on two lines); nothing else.
fn row_height(step: &Step) -> f64 {
    match step {
        Step::Message {
            from, to, label, ..
        } => {
            let base = if from == to { SELF_ROW } else { ROW };
            base + (label_lines(label).len() - 1) as f64 * LINE
        }
        Step::Activate(_) | Step::Deactivate(_) | Step::Destroy(_) => 0.0,
    }
}

/// A label as SVG `<tspan>`s: the first line where a one-line label would
/// be minus the lines below it, each next line [`LINE`] lower, all at `x`.
fn label_spans(label: &str, x: f64) -> String {
    let lines = label_lines(label);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let dy = if i == 0 {
            -((lines.len() - 1) as f64) * LINE
        } else {
            LINE
        };
        let _ = write!(
            out,
            r#"<tspan x="{x:.1}" dy="{dy:.1}">{}</tspan>"#,
            xml(line)
        );
    }
    out
}

/// Horizontal positions: each lifeline's centre, and its header's width.
struct Columns {
    centres: Vec<f64>,
    boxes: Vec<f64>,
    width: f64,
}

fn columns(diagram: &Diagram) -> Columns {
    let n = diagram.lifelines.len();
    let boxes: Vec<f64> = diagram
        .lifelines
        .iter()
        .map(|l| {
            let lines = [l.name.as_deref().unwrap_or(""), l.label.as_str()];
            let widest = lines.iter().map(|t| width_of(t)).fold(0.0, f64::max);
            (widest + 24.0).max(MIN_BOX)
        })
        .collect();
    // A node's frame is at least as wide as its title.
    let mut boxes = boxes;
    if diagram.is_multi_node() {
        for group in &diagram.nodes {
            let title = [
                format!("node {}", group.node),
                group.url.clone().unwrap_or_default(),
            ];
            let need =
                title.iter().map(|t| width_of(t)).fold(0.0, f64::max) - 2.0 * GROUP_PAD + 24.0;
            let (first, last) = (group.lifelines.start, group.lifelines.end - 1);
            let span = (first..last)
                .map(|i| (boxes[i] + boxes[i + 1]) / 2.0 + BOX_GAP)
                .sum::<f64>()
                + (boxes[first] + boxes[last]) / 2.0;
            if span < need {
                boxes[last] += need - span;
            }
        }
    }
    // The gap each pair of neighbours needs for the labels between them.
    let mut gaps: Vec<f64> = (1..n)
        .map(|i| (boxes[i - 1] + boxes[i]) / 2.0 + BOX_GAP)
        .collect();
    for step in &diagram.steps {
        if let Step::Message {
            from, to, label, ..
        } = step
        {
            let need = label_width(label) + 30.0;
            if from == to {
                if let Some(gap) = gaps.get_mut(*from) {
                    *gap = gap.max(need + 40.0);
                }
            } else if from.abs_diff(*to) == 1 {
                let gap = &mut gaps[(*from).min(*to)];
                *gap = gap.max(need);
            }
        }
    }
    // Lifelines of different nodes sit further apart: their groups' frames
    // go between them.
    for group in diagram.nodes.iter().skip(1) {
        if diagram.is_multi_node() && group.lifelines.start > 0 {
            gaps[group.lifelines.start - 1] += 2.0 * GROUP_PAD;
        }
    }
    let pad = if diagram.is_multi_node() {
        GROUP_PAD
    } else {
        0.0
    };
    let mut centres = Vec::with_capacity(n);
    let mut x = MARGIN + pad + boxes.first().copied().unwrap_or(MIN_BOX) / 2.0;
    for i in 0..n {
        if i > 0 {
            x += gaps[i - 1];
        }
        centres.push(x);
    }
    let mut width = centres.last().copied().unwrap_or(MARGIN)
        + boxes.last().copied().unwrap_or(0.0) / 2.0
        + pad
        + MARGIN;
    // Room for a self-message label on the last lifeline.
    for step in &diagram.steps {
        if let Step::Message {
            from, to, label, ..
        } = step
        {
            if from == to {
                width = width.max(centres[*from] + 46.0 + label_width(label) + MARGIN);
            }
        }
    }
    Columns {
        centres,
        boxes,
        width,
    }
}

/// How far below the last arrow's row a lifeline's end is drawn.
const DESTROY_OFFSET: f64 = 10.0;

/// Where each lifeline ends: at its actor's exit, else at `bottom`. Walks
/// the rows as [`steps`] lays them out.
fn lifeline_ends(diagram: &Diagram, first_row: f64, bottom: f64) -> Vec<f64> {
    let mut ends = vec![bottom; diagram.lifelines.len()];
    let mut y = first_row - ROW;
    for step in &diagram.steps {
        y += row_height(step);
        if let Step::Destroy(lifeline) = step {
            ends[*lifeline] = y + DESTROY_OFFSET;
        }
    }
    ends
}

/// An activation bar being drawn: where it began and how deep it nests.
struct OpenBar {
    lifeline: usize,
    top: f64,
    depth: usize,
}

/// Draws `diagram` as a standalone SVG document.
pub fn svg(diagram: &Diagram) -> String {
    let columns = columns(diagram);
    let group_top = MARGIN;
    let header_top = if diagram.is_multi_node() {
        group_top + GROUP_TITLE
    } else {
        MARGIN
    };
    let first_row = header_top + HEADER + 16.0;
    let rows: f64 = diagram.steps.iter().map(row_height).sum();
    let notes = super::notes(diagram);
    let bottom = first_row + rows + ROW / 2.0;
    let notes_top = bottom + 14.0;
    let legend_top = notes_top + notes.len() as f64 * 30.0 + 8.0;
    let height = legend_top + 30.0 + MARGIN;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{height:.0}" viewBox="0 0 {w:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
        w = columns.width.max(legend_width())
    );
    out.push_str("<title>Actium message trace</title>\n");
    defs(&mut out);
    out.push_str("<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    if diagram.is_multi_node() {
        for group in &diagram.nodes {
            let first = group.lifelines.start;
            let last = group.lifelines.end.saturating_sub(1);
            let left = columns.centres[first] - columns.boxes[first] / 2.0 - GROUP_PAD;
            let right = columns.centres[last] + columns.boxes[last] / 2.0 + GROUP_PAD;
            let _ = writeln!(
                out,
                r##"<g class="node" data-node="{node}"><rect x="{left:.1}" y="{group_top:.1}" width="{w:.1}" height="{h:.1}" rx="6" fill="#f4f6f8" stroke="#cfd8dc"/><text x="{tx:.1}" y="{ty:.1}" fill="#546e7a" font-size="11">node {node}</text><text x="{tx:.1}" y="{ty2:.1}" fill="#546e7a" font-size="11">{url}</text></g>"##,
                node = xml(&group.node),
                w = right - left,
                h = bottom - group_top + 6.0,
                tx = left + 8.0,
                ty = group_top + 14.0,
                ty2 = group_top + 27.0,
                url = xml(group.url.as_deref().unwrap_or("")),
            );
        }
    }
    let ends = lifeline_ends(diagram, first_row, bottom);
    for (i, lifeline) in diagram.lifelines.iter().enumerate() {
        let (x, w) = (columns.centres[i], columns.boxes[i]);
        let end = ends[i];
        let _ = write!(
            out,
            r##"<g class="participant" data-lifeline="p{i}"><line class="lifeline" x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{end:.1}" stroke="#90a4ae" stroke-dasharray="5,4"/><rect x="{left:.1}" y="{header_top:.1}" width="{w:.1}" height="{HEADER}" rx="4" fill="#e3f2fd" stroke="#1565c0"/>"##,
            top = header_top + HEADER,
            left = x - w / 2.0,
        );
        match &lifeline.name {
            Some(name) => {
                let _ = write!(
                    out,
                    r##"<text x="{x:.1}" y="{y1:.1}" text-anchor="middle" font-weight="bold" fill="{INK}">{name}</text><text x="{x:.1}" y="{y2:.1}" text-anchor="middle" fill="#455a64" font-size="11">{label}</text>"##,
                    y1 = header_top + 19.0,
                    y2 = header_top + 34.0,
                    name = xml(name),
                    label = xml(&lifeline.label),
                );
            }
            None => {
                let _ = write!(
                    out,
                    r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-weight="bold" fill="{INK}">{label}</text>"##,
                    y = header_top + 27.0,
                    label = xml(&lifeline.label),
                );
            }
        }
        out.push_str("</g>\n");
    }
    steps(&mut out, diagram, &columns, first_row);
    for (k, note) in notes.iter().enumerate() {
        let y = notes_top + k as f64 * 30.0;
        let w = width_of(note) + 24.0;
        let _ = writeln!(
            out,
            r##"<g class="note"><rect x="{MARGIN}" y="{y:.1}" width="{w:.1}" height="22" fill="#fff8e1" stroke="#f9a825"/><text x="{tx:.1}" y="{ty:.1}" fill="{INK}">{text}</text></g>"##,
            tx = MARGIN + 12.0,
            ty = y + 15.0,
            text = xml(note),
        );
    }
    legend(&mut out, legend_top);
    out.push_str("</svg>\n");
    out
}

fn defs(out: &mut String) {
    let _ = writeln!(
        out,
        r##"<defs><marker id="open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="{INK}" stroke-width="1.3"/></marker><marker id="filled" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker><marker id="failed" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{RED}"/></marker><marker id="lost" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M1,1 L9,9 M1,9 L9,1" stroke="{PURPLE}" stroke-width="1.6"/></marker><marker id="timeout" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="12" markerHeight="12" markerUnits="userSpaceOnUse" orient="auto"><path d="M1,1 L9,9 M1,9 L9,1" stroke="{ORANGE}" stroke-width="2"/></marker><marker id="refused" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="12" markerHeight="12" markerUnits="userSpaceOnUse" orient="auto"><path d="M1,1 L9,9 M1,9 L9,1" stroke="{RED}" stroke-width="2"/></marker></defs>"##
    );
}

/// Stroke, dashes and arrowhead of an arrow.
fn style(arrow: Arrow) -> (&'static str, &'static str, &'static str, &'static str) {
    match arrow {
        Arrow::Tell => (INK, "", "open", "1.2"),
        Arrow::Ask => (INK, "", "filled", "1.2"),
        Arrow::Reply => (INK, "6,4", "open", "1.2"),
        Arrow::Error => (RED, "6,4", "failed", "1.8"),
        Arrow::Signal => (PURPLE, "2,3", "lost", "1.4"),
        Arrow::Timeout => (ORANGE, "6,4", "timeout", "1.6"),
        Arrow::Late => (GREY, "6,4", "open", "1.2"),
        Arrow::Refused => (RED, "", "refused", "1.8"),
    }
}

fn dash_attribute(dashes: &str) -> String {
    if dashes.is_empty() {
        String::new()
    } else {
        format!(r#" stroke-dasharray="{dashes}""#)
    }
}

fn steps(out: &mut String, diagram: &Diagram, columns: &Columns, first_row: f64) {
    let mut y = first_row - ROW;
    let mut open: Vec<OpenBar> = Vec::new();
    let mut bars = String::new();
    let mut arrows = String::new();
    let depth_of =
        |open: &[OpenBar], lifeline: usize| open.iter().filter(|b| b.lifeline == lifeline).count();
    for step in &diagram.steps {
        match step {
            Step::Activate(lifeline) => {
                let depth = depth_of(&open, *lifeline);
                open.push(OpenBar {
                    lifeline: *lifeline,
                    top: y.max(first_row - ROW / 2.0),
                    depth,
                });
            }
            Step::Deactivate(lifeline) => {
                if let Some(index) = open.iter().rposition(|b| b.lifeline == *lifeline) {
                    let bar = open.remove(index);
                    bar_rect(&mut bars, columns, &bar, y + 6.0);
                }
            }
            Step::Destroy(lifeline) => {
                destroy_cross(&mut arrows, *lifeline, columns.centres[*lifeline], y);
            }
            Step::Message {
                from,
                to,
                arrow,
                label,
            } => {
                let self_message = from == to;
                y += row_height(step);
                let (colour, dashes, head, stroke) = style(*arrow);
                let dash = dash_attribute(dashes);
                let edge = |lifeline: usize, toward: f64| {
                    let depth = depth_of(&open, lifeline);
                    let centre = columns.centres[lifeline];
                    if depth == 0 {
                        centre
                    } else {
                        centre + (depth - 1) as f64 * NEST + toward * BAR / 2.0
                    }
                };
                let failed = matches!(arrow, Arrow::Error | Arrow::Refused);
                let weight = if failed { r#" font-weight="bold""# } else { "" };
                let _ = write!(
                    arrows,
                    r#"<g class="message {name}" data-from="p{from}" data-to="p{to}">"#,
                    name = arrow.name()
                );
                if self_message {
                    let x = edge(*from, 1.0);
                    let _ = write!(
                        arrows,
                        r#"<path d="M{x:.1},{y0:.1} h30 v14 h-30" fill="none" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{head})"/><text y="{ty:.1}" fill="{colour}"{weight}>{label}</text>"#,
                        y0 = y - 14.0,
                        ty = y - 3.0,
                        label = label_spans(label, x + 36.0),
                    );
                } else {
                    let toward = if to > from { 1.0 } else { -1.0 };
                    let x1 = edge(*from, toward);
                    let x2 = edge(*to, -toward);
                    if failed {
                        let extra = (label_lines(label).len() - 1) as f64 * LINE;
                        let _ = write!(
                            arrows,
                            r##"<rect class="error-band" x="{left:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="#ffebee"/>"##,
                            left = x1.min(x2),
                            top = y - 17.0 - extra,
                            w = (x2 - x1).abs(),
                            h = 22.0 + extra,
                        );
                    }
                    let _ = write!(
                        arrows,
                        r#"<line x1="{x1:.1}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{head})"/><text y="{ty:.1}" text-anchor="middle" fill="{colour}"{weight}>{label}</text>"#,
                        ty = y - 5.0,
                        label = label_spans(label, (x1 + x2) / 2.0),
                    );
                }
                arrows.push_str("</g>\n");
            }
        }
    }
    // Runs still open at the end (a trace cut short) reach the last row.
    for bar in open.drain(..).rev() {
        bar_rect(&mut bars, columns, &bar, y + 6.0);
    }
    // Bars first, so arrows and labels are drawn over them.
    out.push_str(&bars);
    out.push_str(&arrows);
}

/// The cross where lifeline `lifeline` (at `x`) ends, below the row at `y`.
fn destroy_cross(out: &mut String, lifeline: usize, x: f64, y: f64) {
    let y = y + DESTROY_OFFSET;
    let _ = writeln!(
        out,
        r#"<g class="destroy" data-lifeline="p{lifeline}"><path d="M{l:.1},{t:.1} L{r:.1},{b:.1} M{l:.1},{b:.1} L{r:.1},{t:.1}" stroke="{RED}" stroke-width="2.2"/></g>"#,
        l = x - 8.0,
        r = x + 8.0,
        t = y - 8.0,
        b = y + 8.0,
    );
}

fn bar_rect(out: &mut String, columns: &Columns, bar: &OpenBar, bottom: f64) {
    let x = columns.centres[bar.lifeline] + bar.depth as f64 * NEST - BAR / 2.0;
    let _ = writeln!(
        out,
        r##"<rect class="activation" data-lifeline="p{l}" x="{x:.1}" y="{top:.1}" width="{BAR}" height="{h:.1}" fill="#fffde7" stroke="#5d4037"/>"##,
        l = bar.lifeline,
        top = bar.top,
        h = (bottom - bar.top).max(8.0),
    );
}

/// A key to the arrow styles, under the diagram.
const LEGEND: [(Arrow, &str); 8] = [
    (Arrow::Tell, "one-way (tell)"),
    (Arrow::Ask, "request (ask)"),
    (Arrow::Reply, "answer"),
    (Arrow::Error, "error"),
    (Arrow::Signal, "exit / down"),
    (Arrow::Timeout, "caller's timeout"),
    (Arrow::Late, "late answer"),
    (Arrow::Refused, "refused"),
];

fn legend_width() -> f64 {
    LEGEND
        .iter()
        .map(|(_, text)| 48.0 + width_of(text))
        .sum::<f64>()
        + 2.0 * MARGIN
}

fn legend(out: &mut String, top: f64) {
    let _ = write!(out, r#"<g class="legend" font-size="11">"#);
    let mut x = MARGIN;
    for (arrow, text) in LEGEND {
        let (colour, dashes, head, stroke) = style(arrow);
        let y = top + 10.0;
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="{stroke}"{dash} marker-end="url(#{head})"/><text x="{tx:.1}" y="{ty:.1}" fill="{colour}">{text}</text>"#,
            dash = dash_attribute(dashes),
            x2 = x + 34.0,
            tx = x + 40.0,
            ty = y + 4.0,
        );
        x += 48.0 + width_of(text);
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(xml(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(
            xml("a\u{0}b\u{1b}\tc\u{ffff}"),
            "a\u{fffd}b\u{fffd}\tc\u{fffd}"
        );
    }

    #[test]
    fn long_labels_wrap_at_a_break_onto_two_lines() {
        assert_eq!(label_lines("get(1)"), ["get(1)"]);
        assert_eq!(
            label_lines("successors_changed(79ff2e64b884ef07@ChordNode#1…"),
            ["successors_changed(", "79ff2e64b884ef07@ChordNode#1…"]
        );
        // No break in reach: cut at the width.
        let long = "x".repeat(40);
        assert_eq!(
            label_lines(&long),
            ["x".repeat(WRAP), "x".repeat(40 - WRAP)]
        );
        assert!(label_width("successors_changed(79ff2e64b884ef07@ChordNode#1…") < 30.0 * CHAR);
    }

    #[test]
    fn an_empty_diagram_is_still_a_picture() {
        let picture = svg(&Diagram::default());
        assert!(picture.starts_with("<svg"));
        assert!(picture.trim_end().ends_with("</svg>"));
    }
}
