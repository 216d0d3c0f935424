//! The sequence diagram a trace becomes, before it is drawn in any format.
//!
//! [`Diagram::build`] turns causally ordered records into lifelines (one
//! per actor, plus `main` per node for code outside any actor, grouped by
//! node) and steps: arrows for messages, and activation bars for method
//! runs, opened by a `start` and closed by its `end`. A [`Filter`] keeps
//! part of a large trace; the renderers in [`render`](crate::render) only
//! lay the steps out.

use std::collections::HashMap;
use std::time::Duration;

use crate::record::{Id, Kind, Participant, Record};

/// Arrow labels are cut to this many characters.
pub const LABEL_LIMIT: usize = 48;

/// What part of a trace to draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Keep only events that involve one of these actors, each given as a
    /// type (`Counter`), a label (`Counter#3`), a registered name, or
    /// `main`. Empty: every actor.
    pub actors: Vec<String>,
    /// Keep only calls of these methods (with their answers and runs).
    /// Empty: every method.
    pub methods: Vec<String>,
    /// Drop what happened before this long after the trace's first event.
    pub since: Option<Duration>,
    /// Drop what happened after this long after the trace's first event.
    pub until: Option<Duration>,
    /// Draw at most this many messages; the diagram then says how many more
    /// there were.
    pub limit: Option<usize>,
}

/// A lifeline: one actor, or the code outside any actor on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifeline {
    /// `Counter#3`, or `main`.
    pub label: String,
    /// A name the actor was registered under.
    pub name: Option<String>,
    /// The node it lives on (hexadecimal node id).
    pub node: String,
}

impl Lifeline {
    /// What a diagram calls it in one line: `store (Counter#3)` or
    /// `Counter#3`.
    pub fn title(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.label),
            None => self.label.clone(),
        }
    }
}

/// The lifelines of one node, which diagrams draw as a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeGroup {
    /// The node id (hexadecimal).
    pub node: String,
    /// Its address, if the trace gave one.
    pub url: Option<String>,
    /// Its lifelines: indices into [`Diagram::lifelines`], contiguous.
    pub lifelines: std::ops::Range<usize>,
}

impl NodeGroup {
    /// `node 9f1c2b3a4d5e6f70 (tcp://…)`.
    pub fn title(&self) -> String {
        match &self.url {
            Some(url) => format!("node {} ({url})", self.node),
            None => format!("node {}", self.node),
        }
    }
}

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arrow {
    /// A one-way message: solid line, open head.
    Tell,
    /// A request: solid line, filled head.
    Ask,
    /// An answer: dashed line, open head.
    Reply,
    /// An error answer or a panic: red, dashed.
    Error,
    /// An exit or down signal: purple, dotted.
    Signal,
}

impl Arrow {
    /// The arrow's name, as SVG classes use it.
    pub fn name(self) -> &'static str {
        match self {
            Arrow::Tell => "tell",
            Arrow::Ask => "ask",
            Arrow::Reply => "reply",
            Arrow::Error => "error",
            Arrow::Signal => "signal",
        }
    }
}

/// One step of a diagram, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An arrow between lifelines (`from == to` for a message to oneself).
    Message {
        /// Sender's lifeline.
        from: usize,
        /// Receiver's lifeline.
        to: usize,
        /// How it is drawn.
        arrow: Arrow,
        /// `method(arguments)`, an answer, an error or an exit reason, cut
        /// at [`LABEL_LIMIT`].
        label: String,
    },
    /// A method run begins on this lifeline.
    Activate(usize),
    /// The innermost method run on this lifeline ends.
    Deactivate(usize),
}

/// A sequence diagram, ready to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagram {
    /// The lifelines, grouped by node.
    pub lifelines: Vec<Lifeline>,
    /// The nodes, in order, with their lifelines.
    pub nodes: Vec<NodeGroup>,
    /// The steps, in causal order.
    pub steps: Vec<Step>,
    /// Messages that matched the filter but were past its limit.
    pub omitted: usize,
    /// Events the recorders dropped (from `dropped` records).
    pub dropped: u64,
}

/// Who a record's end is: an actor, or `main` on a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Actor { node: String, id: u64 },
    Outside { node: String },
}

impl Diagram {
    /// Builds the diagram of `records` (in causal order, as
    /// [`merge`](crate::merge()) returns them), keeping what `filter` keeps.
    pub fn build(records: &[Record], filter: &Filter) -> Diagram {
        Builder::new(records, filter).build(records)
    }

    /// How many arrows the diagram draws.
    pub fn message_count(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| matches!(step, Step::Message { .. }))
            .count()
    }

    /// Whether the lifelines span more than one node (then diagrams group
    /// them).
    pub fn is_multi_node(&self) -> bool {
        self.nodes.len() > 1
    }
}

struct Builder<'f> {
    filter: &'f Filter,
    names: HashMap<Who, String>,
    urls: HashMap<String, String>,
    origin: u64,
    interned: HashMap<Who, usize>,
    lifelines: Vec<(Who, Lifeline)>,
    steps: Vec<Step>,
    /// Open method runs: (message id, lifeline), innermost last.
    open: Vec<(Id, usize)>,
    shown: usize,
    omitted: usize,
    dropped: u64,
}

impl<'f> Builder<'f> {
    fn new(records: &[Record], filter: &'f Filter) -> Self {
        let mut names = HashMap::new();
        let mut urls = HashMap::new();
        for record in records {
            if let Some(url) = &record.node_url {
                urls.entry(record.node.clone())
                    .or_insert_with(|| url.clone());
            }
            for participant in [&record.from, &record.to].into_iter().flatten() {
                if let Some(name) = &participant.name {
                    names
                        .entry(who(Some(participant), record))
                        .or_insert_with(|| name.clone());
                }
            }
            if record.kind == Kind::Named {
                if let (Some(to), Some(name)) = (&record.to, &record.detail) {
                    names
                        .entry(who(Some(to), record))
                        .or_insert_with(|| name.clone());
                }
            }
        }
        Builder {
            filter,
            names,
            urls,
            origin: records.iter().map(|r| r.at_ns).min().unwrap_or(0),
            interned: HashMap::new(),
            lifelines: Vec::new(),
            steps: Vec::new(),
            open: Vec::new(),
            shown: 0,
            omitted: 0,
            dropped: 0,
        }
    }

    fn build(mut self, records: &[Record]) -> Diagram {
        for record in records {
            self.add(record);
        }
        while let Some((_, lifeline)) = self.open.pop() {
            self.steps.push(Step::Deactivate(lifeline));
        }
        self.finish()
    }

    fn add(&mut self, record: &Record) {
        match record.kind {
            Kind::Dropped => {
                self.dropped += record.count.unwrap_or(0);
                return;
            }
            Kind::Named | Kind::Unknown => return,
            _ => {}
        }
        if !self.keeps(record) {
            return;
        }
        let limited = self.filter.limit.is_some_and(|limit| self.shown >= limit);
        match record.kind {
            Kind::Start if !limited => {
                let lifeline = self.lifeline(record.to.as_ref(), record);
                self.open.push((record.id, lifeline));
                self.steps.push(Step::Activate(lifeline));
            }
            Kind::End => {
                let lifeline = self.interned.get(&who(record.to.as_ref(), record)).copied();
                let open = self
                    .open
                    .iter()
                    .rposition(|&(id, l)| id == record.id && Some(l) == lifeline);
                if let Some(index) = open {
                    let (_, lifeline) = self.open.remove(index);
                    self.steps.push(Step::Deactivate(lifeline));
                }
            }
            kind if kind.is_message() => {
                if limited {
                    self.omitted += 1;
                    return;
                }
                self.shown += 1;
                let from = self.lifeline(record.from.as_ref(), record);
                let to = self.lifeline(record.to.as_ref(), record);
                self.steps.push(Step::Message {
                    from,
                    to,
                    arrow: arrow(kind),
                    label: label(record),
                });
            }
            _ => {}
        }
    }

    fn keeps(&self, record: &Record) -> bool {
        let filter = self.filter;
        let elapsed = Duration::from_nanos(record.at_ns.saturating_sub(self.origin));
        if filter.since.is_some_and(|since| elapsed < since)
            || filter.until.is_some_and(|until| elapsed > until)
        {
            return false;
        }
        if !filter.methods.is_empty() && !filter.methods.contains(&record.method) {
            return false;
        }
        if filter.actors.is_empty() {
            return true;
        }
        let ends: &[&Option<Participant>] = if matches!(record.kind, Kind::Start | Kind::End) {
            &[&record.to]
        } else {
            &[&record.from, &record.to]
        };
        ends.iter().any(|end| {
            let who = who(end.as_ref(), record);
            let name = self.names.get(&who);
            filter.actors.iter().any(|pattern| match end {
                None => pattern == "main",
                Some(p) => {
                    *pattern == p.type_name
                        || *pattern == p.label()
                        || name.is_some_and(|name| name == pattern)
                }
            })
        })
    }

    fn lifeline(&mut self, end: Option<&Participant>, record: &Record) -> usize {
        let who = who(end, record);
        if let Some(&index) = self.interned.get(&who) {
            return index;
        }
        let lifeline = Lifeline {
            label: end.map_or_else(|| "main".to_owned(), Participant::label),
            name: self.names.get(&who).cloned(),
            node: match &who {
                Who::Actor { node, .. } | Who::Outside { node } => node.clone(),
            },
        };
        self.lifelines.push((who.clone(), lifeline));
        self.interned.insert(who, self.lifelines.len() - 1);
        self.lifelines.len() - 1
    }

    /// Groups lifelines by node (nodes in order of first appearance, `main`
    /// first within its node) and renumbers the steps to match.
    fn finish(self) -> Diagram {
        let mut node_order: Vec<String> = Vec::new();
        for (_, lifeline) in &self.lifelines {
            if !node_order.contains(&lifeline.node) {
                node_order.push(lifeline.node.clone());
            }
        }
        let mut order: Vec<usize> = (0..self.lifelines.len()).collect();
        order.sort_by_key(|&i| {
            let (who, lifeline) = &self.lifelines[i];
            let node = node_order.iter().position(|n| *n == lifeline.node);
            (node, !matches!(who, Who::Outside { .. }), i)
        });
        let mut renumber = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new;
        }
        let lifelines: Vec<Lifeline> = order.iter().map(|&i| self.lifelines[i].1.clone()).collect();
        let nodes = node_order
            .into_iter()
            .map(|node| {
                let start = lifelines.iter().position(|l| l.node == node).unwrap_or(0);
                let end = start
                    + lifelines[start..]
                        .iter()
                        .take_while(|l| l.node == node)
                        .count();
                NodeGroup {
                    url: self.urls.get(&node).cloned(),
                    node,
                    lifelines: start..end,
                }
            })
            .collect();
        let steps = self
            .steps
            .into_iter()
            .map(|step| match step {
                Step::Message {
                    from,
                    to,
                    arrow,
                    label,
                } => Step::Message {
                    from: renumber[from],
                    to: renumber[to],
                    arrow,
                    label,
                },
                Step::Activate(l) => Step::Activate(renumber[l]),
                Step::Deactivate(l) => Step::Deactivate(renumber[l]),
            })
            .collect();
        Diagram {
            lifelines,
            nodes,
            steps,
            omitted: self.omitted,
            dropped: self.dropped,
        }
    }
}

fn who(end: Option<&Participant>, record: &Record) -> Who {
    match end {
        Some(p) => Who::Actor {
            node: p.node.clone(),
            id: p.id,
        },
        None => Who::Outside {
            node: record.node.clone(),
        },
    }
}

fn arrow(kind: Kind) -> Arrow {
    match kind {
        Kind::Tell => Arrow::Tell,
        Kind::Ask => Arrow::Ask,
        Kind::Reply => Arrow::Reply,
        Kind::Error => Arrow::Error,
        _ => Arrow::Signal,
    }
}

fn label(record: &Record) -> String {
    let detail = record.detail.as_deref().unwrap_or("");
    let text = match record.kind {
        Kind::Tell | Kind::Ask => format!("{}({detail})", record.method),
        Kind::Reply | Kind::Error if !detail.is_empty() => detail.to_owned(),
        Kind::Exit | Kind::Down => format!("{}: {detail}", record.method),
        _ => record.method.clone(),
    };
    truncate(&text, LABEL_LIMIT)
}

/// `text` cut to `limit` characters, with `…` if cut; newlines become
/// spaces.
pub fn truncate(text: &str, limit: usize) -> String {
    let flat = text.replace(['\n', '\r'], " ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let mut cut: String = flat.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    fn actor(type_name: &str, id: u64, node: &str) -> Participant {
        Participant {
            type_name: type_name.into(),
            id,
            node: node.into(),
            name: None,
        }
    }

    fn record(kind: Kind, id: u64, from: Option<Participant>, to: Option<Participant>) -> Record {
        Record {
            from,
            to,
            detail: Some("1".into()),
            ..sample::record(kind, id, id * 1_000_000)
        }
    }

    fn ask_and_answer(id: u64) -> Vec<Record> {
        let store = Some(actor("Store", 2, "aa"));
        vec![
            record(Kind::Ask, id, None, store.clone()),
            record(Kind::Start, id, None, store.clone()),
            record(Kind::Reply, id, store.clone(), None),
            record(Kind::End, id, None, store),
        ]
    }

    #[test]
    fn an_ask_becomes_two_arrows_around_an_activation() {
        let diagram = Diagram::build(&ask_and_answer(1), &Filter::default());
        assert_eq!(diagram.lifelines.len(), 2);
        assert_eq!(diagram.lifelines[0].label, "main");
        assert_eq!(
            diagram.steps,
            [
                Step::Message {
                    from: 0,
                    to: 1,
                    arrow: Arrow::Ask,
                    label: "get(1)".into()
                },
                Step::Activate(1),
                Step::Message {
                    from: 1,
                    to: 0,
                    arrow: Arrow::Reply,
                    label: "1".into()
                },
                Step::Deactivate(1),
            ]
        );
    }

    #[test]
    fn the_limit_counts_what_it_leaves_out_and_activations_always_close() {
        let balance = |diagram: &Diagram| {
            let count = |open: bool| {
                diagram
                    .steps
                    .iter()
                    .filter(|s| match s {
                        Step::Activate(_) => open,
                        Step::Deactivate(_) => !open,
                        Step::Message { .. } => false,
                    })
                    .count()
            };
            (count(true), count(false))
        };
        let mut records = ask_and_answer(1);
        records.extend(ask_and_answer(2));
        let filter = Filter {
            limit: Some(3),
            ..Filter::default()
        };
        let limited = Diagram::build(&records, &filter);
        assert_eq!(limited.message_count(), 3);
        assert_eq!(limited.omitted, 1);
        assert_eq!(balance(&limited), (1, 1));
        // A trace cut short before a run ended still closes its bar.
        records.pop();
        assert_eq!(
            balance(&Diagram::build(&records, &Filter::default())),
            (2, 2)
        );
    }

    #[test]
    fn filters_keep_actors_by_type_label_or_name_and_a_time_window() {
        let mut records = ask_and_answer(1);
        let mut named = record(Kind::Named, 9, None, Some(actor("Store", 2, "aa")));
        named.detail = Some("store".into());
        records.push(named);
        for pattern in ["Store", "Store#2", "store", "main"] {
            let filter = Filter {
                actors: vec![pattern.into()],
                ..Filter::default()
            };
            assert_eq!(
                Diagram::build(&records, &filter).message_count(),
                2,
                "{pattern}"
            );
        }
        let nobody = Filter {
            actors: vec!["Cache".into()],
            ..Filter::default()
        };
        assert!(Diagram::build(&records, &nobody).steps.is_empty());
        let late = Filter {
            since: Some(Duration::from_secs(1)),
            ..Filter::default()
        };
        assert!(Diagram::build(&records, &late).steps.is_empty());
        let named = Diagram::build(&records, &Filter::default());
        assert_eq!(named.lifelines[1].title(), "store (Store#2)");
    }

    #[test]
    fn labels_are_cut_and_flattened() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("a\nb", 5), "a b");
    }
}
