//! The sequence diagram a trace becomes, before it is drawn in any format.
//!
//! [`Diagram::build`] turns causally ordered records into lifelines (one
//! per actor, plus `main` per node for code outside any actor, grouped by
//! node) and steps: arrows for messages, and activation bars for method
//! runs, opened by a `start` and closed by its `end`. A [`Filter`] keeps
//! part of a large trace; the renderers in [`render`](crate::render) only
//! lay the steps out.

use std::collections::{HashMap, HashSet};
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
    /// The caller gave up waiting: dashed, from the called actor back to
    /// the caller, ending in a cross at the caller.
    Timeout,
    /// An answer that came after its caller's timeout: grey, dashed; the
    /// caller never saw it.
    Late,
    /// A message refused at once (stopped actor, full mailbox): red, solid,
    /// ending in a cross.
    Refused,
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
            Arrow::Timeout => "timeout",
            Arrow::Late => "late",
            Arrow::Refused => "refused",
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
    /// The actor exited for good: its lifeline ends here with a cross.
    Destroy(usize),
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
    /// Requests whose callers gave up: an answer to one is late.
    timed_out: HashSet<Id>,
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
            timed_out: HashSet::new(),
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
            Kind::Stopped if !limited => {
                let lifeline = self.lifeline(record.to.as_ref(), record);
                // Runs it left open end with it.
                while let Some(index) = self.open.iter().rposition(|&(_, l)| l == lifeline) {
                    self.open.remove(index);
                    self.steps.push(Step::Deactivate(lifeline));
                }
                self.steps.push(Step::Destroy(lifeline));
            }
            kind if kind.is_message() => {
                if limited {
                    self.omitted += 1;
                    return;
                }
                self.shown += 1;
                let (mut from, mut to) = (record.from.as_ref(), record.to.as_ref());
                if kind == Kind::Timeout {
                    // Drawn back at the caller, where the waiting ended.
                    self.timed_out.insert(record.id);
                    std::mem::swap(&mut from, &mut to);
                }
                let late = matches!(kind, Kind::Reply | Kind::Error)
                    && self.timed_out.contains(&record.id);
                let from = self.lifeline(from, record);
                let to = self.lifeline(to, record);
                self.steps.push(Step::Message {
                    from,
                    to,
                    arrow: if late { Arrow::Late } else { arrow(kind) },
                    label: label(record, late),
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
                Step::Destroy(l) => Step::Destroy(renumber[l]),
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
        Kind::Timeout => Arrow::Timeout,
        Kind::Refused => Arrow::Refused,
        _ => Arrow::Signal,
    }
}

fn label(record: &Record, late: bool) -> String {
    let detail = record.detail.as_deref().unwrap_or("");
    let text = match record.kind {
        Kind::Tell | Kind::Ask => format!("{}({detail})", record.method),
        Kind::Reply | Kind::Error if late => format!("late: {detail}"),
        Kind::Reply | Kind::Error if !detail.is_empty() => detail.to_owned(),
        Kind::Timeout => format!("timeout: {} ({detail})", record.method),
        Kind::Refused => format!("{} refused: {detail}", record.method),
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
mod tests;
