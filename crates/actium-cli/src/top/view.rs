//! What `actium top` draws, as a pure function of what it knows: the last
//! two snapshots (for rates), the sort key and the selected actor. No
//! terminal, no network: tests draw it on ratatui's in-memory backend.

use std::collections::HashMap;
use std::time::Duration;

use actium_core::ActorId;
use actium_core::observe::{ActorSnapshot, SystemSnapshot};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

use super::SortKey;

/// Everything the view needs.
#[derive(Debug, Default)]
pub struct View {
    /// The latest snapshot, once one came.
    pub current: Option<SystemSnapshot>,
    /// The one before it, for rates.
    pub previous: Option<SystemSnapshot>,
    /// How the table is sorted.
    pub sort: SortKey,
    /// The selected row of the table.
    pub selected: usize,
    /// Why the last request failed, if it did.
    pub problem: Option<String>,
}

/// One row of the table: an actor and its message rate.
pub struct Listed<'a> {
    pub actor: &'a ActorSnapshot,
    /// Messages handled a second since the previous snapshot.
    pub rate: f64,
}

impl View {
    /// Takes a new snapshot; the current one becomes the previous.
    pub fn update(&mut self, snapshot: SystemSnapshot) {
        self.previous = self.current.replace(snapshot);
        self.problem = None;
        let count = self.current.as_ref().map_or(0, |s| s.actors.len());
        self.selected = self.selected.min(count.saturating_sub(1));
    }

    /// Moves the selection by `by` rows, within the table.
    pub fn select(&mut self, by: isize) {
        let count = self.current.as_ref().map_or(0, |s| s.actors.len());
        let moved = self.selected.saturating_add_signed(by);
        self.selected = moved.min(count.saturating_sub(1));
    }

    /// The actors in table order.
    pub fn listed(&self) -> Vec<Listed<'_>> {
        let Some(current) = &self.current else {
            return Vec::new();
        };
        let before: HashMap<ActorId, u64> = self
            .previous
            .iter()
            .flat_map(|s| s.actors.iter().map(|a| (a.id, a.handled)))
            .collect();
        let seconds = self
            .previous
            .as_ref()
            .and_then(|p| current.taken_at.duration_since(p.taken_at).ok())
            .filter(|d| !d.is_zero())
            .map(|d| d.as_secs_f64());
        let mut rows: Vec<Listed<'_>> = current
            .actors
            .iter()
            .map(|actor| {
                let rate = match (seconds, before.get(&actor.id)) {
                    #[allow(clippy::cast_precision_loss, reason = "a rate to show")]
                    (Some(seconds), Some(&then)) => {
                        actor.handled.saturating_sub(then) as f64 / seconds
                    }
                    _ => 0.0,
                };
                Listed { actor, rate }
            })
            .collect();
        match self.sort {
            SortKey::Depth => rows.sort_by(|a, b| {
                b.actor
                    .mailbox_depth
                    .cmp(&a.actor.mailbox_depth)
                    .then(a.actor.id.cmp(&b.actor.id))
            }),
            SortKey::Rate => {
                rows.sort_by(|a, b| b.rate.total_cmp(&a.rate).then(a.actor.id.cmp(&b.actor.id)))
            }
        }
        rows
    }
}

/// Draws the whole view into `frame`.
pub fn draw(frame: &mut Frame<'_>, view: &View) {
    let [header, body, names] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(5),
        Constraint::Length(4),
    ])
    .areas(frame.area());
    frame.render_widget(Paragraph::new(header_lines(view)), header);
    let [table, side] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
    let [tree, detail] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(side);
    let listed = view.listed();
    draw_table(frame, table, view, &listed);
    let selected = listed.get(view.selected).map(|row| row.actor);
    draw_tree(frame, tree, view.current.as_ref(), selected);
    draw_detail(frame, detail, view.current.as_ref(), selected);
    draw_names(frame, names, view.current.as_ref());
}

fn header_lines(view: &View) -> Vec<Line<'static>> {
    let Some(current) = &view.current else {
        let waiting = view
            .problem
            .clone()
            .unwrap_or_else(|| "waiting for the node…".into());
        return vec![Line::from(format!("actium top — {waiting}"))];
    };
    let network = current.network.clone().unwrap_or_default();
    let mut first = format!(
        "actium top — {}  actors {}  connections {}  in {}  out {}",
        network.address,
        current.actors.len(),
        network.connections,
        bytes(network.bytes_in),
        bytes(network.bytes_out),
    );
    if !current.measuring {
        first.push_str("  (method times and errors off)");
    }
    if let Some(problem) = &view.problem {
        first.push_str(&format!("  [{problem}]"));
    }
    let second = format!(
        "sorted by {}   s: sort   ↑/↓ or j/k: select   q: quit",
        view.sort.describe()
    );
    vec![Line::from(first), Line::from(second)]
}

fn draw_table(frame: &mut Frame<'_>, area: Rect, view: &View, listed: &[Listed<'_>]) {
    let header = Row::new([
        "ACTOR", "NAME", "DEPTH", "MSG/S", "HANDLED", "ERR", "PANIC", "RESTART", "BUSY", "METHOD",
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let rows = listed.iter().map(|row| {
        let actor = row.actor;
        Row::new([
            actor.label(),
            actor.name.clone().unwrap_or_default(),
            actor.mailbox_depth.to_string(),
            format!("{:.1}", row.rate),
            actor.handled.to_string(),
            actor.errors.to_string(),
            actor.panics.to_string(),
            actor.restarts.to_string(),
            duration(actor.busy),
            actor.doing.clone().unwrap_or_default(),
        ])
    });
    let widths = [
        Constraint::Min(14),
        Constraint::Min(8),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Min(6),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::new().borders(Borders::ALL).title(" actors "))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    let mut state = TableState::new().with_selected(Some(view.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_tree(
    frame: &mut Frame<'_>,
    area: Rect,
    current: Option<&SystemSnapshot>,
    selected: Option<&ActorSnapshot>,
) {
    let mut lines = Vec::new();
    if let Some(current) = current {
        // Roots: actors whose parent is not a live actor here (none, or
        // on another node).
        let roots = current
            .actors
            .iter()
            .filter(|a| a.parent.is_none_or(|p| current.actor(p).is_none()));
        for root in roots {
            tree_lines(current, root, 0, selected, &mut lines);
        }
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" supervision tree ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn tree_lines(
    snapshot: &SystemSnapshot,
    actor: &ActorSnapshot,
    depth: usize,
    selected: Option<&ActorSnapshot>,
    lines: &mut Vec<Line<'static>>,
) {
    // Parents are set by spawning, so the tree has no cycle; the bound
    // only guards against a malformed snapshot from the network.
    if depth > 32 {
        return;
    }
    let indent = if depth == 0 {
        String::new()
    } else {
        format!("{}└─ ", "   ".repeat(depth - 1))
    };
    let name = actor
        .name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mut line = Line::from(format!("{indent}{}{name}", actor.label()));
    if selected.is_some_and(|s| s.id == actor.id) {
        line = line.style(Style::new().add_modifier(Modifier::BOLD));
    }
    lines.push(line);
    for child in snapshot.children(actor.id) {
        tree_lines(snapshot, child, depth + 1, selected, lines);
    }
}

fn draw_detail(
    frame: &mut Frame<'_>,
    area: Rect,
    current: Option<&SystemSnapshot>,
    selected: Option<&ActorSnapshot>,
) {
    let mut lines = Vec::new();
    if let (Some(current), Some(actor)) = (current, selected) {
        let named = |ids: &[ActorId]| -> String {
            if ids.is_empty() {
                return "—".to_owned();
            }
            ids.iter()
                .map(|id| {
                    current
                        .actor(*id)
                        .map_or_else(|| id.to_string(), ActorSnapshot::label)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let parent = actor
            .parent
            .map(|p| named(&[p]))
            .unwrap_or_else(|| "—".into());
        lines.push(Line::from(format!("{}  parent: {parent}", actor.label())));
        lines.push(Line::from(format!("links: {}", named(&actor.links))));
        lines.push(Line::from(format!("monitors: {}", named(&actor.monitors))));
        lines.push(Line::from(format!(
            "monitored by: {}",
            named(&actor.monitored_by)
        )));
        if let Some(exit) = &actor.last_exit {
            lines.push(Line::from(format!("last exit: {exit}")));
        }
    }
    let block = Block::new().borders(Borders::ALL).title(" selected ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_names(frame: &mut Frame<'_>, area: Rect, current: Option<&SystemSnapshot>) {
    let text = current.map_or_else(String::new, |current| {
        current
            .names
            .iter()
            .map(|(name, id)| {
                let holder = current
                    .actor(*id)
                    .map_or_else(|| id.to_string(), ActorSnapshot::label);
                format!("{name} → {holder}")
            })
            .collect::<Vec<_>>()
            .join("   ")
    });
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" registered names ");
    frame.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

fn bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a size to show")]
    match n {
        0..1_024 => format!("{n} B"),
        1_024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

fn duration(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{}µs", d.as_micros())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use actium_core::observe::NetworkSnapshot;
    use actium_core::{ActorId, NodeId};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::top::buffer_text;

    fn id(local: u64) -> ActorId {
        ActorId::new(NodeId::from_u64(9), local)
    }

    fn actor(local: u64, type_name: &str, depth: u64, handled: u64) -> ActorSnapshot {
        ActorSnapshot {
            id: id(local),
            type_name: type_name.to_owned(),
            name: None,
            parent: None,
            mailbox_depth: depth,
            handled,
            errors: 0,
            panics: 0,
            restarts: 0,
            last_exit: None,
            busy: Duration::ZERO,
            doing: None,
            links: Vec::new(),
            monitors: Vec::new(),
            monitored_by: Vec::new(),
        }
    }

    /// A supervisor (1) with two workers (2, 3), a registered cache (4)
    /// linked to worker 2, `handled` counts shifted by `more`.
    fn snapshot(at: SystemTime, more: u64) -> SystemSnapshot {
        let mut supervisor = actor(1, "Supervisor", 0, 1);
        supervisor.restarts = 0;
        let mut busy = actor(2, "Worker", 7, 10 + more);
        busy.parent = Some(id(1));
        busy.links = vec![id(4)];
        busy.last_exit = Some("panicked: boom".to_owned());
        let mut fast = actor(3, "Worker", 1, 100 + 10 * more);
        fast.parent = Some(id(1));
        let mut cache = actor(4, "Cache", 0, 5);
        cache.name = Some("cache".to_owned());
        cache.links = vec![id(2)];
        SystemSnapshot {
            node: NodeId::from_u64(9),
            taken_at: at,
            measuring: true,
            actors: vec![supervisor, busy, fast, cache],
            names: vec![("cache".to_owned(), id(4))],
            network: Some(NetworkSnapshot {
                address: "tcp://127.0.0.1:4000".to_owned(),
                connections: 2,
                bytes_in: 2048,
                bytes_out: 10,
            }),
        }
    }

    fn two_snapshots(sort: SortKey) -> View {
        let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut view = View {
            sort,
            ..View::default()
        };
        view.update(snapshot(then, 0));
        view.update(snapshot(then + Duration::from_secs(1), 5));
        view
    }

    fn rendered(view: &View) -> String {
        let mut terminal = Terminal::new(TestBackend::new(140, 30)).expect("in-memory terminal");
        terminal.draw(|frame| draw(frame, view)).expect("drawn");
        buffer_text(terminal.backend().buffer())
    }

    /// The table's actor labels, top to bottom.
    fn order(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|line| line.strip_prefix("│"))
            .filter_map(|line| line.trim_start_matches("> ").split_whitespace().next())
            .filter(|word| word.contains('#') && !word.starts_with('│'))
            .collect()
    }

    #[test]
    fn actors_are_sorted_by_depth_or_by_rate() {
        let by_depth = rendered(&two_snapshots(SortKey::Depth));
        assert_eq!(
            order(&by_depth),
            ["Worker#2", "Worker#3", "Supervisor#1", "Cache#4"]
        );
        let by_rate = rendered(&two_snapshots(SortKey::Rate));
        // Worker#3 handled 50 in the second, Worker#2 5, the rest none.
        assert_eq!(
            order(&by_rate),
            ["Worker#3", "Worker#2", "Supervisor#1", "Cache#4"]
        );
        assert!(by_rate.contains("50.0"), "{by_rate}");
    }

    #[test]
    fn the_tree_names_links_and_header_are_drawn() {
        let text = rendered(&two_snapshots(SortKey::Depth));
        assert!(text.contains("tcp://127.0.0.1:4000"), "{text}");
        assert!(text.contains("connections 2"), "{text}");
        assert!(text.contains("in 2.0 KiB"), "{text}");
        assert!(text.contains("└─ Worker#2"), "{text}");
        assert!(text.contains("└─ Worker#3"), "{text}");
        assert!(text.contains("cache → Cache#4"), "{text}");
        // The first row (Worker#2) is selected: its links and last exit.
        assert!(text.contains("Worker#2  parent: Supervisor#1"), "{text}");
        assert!(text.contains("links: Cache#4"), "{text}");
        assert!(text.contains("last exit: panicked: boom"), "{text}");
    }

    #[test]
    fn moving_the_selection_shows_another_actors_relations() {
        let mut view = two_snapshots(SortKey::Depth);
        view.select(3);
        let text = rendered(&view);
        assert!(text.contains("Cache#4  parent: —"), "{text}");
        assert!(text.contains("links: Worker#2"), "{text}");
        view.select(10);
        assert_eq!(view.selected, 3, "the selection stays within the table");
        view.select(-10);
        assert_eq!(view.selected, 0);
    }

    #[test]
    fn before_any_snapshot_the_view_says_it_waits() {
        let text = rendered(&View::default());
        assert!(text.contains("waiting for the node"), "{text}");
    }
}
