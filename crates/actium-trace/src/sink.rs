//! Where a [`Recording`](crate::Recording) writes its records: people's
//! terminals ([`Stdout`], or any writer with [`Lines`]), files ([`JsonLines`]),
//! tests ([`Memory`]) and `tracing` subscribers ([`Tracing`]).
//!
//! Sinks run on the recording's writer thread, never on an actor's, so they
//! may block on I/O.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::record::{Kind, Participant, Record};

/// Takes the records of a recording, in the order they were recorded.
pub trait Sink: Send + 'static {
    /// Writes one record.
    ///
    /// # Errors
    ///
    /// The sink's I/O error; the recording counts it and goes on.
    fn write(&mut self, record: &Record) -> io::Result<()>;

    /// Makes what was written durable or visible (called when the recording
    /// is idle, on [`Recording::flush`](crate::Recording::flush) and at the
    /// end).
    ///
    /// # Errors
    ///
    /// The sink's I/O error.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes one JSON object per line: the trace format that `actium trace`
/// reads (schema in `docs/TRACING.md`).
pub struct JsonLines<W: Write + Send + 'static> {
    out: W,
}

impl JsonLines<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be created.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(JsonLines::new(BufWriter::new(File::create(path)?)))
    }
}

impl<W: Write + Send + 'static> JsonLines<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }
}

impl<W: Write + Send + 'static> Sink for JsonLines<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let mut line = record.to_json();
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes one human-readable line per record to any writer:
///
/// ```text
/// +0.000412s  ask    main -> Store#2 (store)  get("apples")  [5e2a000000000007]
/// ```
///
/// Times are relative to the first record the sink saw.
pub struct Lines<W: Write + Send + 'static> {
    out: W,
    origin: Option<u64>,
}

impl<W: Write + Send + 'static> Lines<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Lines { out, origin: None }
    }
}

impl<W: Write + Send + 'static> Sink for Lines<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        let origin = *self.origin.get_or_insert(record.at_ns);
        let mut line = human_line(record, origin);
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Human-readable lines on standard output; see [`Lines`].
pub type Stdout = Lines<io::Stdout>;

impl Stdout {
    /// Writes to standard output.
    pub fn stdout() -> Self {
        Lines::new(io::stdout())
    }
}

fn who(participant: Option<&Participant>) -> String {
    match participant {
        None => "main".to_owned(),
        Some(p) => match &p.name {
            Some(name) => format!("{} ({name})", p.label()),
            None => p.label(),
        },
    }
}

/// One record as a line people read; `origin_ns` is the time shown as
/// `+0s`.
pub fn human_line(record: &Record, origin_ns: u64) -> String {
    let elapsed = Duration::from_nanos(record.at_ns.saturating_sub(origin_ns));
    let time = format!("+{:.6}s", elapsed.as_secs_f64());
    let detail = record.detail.as_deref().unwrap_or("");
    let (from, to) = (who(record.from.as_ref()), who(record.to.as_ref()));
    let what = match record.kind {
        Kind::Tell | Kind::Ask => format!("{from} -> {to}  {}({detail})", record.method),
        Kind::Reply | Kind::Error => format!("{from} -> {to}  {} = {detail}", record.method),
        Kind::Exit | Kind::Down => format!("{from} -> {to}  {detail}"),
        Kind::Start | Kind::End => format!("{to}  {}", record.method),
        Kind::Named => format!("{to}  as `{detail}`"),
        Kind::Timeout => format!("{from} gave up on {to}  {}: {detail}", record.method),
        Kind::Refused => format!("{from} -> {to}  {} refused: {detail}", record.method),
        Kind::Stopped => format!("{to}  exited: {detail}"),
        Kind::Dropped => format!("{} events dropped", record.count.unwrap_or(0)),
        Kind::Unknown => record.method.clone(),
    };
    format!(
        "{time}  {:<7}{what}  [{}]",
        record.kind.to_string(),
        record.id
    )
}

/// Re-emits every record as a `tracing` event (target `actium::trace`,
/// level INFO), for programs that already collect `tracing` output.
#[derive(Debug, Default)]
pub struct Tracing;

impl Sink for Tracing {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        tracing::info!(
            target: "actium::trace",
            kind = %record.kind,
            id = %record.id,
            from = %who(record.from.as_ref()),
            to = %who(record.to.as_ref()),
            method = %record.method,
            detail = record.detail.as_deref().unwrap_or(""),
        );
        Ok(())
    }
}

/// Keeps records in memory, for tests: clone it, give one clone to the
/// recording, and read or wait on the other.
#[derive(Clone, Default)]
pub struct Memory {
    shared: Arc<(Mutex<Vec<Record>>, Condvar)>,
}

impl Memory {
    /// An empty memory sink.
    pub fn new() -> Self {
        Memory::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Record>> {
        // Only pushes and clones run under this lock.
        self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the records so far.
    pub fn records(&self) -> Vec<Record> {
        self.lock().clone()
    }

    /// Blocks until `done` holds for the records so far, or `timeout`
    /// passes; returns the records either way, `Ok` if `done` held.
    ///
    /// # Errors
    ///
    /// `Err(records)` when the timeout passed first.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&[Record]) -> bool,
    ) -> Result<Vec<Record>, Vec<Record>> {
        let deadline = Instant::now() + timeout;
        let mut records = self.lock();
        loop {
            if done(&records) {
                return Ok(records.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(records.clone());
            }
            records = self
                .shared
                .1
                .wait_timeout(records, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Sink for Memory {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        self.lock().push(record.clone());
        self.shared.1.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    fn record(kind: Kind, at_ns: u64, detail: &str) -> Record {
        Record {
            to: Some(Participant {
                name: Some("store".into()),
                ..sample::store()
            }),
            detail: Some(detail.into()),
            ..sample::record(kind, 7, at_ns)
        }
    }

    #[test]
    fn human_lines_show_time_kind_who_and_what() {
        let mut lines = Lines::new(Vec::new());
        lines
            .write(&record(Kind::Ask, 1_000, "\"apples\""))
            .expect("write");
        lines
            .write(&record(Kind::Start, 2_001_000, ""))
            .expect("write");
        let text = String::from_utf8(lines.out).expect("utf-8");
        assert_eq!(
            text,
            "+0.000000s  ask    main -> Store#2 (store)  get(\"apples\")  [0000000000000007]\n\
             +0.002000s  start  Store#2 (store)  get  [0000000000000007]\n"
        );
    }

    #[test]
    fn json_lines_write_one_object_per_line() {
        let mut sink = JsonLines::new(Vec::new());
        sink.write(&record(Kind::Tell, 1, "5")).expect("write");
        sink.write(&record(Kind::Tell, 2, "6")).expect("write");
        let text = String::from_utf8(sink.out).expect("utf-8");
        assert_eq!(text.lines().count(), 2);
        let back: Record = serde_json::from_str(text.lines().nth(1).expect("line")).expect("json");
        assert_eq!(back, record(Kind::Tell, 2, "6"));
    }

    #[test]
    fn waiting_on_memory_times_out_with_what_arrived() {
        let memory = Memory::new();
        let mut writer = memory.clone();
        writer.write(&record(Kind::Tell, 1, "")).expect("write");
        let got = memory.wait_for(Duration::from_millis(20), |records| records.len() == 2);
        assert_eq!(got.map_err(|r| r.len()), Err(1));
        assert!(memory.wait_for(Duration::ZERO, |r| r.len() == 1).is_ok());
    }
}
