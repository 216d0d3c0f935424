//! Reading trace files back, line by line, keeping what can be kept.
//!
//! A trace written by a process that crashed ends mid-line; a trace edited
//! by hand may hold a bad line. Neither should cost the rest of the file:
//! each line that is not a record becomes a [`Problem`] naming its line,
//! and reading goes on.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use crate::record::{Record, SCHEMA_VERSION};

/// The records of one trace file, and the lines that were not records.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// The records, in file order.
    pub records: Vec<Record>,
    /// Lines skipped, with why.
    pub problems: Vec<Problem>,
}

/// A line of a trace that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or other source) it came from.
    pub source: String,
    /// The line number, from 1.
    pub line: usize,
    /// What was wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.source, self.line, self.message)
    }
}

/// Reads the trace file at `path`.
///
/// # Errors
///
/// The file cannot be opened or read; bad lines are
/// [`problems`](Trace::problems), not errors.
pub fn read_file(path: impl AsRef<Path>) -> io::Result<Trace> {
    let path = path.as_ref();
    let file = File::open(path)?;
    read(BufReader::new(file), &path.display().to_string())
}

/// Reads a trace from `input`; `source` names it in problems.
///
/// # Errors
///
/// Reading `input` fails.
pub fn read(mut input: impl BufRead, source: &str) -> io::Result<Trace> {
    let mut trace = Trace::default();
    let mut bytes = Vec::new();
    let mut number = 0;
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(trace);
        }
        number += 1;
        let complete = bytes.last() == Some(&b'\n');
        match parse_line(&bytes, complete) {
            Ok(Some(record)) => trace.records.push(record),
            Ok(None) => {}
            Err(message) => trace.problems.push(Problem {
                source: source.to_owned(),
                line: number,
                message,
            }),
        }
    }
}

/// One line: a record, nothing (a blank line), or why it is not one.
fn parse_line(bytes: &[u8], complete: bool) -> Result<Option<Record>, String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("not UTF-8 text; skipped".to_owned());
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Record>(text) {
        Ok(record) if record.v > SCHEMA_VERSION => Err(format!(
            "written with schema version {}, newer than this reader's ({SCHEMA_VERSION}); skipped",
            record.v
        )),
        Ok(record) => Ok(Some(record)),
        Err(_) if !complete => {
            Err("truncated: the file ends in the middle of this event; skipped".to_owned())
        }
        Err(error) => Err(format!("not a trace event ({error}); skipped")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"v":1,"kind":"tell","id":"01","at_ns":1,"node":"aa","from":null,"to":null,"method":"m"}"#;

    #[test]
    fn bad_and_truncated_lines_are_named_and_the_rest_is_kept() {
        let text = format!("{GOOD}\n\nnot json\n{GOOD}\n{}", &GOOD[..30]);
        let trace = read(text.as_bytes(), "t.jsonl").expect("reads");
        assert_eq!(trace.records.len(), 2);
        let problems: Vec<String> = trace.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("t.jsonl:3: not a trace event"));
        assert!(problems[1].starts_with("t.jsonl:5: truncated"));
    }

    #[test]
    fn newer_schemas_and_invalid_utf8_are_problems() {
        let newer = GOOD.replace(r#""v":1"#, r#""v":9"#);
        let mut text = format!("{newer}\n").into_bytes();
        text.extend_from_slice(b"\xff\xfe\n");
        let trace = read(&text[..], "t").expect("reads");
        assert!(trace.records.is_empty());
        assert!(trace.problems[0].message.contains("schema version 9"));
        assert!(trace.problems[1].message.contains("UTF-8"));
    }
}
