//! `actium`: the command-line tool of the Actium actor middleware.
//!
//! ```text
//! actium trace render trace.jsonl -o sequence.svg --actor store --limit 200
//! actium trace render node-a.jsonl node-b.jsonl --format mermaid
//! actium trace stats trace.jsonl
//! actium nats nodes --server nats://127.0.0.1:4222 --cluster shop
//! actium nats names --server nats://127.0.0.1:4222 --cluster shop
//! actium top tcp://127.0.0.1:4000 --cookie secret
//! actium observe tcp://127.0.0.1:4000 --cookie secret --actors workers,cache
//! actium top nats://shop/00000000075bcd15 --server nats://127.0.0.1:4222
//! ```
//!
//! Bad lines in a trace (a crash cut the last one short, an edit broke
//! one) are reported on standard error with their file and line number, and
//! the rest is used. A file that cannot be read at all stops the command:
//! a diagram missing a whole node would mislead.
//!
//! Layout: `args` is the command line as clap sees it; `top` is the live
//! view of a node in a terminal, `observe` the same and a live sequence
//! diagram on a local web page, both asking from a `client` node (TCP,
//! or NATS with the feature); this file reads the traces and runs the command; `nats`
//! is `actium nats …` (feature `nats`, which needs Rust 1.89: `cargo
//! install actium-cli --features nats`).

mod args;
mod client;
#[cfg(feature = "nats")]
mod nats;
mod observe;
mod top;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use actium_trace::{Diagram, Filter, Format, Record, merge, read_file, stats};
use clap::Parser;

use args::{Cli, Command, FilterArgs, Render, Stats, TraceCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Trace(TraceCommand::Render(render)) => run_render(render),
        Command::Trace(TraceCommand::Stats(command)) => run_stats(&command),
        #[cfg(feature = "nats")]
        Command::Nats(command) => nats::run(command),
        Command::Top(command) => top::run(&command),
        Command::Observe(command) => observe::run(&command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("actium: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads and merges the traces; bad lines are reported and skipped.
fn load(paths: &[PathBuf]) -> Result<Vec<Record>, String> {
    let mut traces = Vec::with_capacity(paths.len());
    for path in paths {
        let trace =
            read_file(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        for problem in &trace.problems {
            eprintln!("actium: warning: {problem}");
        }
        if trace.records.is_empty() && !trace.problems.is_empty() {
            return Err(format!("{} holds no trace events", path.display()));
        }
        traces.push(trace.records);
    }
    Ok(merge(traces))
}

fn format_for(explicit: Option<Format>, output: Option<&Path>) -> Format {
    let by_extension = output
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .and_then(|e| e.parse().ok());
    explicit.or(by_extension).unwrap_or(Format::Svg)
}

fn filter(args: FilterArgs) -> Filter {
    Filter {
        actors: args.actors,
        methods: args.methods,
        since: args.since,
        until: args.until,
        limit: args.limit,
    }
}

fn run_render(render: Render) -> Result<(), String> {
    let records = load(&render.traces)?;
    let format = format_for(render.format, render.output.as_deref());
    let filter = filter(render.filter);
    let filtered = !filter.actors.is_empty()
        || !filter.methods.is_empty()
        || filter.since.is_some()
        || filter.until.is_some();
    let diagram = Diagram::build(&records, &filter);
    // A filter that keeps nothing is a mistake worth a non-zero exit (a
    // misspelt actor, a window past the end), not an empty diagram.
    if filtered && diagram.steps.is_empty() && diagram.omitted == 0 {
        return Err(format!(
            "the filter matched no message of the {} events read; nothing drawn",
            records.len()
        ));
    }
    let text = format.render(&diagram);
    match &render.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|error| format!("cannot write {}: {error}", path.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|error| format!("cannot write the diagram: {error}")),
    }
}

fn run_stats(command: &Stats) -> Result<(), String> {
    let records = load(&command.traces)?;
    print!("{}", stats(&records).table());
    Ok(())
}
