//! The report: `docs/BENCHMARKS.md` and its chart, written by the benchmark.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::systems::System;
use crate::workload::Workload;

/// The median of each (workload, system), and the run's settings.
pub struct Results {
    pub medians: BTreeMap<(Workload, usize), Median>,
    pub command: String,
    pub runs: usize,
    /// The load averages when the run began (from `/proc/loadavg`).
    pub load_before: String,
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    if fields.len() == 3 {
        fields.join(" ")
    } else {
        "unknown".to_owned()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Median {
    pub n: u64,
    pub ns_per_op: f64,
    pub rss_bytes_per_actor: Option<u64>,
}

fn system_index(system: System) -> usize {
    System::ALL
        .iter()
        .chain(&System::EXTRA)
        .position(|s| *s == system)
        .unwrap_or(0)
}

impl Results {
    pub fn get(&self, workload: Workload, system: System) -> Option<&Median> {
        self.medians.get(&(workload, system_index(system)))
    }

    pub fn insert(&mut self, workload: Workload, system: System, median: Median) {
        self.medians
            .insert((workload, system_index(system)), median);
    }

    /// The floor a workload is compared against.
    fn floor(workload: Workload) -> System {
        match workload {
            Workload::RemoteAsk | Workload::RemoteTell => System::TcpRaw,
            Workload::NatsAsk | Workload::NatsTell => System::NatsRaw,
            _ => System::TokioRaw,
        }
    }

    fn best_peer(&self, workload: Workload) -> Option<(System, f64)> {
        System::PEERS
            .iter()
            .filter_map(|&peer| self.get(workload, peer).map(|m| (peer, m.ns_per_op)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn ratio(&self, workload: Workload, system: System, to: System) -> Option<f64> {
        Some(self.get(workload, system)?.ns_per_op / self.get(workload, to)?.ns_per_op)
    }
}

/// Machine facts for the report.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| "?".to_owned(), |kb| format!("{} GiB", kb / 1024 / 1024));
    format!("{model}, {cores} cores, {memory} RAM, Linux")
}

/// The heading of the hand-written part of `BENCHMARKS.md`, which a new
/// report keeps: everything from it to the end of the file.
const NOTES: &str = "\n## Notes";

/// Writes `BENCHMARKS.md` into `dir`, keeping the notes of the one there.
pub fn write_markdown(results: &Results, dir: &Path) -> std::io::Result<()> {
    let path = dir.join("BENCHMARKS.md");
    let mut markdown = markdown(results);
    if let Ok(old) = std::fs::read_to_string(&path) {
        if let Some(at) = old.find(NOTES) {
            markdown.push_str(&old[at..]);
        }
    }
    std::fs::write(path, markdown)
}

fn markdown(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Produced by `{}` ({} run(s) per figure, medians). Machine: {}; load \
         average (1, 5, 15 min) {} when the run began, {} when it ended. \
         The workloads are those of `shared/BENCH.md`; every run checks its own \
         result (counts, hops, replies). Lower is better.\n",
        results.command,
        results.runs,
        machine(),
        results.load_before,
        load_average()
    );
    let _ = writeln!(out, "![nanoseconds per operation](benchmarks.svg)\n");
    let _ = writeln!(out, "## Nanoseconds per operation\n");
    let mut header = "| workload |".to_owned();
    let mut rule = "| --- |".to_owned();
    for system in System::ALL {
        let _ = write!(header, " {} |", system.name());
        rule.push_str(" ---: |");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for workload in Workload::ALL {
        let mut row = format!("| {workload} |");
        for system in System::ALL {
            let cell = match results.get(workload, system) {
                Some(m) => match m.rss_bytes_per_actor {
                    Some(rss) => format!(" {:.0} ({rss} B/actor, n={}) |", m.ns_per_op, m.n),
                    None => format!(" {:.0} |", m.ns_per_op),
                },
                None => " skip |".to_owned(),
            };
            row.push_str(&cell);
        }
        let _ = writeln!(out, "{row}");
    }
    let _ = writeln!(out, "\n## Ratios (actium-tasks)\n");
    let _ = writeln!(out, "| workload | vs floor | vs best peer | best peer |");
    let _ = writeln!(out, "| --- | ---: | ---: | --- |");
    for workload in Workload::ALL {
        let floor = Results::floor(workload);
        let vs_floor = results
            .ratio(workload, System::ActiumTasks, floor)
            .map_or("–".to_owned(), |r| format!("{r:.2}x {}", floor.name()));
        let (vs_peer, peer) = match (
            results.best_peer(workload),
            results.get(workload, System::ActiumTasks),
        ) {
            (Some((peer, ns)), Some(ours)) => (format!("{:.2}x", ours.ns_per_op / ns), peer.name()),
            _ => ("–".to_owned(), "–"),
        };
        let _ = writeln!(out, "| {workload} | {vs_floor} | {vs_peer} | {peer} |");
    }
    let _ = writeln!(out, "\n## Targets (tasks mode)\n");
    for line in targets(results) {
        let _ = writeln!(out, "- {line}");
    }
    savina_markdown(results, &mut out);
    out
}

/// The systems that have a version of the Savina programs.
const SAVINA_SYSTEMS: [System; 6] = [
    System::ActiumTasks,
    System::ActiumThreads,
    System::TokioRaw,
    System::Actix,
    System::Ractor,
    System::Kameo,
];

/// The Savina table, when this run measured any Savina program: time per
/// operation of each system, and Actium (tasks) against the best peer.
fn savina_markdown(results: &Results, out: &mut String) {
    let measured: Vec<Workload> = Workload::savina()
        .filter(|&w| SAVINA_SYSTEMS.iter().any(|&s| results.get(w, s).is_some()))
        .collect();
    if measured.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Savina\n");
    let _ = writeln!(
        out,
        "![Savina, time per operation relative to tokio-raw](savina.svg)\n"
    );
    let mut header = "| program (ns per op) |".to_owned();
    let mut rule = "| --- |".to_owned();
    for system in SAVINA_SYSTEMS {
        let _ = write!(header, " {} |", system.name());
        rule.push_str(" ---: |");
    }
    let _ = writeln!(out, "{header} actium-tasks vs best peer |\n{rule} --- |");
    for workload in measured {
        let mut row = format!("| {workload} |");
        for system in SAVINA_SYSTEMS {
            match results.get(workload, system) {
                Some(m) => {
                    let _ = write!(row, " {:.0} |", m.ns_per_op);
                }
                None => row.push_str(" skip |"),
            }
        }
        let versus = match (
            results.best_peer(workload),
            results.get(workload, System::ActiumTasks),
        ) {
            (Some((peer, ns)), Some(ours)) => {
                format!("{:.2}x {}", ours.ns_per_op / ns, peer.name())
            }
            _ => "–".to_owned(),
        };
        let _ = writeln!(out, "{row} {versus} |");
    }
}

/// Each target of the benchmark issues, met or missed, with the figure:
/// the first wave's, as issue 17 sharpened them for remote calls.
pub fn targets(results: &Results) -> Vec<String> {
    let mut lines = Vec::new();
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    let ours = |w| results.get(w, System::ActiumTasks);
    if let Some(r) = results.ratio(Workload::Ask, System::ActiumTasks, System::TokioRaw) {
        let faster = results
            .best_peer(Workload::Ask)
            .zip(ours(Workload::Ask))
            .is_some_and(|((_, peer), us)| us.ns_per_op < peer);
        lines.push(format!(
            "ask ≤ 1.1x tokio-raw: {} ({r:.2}x); faster than every peer: {}",
            verdict(r <= 1.1),
            verdict(faster)
        ));
    }
    if let Some(r) = results.ratio(Workload::Tell, System::ActiumTasks, System::TokioRaw) {
        let lead = results
            .best_peer(Workload::Tell)
            .zip(ours(Workload::Tell))
            .map(|((_, peer), us)| peer / us.ns_per_op);
        lines.push(format!(
            "tell ≤ 1.3x tokio-raw: {} ({r:.2}x); ≥ 1.5x faster than the best peer: {} ({})",
            verdict(r <= 1.3),
            verdict(lead.is_some_and(|l| l >= 1.5)),
            lead.map_or("–".to_owned(), |l| format!("{l:.2}x"))
        ));
    }
    if let Some(us) = ours(Workload::Spawn) {
        let rss = us.rss_bytes_per_actor.unwrap_or(u64::MAX);
        let faster = System::PEERS
            .iter()
            .filter_map(|&p| results.get(Workload::Spawn, p))
            .all(|peer| us.ns_per_op < peer.ns_per_op);
        lines.push(format!(
            "spawn < 600 B per idle actor at n={}: {} ({rss} B); faster than every peer: {}",
            us.n,
            verdict(rss < 600 && us.n >= 1_000_000),
            verdict(faster)
        ));
    }
    for workload in [Workload::Ask, Workload::Tell, Workload::PingPong] {
        if let Some(r) = results.ratio(workload, System::ActiumThreads, System::ThreadsRaw) {
            lines.push(format!(
                "threads-mode {workload} ≤ 1.3x threads-raw: {} ({r:.2}x)",
                verdict(r <= 1.3)
            ));
        }
    }
    if let Some(r) = results.ratio(Workload::RemoteAsk, System::ActiumTasks, System::TcpRaw) {
        lines.push(format!(
            "remote-ask ≤ 1.2x tcp-raw: {} ({r:.2}x)",
            verdict(r <= 1.2)
        ));
    }
    for workload in Workload::savina() {
        if let (Some((peer, ns)), Some(us)) = (results.best_peer(workload), ours(workload)) {
            let r = us.ns_per_op / ns;
            lines.push(format!(
                "{workload} first or within 10% of the best peer: {} ({r:.2}x {})",
                verdict(r <= 1.1),
                peer.name()
            ));
        }
    }
    if let Some(us) = ours(Workload::RemoteTell) {
        let rate = 1e9 / us.ns_per_op;
        let versus = results.ratio(Workload::RemoteTell, System::ActiumTasks, System::TcpRaw);
        lines.push(format!(
            "remote-tell ≥ 5,000,000 messages/s: {} ({rate:.0}/s); ≤ 3.5x tcp-raw: {} ({})",
            verdict(rate >= 5e6),
            verdict(versus.is_some_and(|r| r <= 3.5)),
            versus.map_or("–".to_owned(), |r| format!("{r:.2}x"))
        ));
    }
    nats_targets(results, &mut lines);
    lines
}

/// The targets of the NATS transport (`docs/NATS.md`).
fn nats_targets(results: &Results, lines: &mut Vec<String>) {
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    if let Some(r) = results.ratio(Workload::NatsAsk, System::ActiumTasks, System::NatsRaw) {
        lines.push(format!(
            "nats-ask ≤ 1.2x nats-raw: {} ({r:.2}x)",
            verdict(r <= 1.2)
        ));
    }
    if let Some(us) = results.get(Workload::NatsTell, System::ActiumTasks) {
        let rate = 1e9 / us.ns_per_op;
        lines.push(format!(
            "nats-tell ≥ 1,000,000 messages/s: {} ({rate:.0}/s)",
            verdict(rate >= 1e6)
        ));
    }
}

/// A bar chart of each system's time per operation relative to the
/// workload's floor (tokio-raw, or tcp-raw for the remote workloads).
pub fn chart(results: &Results, among: &[Workload], path: &Path) -> Result<(), String> {
    let (systems, workloads) = charted(results, among);
    if workloads.is_empty() {
        return Ok(());
    }
    let bars_per_group = systems.len() + 1;
    let width = 140 + workloads.len() as u32 * (bars_per_group as u32 * 14 + 10);
    let full = SVGBackend::new(path, (width.max(900) + LEGEND_WIDTH, 480)).into_drawing_area();
    full.fill(&WHITE).map_err(|e| e.to_string())?;
    // The legend gets a column of its own, right of the bars.
    let (root, legend) = full.split_horizontally(width.max(900));
    let ratios: Vec<f64> = workloads
        .iter()
        .flat_map(|&w| {
            systems
                .iter()
                .filter_map(move |&(_, s)| results.ratio(w, s, Results::floor(w)))
        })
        .collect();
    // Room above the tallest bar, and below the shortest (a ratio under
    // 0.1 is no reason to cut its bar off).
    let max_ratio = ratios.iter().copied().fold(1.0_f64, f64::max) * 3.0;
    let min_ratio = ratios.iter().copied().fold(0.1_f64, f64::min) / 2.0;
    let groups = workloads.len() * bars_per_group;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "time per operation relative to the floor (tokio-raw; tcp-raw for remote) — lower is better",
            ("sans-serif", 16),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..groups, (min_ratio..max_ratio).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        // The workloads are named under their groups below: the axis's
        // own labels fall where its key points are, not where groups are.
        .x_label_formatter(&|_| String::new())
        .y_desc("× floor (log scale)")
        .draw()
        .map_err(|e| e.to_string())?;
    let palette = [
        RGBColor(31, 119, 180),
        RGBColor(174, 199, 232),
        RGBColor(100, 100, 100),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(150, 150, 150),
        RGBColor(200, 200, 200),
    ];
    for (s, &(colour, system)) in systems.iter().enumerate() {
        let color = palette[colour % palette.len()];
        let bars: Vec<Rectangle<(usize, f64)>> = workloads
            .iter()
            .enumerate()
            .filter_map(|(g, &w)| {
                let ratio = results.ratio(w, system, Results::floor(w))?;
                let x = g * bars_per_group + s;
                Some(Rectangle::new(
                    [(x, min_ratio), (x + 1, ratio)],
                    color.filled(),
                ))
            })
            .collect();
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        let y = 60 + 20 * s as i32;
        legend
            .draw(&Rectangle::new([(8, y - 5), (18, y + 5)], color.filled()))
            .map_err(|e| e.to_string())?;
        legend
            .draw(&Text::new(
                system.name(),
                (26, y),
                TextStyle::from(("sans-serif", 12).into_font())
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(|e| e.to_string())?;
    }
    // Each workload's name, centred under its group of bars.
    let label =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (g, workload) in workloads.iter().enumerate() {
        let first = g * bars_per_group;
        let (left, y) = chart.backend_coord(&(first, min_ratio));
        let (right, _) = chart.backend_coord(&(first + systems.len(), min_ratio));
        let centre = (left + right) / 2;
        root.draw(&Text::new(workload.name(), (centre, y + 8), label.clone()))
            .map_err(|e| e.to_string())?;
    }
    full.present().map_err(|e| e.to_string())
}

/// The systems and workloads the chart draws, each system with its index
/// in `System::ALL` (which picks its colour).
fn charted(results: &Results, among: &[Workload]) -> (Vec<(usize, System)>, Vec<Workload>) {
    // Only the systems and workloads this run measured (`--systems`,
    // `--workloads`); a system keeps its colour whichever are left.
    let measured = |w: Workload, s: System| results.get(w, s).is_some();
    let systems: Vec<(usize, System)> = System::ALL
        .into_iter()
        .enumerate()
        .filter(|&(_, s)| among.iter().any(|&w| measured(w, s)))
        .collect();
    // A workload whose floor cannot express it (reentrant) has no ratio
    // to draw; the table has its figures.
    let workloads: Vec<Workload> = among
        .iter()
        .copied()
        .filter(|&w| {
            systems
                .iter()
                .any(|&(_, s)| results.ratio(w, s, Results::floor(w)).is_some())
        })
        .collect();
    (systems, workloads)
}

/// Room for the chart's legend, right of the bars.
const LEGEND_WIDTH: u32 = 130;
