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
    /// Requests with no answer in the trace (timed out, stopped, or still
    /// running when the trace ended).
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
    let title = |p: &Participant| match names.get(&(p.node.clone(), p.id)) {
        Some(name) => format!("{name} ({})", p.label()),
        None => p.label(),
    };
    let mut stats = Stats::default();
    let mut asked: HashMap<Id, (u64, String)> = HashMap::new();
    for record in records {
        let key = |p: &Participant| format!("{}::{}", p.type_name, record.method);
        match (record.kind, &record.to) {
            (Kind::Tell | Kind::Ask, Some(to)) => {
                *stats.per_actor.entry(title(to)).or_default() += 1;
                let method = stats.per_method.entry(key(to)).or_default();
                if record.kind == Kind::Tell {
                    method.tells += 1;
                } else {
                    method.asks += 1;
                    asked.insert(record.id, (record.at_ns, key(to)));
                }
            }
            (Kind::Reply | Kind::Error, _) => {
                let answered = asked.remove(&record.id);
                let method_key = answered
                    .as_ref()
                    .map(|(_, key)| key.clone())
                    .or_else(|| record.from.as_ref().map(key));
                let Some(method_key) = method_key else {
                    continue;
                };
                let method = stats.per_method.entry(method_key).or_default();
                if record.kind == Kind::Error {
                    method.errors += 1;
                }
                if let Some((sent, _)) = answered {
                    method
                        .latencies
                        .push(Duration::from_nanos(record.at_ns.saturating_sub(sent)));
                }
            }
            _ => {}
        }
    }
    for (_, key) in asked.into_values() {
        stats.per_method.entry(key).or_default().unanswered += 1;
    }
    for method in stats.per_method.values_mut() {
        method.latencies.sort_unstable();
    }
    stats
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
            "\nper method\n  {:<width$}  {:>7} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "method", "tells", "asks", "errors", "unanswered", "p50", "p90", "p99", "max"
        );
        for (name, method) in &self.per_method {
            let p = |q| method.percentile(q).map_or_else(|| "-".to_owned(), human);
            let _ = writeln!(
                out,
                "  {name:<width$}  {:>7} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
                method.tells,
                method.asks,
                method.errors,
                method.unanswered,
                p(50),
                p(90),
                p(99),
                p(100),
            );
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
    fn durations_read_in_their_best_unit() {
        assert_eq!(human(Duration::from_nanos(850)), "850ns");
        assert_eq!(human(Duration::from_nanos(12_340)), "12.3µs");
        assert_eq!(human(Duration::from_micros(4_560)), "4.56ms");
        assert_eq!(human(Duration::from_millis(1_200)), "1.20s");
    }
}
