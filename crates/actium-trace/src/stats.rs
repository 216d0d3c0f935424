//! Numbers about a trace: messages per actor and per method, and how long
//! requests took to be answered.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use crate::record::{Id, Kind, Participant, Record};

/// Counts and latencies of one method of one actor type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodStats {
    /// One-way calls received.
    pub tells: u64,
    /// Requests received.
    pub asks: u64,
    /// Error answers and panics.
    pub errors: u64,
    /// Requests whose caller stopped waiting: its deadline passed.
    pub timeouts: u64,
    /// Answers that came after their caller's timeout: the caller never
    /// saw them, so they are not successes and not in [`latencies`](Self::latencies).
    pub late: u64,
    /// Messages refused at once (the actor had stopped, or its bounded
    /// mailbox was full); they are counted as sent too.
    pub refused: u64,
    /// Requests with no answer and no timeout in the trace (the actor
    /// stopped, or the trace ended first).
    pub unanswered: u64,
    /// Request-to-answer times, sorted.
    pub latencies: Vec<Duration>,
}

impl MethodStats {
    /// The `p`-th percentile latency (nearest rank), `p` in 0..=100.
    pub fn percentile(&self, p: u32) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let rank = (u64::from(p.min(100)) * self.latencies.len() as u64).div_ceil(100);
        let index = usize::try_from(rank.max(1) - 1).unwrap_or(0);
        self.latencies.get(index).copied()
    }
}

/// The numbers of a whole trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages received per actor (`Counter#3`, or `store (Counter#3)`),
    /// one-way and requests together.
    pub per_actor: BTreeMap<String, u64>,
    /// Per `Type::method`.
    pub per_method: BTreeMap<String, MethodStats>,
    /// Actors that exited for good in the trace, with their exit reasons.
    pub exits: BTreeMap<String, String>,
}

/// Counts the messages of `records` and measures how long requests took.
pub fn stats(records: &[Record]) -> Stats {
    let mut names: HashMap<(String, u64), String> = HashMap::new();
    for record in records {
        if let (Kind::Named, Some(to), Some(name)) = (record.kind, &record.to, &record.detail) {
            names
                .entry((to.node.clone(), to.id))
                .or_insert_with(|| name.clone());
        }
    }
    let mut counting = Counting {
        names,
        stats: Stats::default(),
        asked: HashMap::new(),
        timed_out: HashMap::new(),
    };
    for record in records {
        counting.add(record);
    }
    let Counting {
        mut stats, asked, ..
    } = counting;
    for (_, key) in asked.into_values() {
        stats.per_method.entry(key).or_default().unanswered += 1;
    }
    for method in stats.per_method.values_mut() {
        method.latencies.sort_unstable();
    }
    stats
}

/// The state of one pass over a trace.
struct Counting {
    names: HashMap<(String, u64), String>,
    stats: Stats,
    /// Requests not yet answered: when sent, and their `Type::method`.
    asked: HashMap<Id, (u64, String)>,
    /// Requests whose caller gave up, by `Type::method`.
    timed_out: HashMap<Id, String>,
}

impl Counting {
    fn title(&self, p: &Participant) -> String {
        match self.names.get(&(p.node.clone(), p.id)) {
            Some(name) => format!("{name} ({})", p.label()),
            None => p.label(),
        }
    }

    fn add(&mut self, record: &Record) {
        let key = |p: &Participant| format!("{}::{}", p.type_name, record.method);
        match (record.kind, &record.to) {
            (Kind::Tell | Kind::Ask, Some(to)) => {
                let title = self.title(to);
                *self.stats.per_actor.entry(title).or_default() += 1;
                let method = self.stats.per_method.entry(key(to)).or_default();
                if record.kind == Kind::Tell {
                    method.tells += 1;
                } else {
                    method.asks += 1;
                    self.asked.insert(record.id, (record.at_ns, key(to)));
                }
            }
            (Kind::Timeout, Some(to)) => {
                self.asked.remove(&record.id);
                self.stats.per_method.entry(key(to)).or_default().timeouts += 1;
                self.timed_out.insert(record.id, key(to));
            }
            (Kind::Refused, Some(to)) => {
                self.asked.remove(&record.id);
                self.stats.per_method.entry(key(to)).or_default().refused += 1;
            }
            (Kind::Stopped, Some(to)) => {
                let reason = record.detail.clone().unwrap_or_default();
                self.stats.exits.insert(self.title(to), reason);
            }
            (Kind::Reply | Kind::Error, _) => self.answer(record, key),
            _ => {}
        }
    }

    fn answer(&mut self, record: &Record, key: impl Fn(&Participant) -> String) {
        if let Some(method_key) = self.timed_out.remove(&record.id) {
            // The caller had given up: not a success, and no latency.
            self.stats.per_method.entry(method_key).or_default().late += 1;
            return;
        }
        let answered = self.asked.remove(&record.id);
        let method_key = answered
            .as_ref()
            .map(|(_, key)| key.clone())
            .or_else(|| record.from.as_ref().map(key));
        let Some(method_key) = method_key else {
            return;
        };
        let method = self.stats.per_method.entry(method_key).or_default();
        if record.kind == Kind::Error {
            method.errors += 1;
        }
        if let Some((sent, _)) = answered {
            method
                .latencies
                .push(Duration::from_nanos(record.at_ns.saturating_sub(sent)));
        }
    }
}

/// A duration in the unit that reads best: `850ns`, `12.3µs`, `4.56ms`,
/// `1.20s`.
pub fn human(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos < 1_000 {
        format!("{nanos}ns")
    } else if nanos < 1_000_000 {
        format!("{:.1}µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.2}ms", nanos as f64 / 1e6)
    } else {
        format!("{:.2}s", duration.as_secs_f64())
    }
}

impl Stats {
    /// The numbers as plain-text tables.
    pub fn table(&self) -> String {
        let mut out = String::from("messages received per actor\n");
        let width = column_width(self.per_actor.keys(), "actor");
        for (actor, count) in &self.per_actor {
            let _ = writeln!(out, "  {actor:<width$}  {count:>8}");
        }
        let width = column_width(self.per_method.keys(), "method");
        let _ = writeln!(
            out,
            "\nper method\n  {:<width$}  {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "method",
            "tells",
            "asks",
            "errors",
            "timeouts",
            "late",
            "refused",
            "unanswered",
            "p50",
            "p90",
            "p99",
            "max"
        );
        for (name, method) in &self.per_method {
            let p = |q| method.percentile(q).map_or_else(|| "-".to_owned(), human);
            let _ = writeln!(
                out,
                "  {name:<width$}  {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
                method.tells,
                method.asks,
                method.errors,
                method.timeouts,
                method.late,
                method.refused,
                method.unanswered,
                p(50),
                p(90),
                p(99),
                p(100),
            );
        }
        if !self.exits.is_empty() {
            let width = column_width(self.exits.keys(), "actor");
            out.push_str("\nactors that exited\n");
            for (actor, reason) in &self.exits {
                let _ = writeln!(out, "  {actor:<width$}  {reason}");
            }
        }
        out
    }
}

/// The width of a column of `names` under the heading `heading`, in
/// characters.
fn column_width<'a>(names: impl Iterator<Item = &'a String>, heading: &str) -> usize {
    names
        .map(|name| name.chars().count())
        .fold(heading.len(), usize::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    fn record(kind: Kind, id: u64, at_ns: u64) -> Record {
        let (from, to) = match kind {
            Kind::Reply | Kind::Error => (Some(sample::store()), None),
            _ => (None, Some(sample::store())),
        };
        Record {
            from,
            to,
            ..sample::record(kind, id, at_ns)
        }
    }

    #[test]
    fn counts_messages_and_measures_answers() {
        let mut records = Vec::new();
        for id in 1..=10 {
            records.push(record(Kind::Ask, id, id * 1_000));
            let kind = if id == 10 { Kind::Error } else { Kind::Reply };
            records.push(record(kind, id, id * 1_000 + id * 100));
        }
        records.push(record(Kind::Ask, 11, 20_000));
        records.push(record(Kind::Tell, 12, 21_000));
        let stats = stats(&records);
        assert_eq!(stats.per_actor.get("Store#2"), Some(&12));
        let get = &stats.per_method["Store::get"];
        assert_eq!(
            (get.tells, get.asks, get.errors, get.unanswered),
            (1, 11, 1, 1)
        );
        assert_eq!(get.percentile(50), Some(Duration::from_nanos(500)));
        assert_eq!(get.percentile(100), Some(Duration::from_nanos(1_000)));
        assert!(stats.table().contains("Store::get"));
    }

    #[test]
    fn a_timeout_is_not_a_success_and_its_late_answer_is_counted_apart() {
        // The caller (`main`) gave up on the store.
        let timeout = Record {
            from: None,
            to: Some(sample::store()),
            ..sample::record(Kind::Timeout, 1, 5_000)
        };
        let refused = record(Kind::Refused, 3, 6_000);
        let stopped = Record {
            detail: Some("normal".into()),
            ..record(Kind::Stopped, 4, 7_000)
        };
        let records = vec![
            record(Kind::Ask, 1, 1_000),
            timeout,
            record(Kind::Reply, 1, 9_000),
            record(Kind::Ask, 2, 2_000),
            record(Kind::Reply, 2, 2_500),
            record(Kind::Tell, 3, 6_000),
            refused,
            stopped,
        ];
        let stats = stats(&records);
        let get = &stats.per_method["Store::get"];
        assert_eq!(
            (
                get.asks,
                get.timeouts,
                get.late,
                get.refused,
                get.unanswered
            ),
            (2, 1, 1, 1, 0)
        );
        // Only the answer in time has a latency.
        assert_eq!(get.latencies, vec![Duration::from_nanos(500)]);
        assert_eq!(
            stats.exits.get("Store#2").map(String::as_str),
            Some("normal")
        );
        let table = stats.table();
        assert!(table.contains("timeouts") && table.contains("actors that exited"));
    }

    #[test]
    fn durations_read_in_their_best_unit() {
        assert_eq!(human(Duration::from_nanos(850)), "850ns");
        assert_eq!(human(Duration::from_nanos(12_340)), "12.3µs");
        assert_eq!(human(Duration::from_micros(4_560)), "4.56ms");
        assert_eq!(human(Duration::from_millis(1_200)), "1.20s");
    }
}
