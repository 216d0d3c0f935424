//! `actium top`: a live view of a running node, like htop for actors.
//!
//! The CLI starts a node of its own (`client`: on an ephemeral port of
//! 127.0.0.1 with the cluster's cookie, or a node of the watched node's
//! NATS cluster) and asks the watched node for its snapshot over the
//! authenticated node protocol every interval. `view`
//! draws what it knows as a pure function, so the same code draws on the
//! terminal (crossterm) and, with `--frames`, on ratatui's in-memory
//! backend, printed as text.

mod view;

use std::io::Write as _;
use std::sync::mpsc;
use std::time::Duration;

use actium_core::System;
use actium_core::observe::SystemSnapshot;
use crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub use view::{View, draw};

use crate::args::Top;
use crate::client::{ClientNode, Join};

/// How the actor table is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SortKey {
    /// Deepest mailbox first.
    #[default]
    Depth,
    /// Most messages a second first.
    Rate,
}

impl SortKey {
    fn describe(self) -> &'static str {
        match self {
            SortKey::Depth => "mailbox depth",
            SortKey::Rate => "message rate",
        }
    }

    fn next(self) -> Self {
        match self {
            SortKey::Depth => SortKey::Rate,
            SortKey::Rate => SortKey::Depth,
        }
    }
}

/// Runs `actium top`.
pub fn run(top: &Top) -> Result<(), String> {
    let system = System::builder()
        .workers(1)
        .start()
        .map_err(|error| format!("cannot start a system: {error}"))?;
    let result = watch(&system, top);
    system.shutdown();
    result
}

/// How the CLI joins to watch `top.node`.
fn join(top: &Top) -> Join<'_> {
    Join {
        name: "actium-top",
        cookie: top.cookie.as_deref(),
        #[cfg(feature = "nats")]
        nats: &top.nats,
    }
}

fn watch(system: &System, top: &Top) -> Result<(), String> {
    let node = ClientNode::start(system, &top.node, &join(top))?;
    let mut view = View {
        sort: top.sort,
        ..View::default()
    };
    let result = match top.frames {
        Some(frames) => print_frames(system, &node, top, &mut view, frames),
        None => interactive(system, &node, top, &mut view),
    };
    node.shutdown();
    result
}

/// `--frames N`: prints N frames as text, one interval apart.
fn print_frames(
    system: &System,
    node: &ClientNode,
    top: &Top,
    view: &mut View,
    frames: usize,
) -> Result<(), String> {
    let mut terminal = Terminal::new(TestBackend::new(top.width, top.height))
        .map_err(|error| format!("cannot draw: {error}"))?;
    let mut out = std::io::stdout().lock();
    for n in 1..=frames {
        view.update(node.snapshot(system, &top.node)?);
        terminal
            .draw(|frame| draw(frame, view))
            .map_err(|error| format!("cannot draw: {error}"))?;
        let text = buffer_text(terminal.backend().buffer());
        writeln!(out, "--- frame {n} ---\n{text}")
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write: {error}"))?;
        if n < frames {
            std::thread::sleep(top.interval);
        }
    }
    Ok(())
}

/// A buffer's cells as lines of text, trailing blanks trimmed.
pub fn buffer_text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width.max(1));
    buffer
        .content
        .chunks(width)
        .map(|row| {
            let line: String = row.iter().map(ratatui::buffer::Cell::symbol).collect();
            line.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The live view: snapshots come from a fetching thread, keys from the
/// terminal, until `q`.
fn interactive(
    system: &System,
    node: &ClientNode,
    top: &Top,
    view: &mut View,
) -> Result<(), String> {
    let (sender, snapshots) = mpsc::channel();
    // Dropped when the view ends: the fetcher stops waiting at once.
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let answer = node.snapshot(system, &top.node);
                if sender.send(answer).is_err() {
                    return;
                }
                match stopped.recv_timeout(top.interval) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        });
        let mut terminal = ratatui::init();
        let result = keys(&mut terminal, view, &snapshots);
        ratatui::restore();
        drop(stop);
        result.map_err(|error| format!("terminal: {error}"))
    })
}

fn keys(
    terminal: &mut ratatui::DefaultTerminal,
    view: &mut View,
    snapshots: &mpsc::Receiver<Result<SystemSnapshot, String>>,
) -> std::io::Result<()> {
    loop {
        while let Ok(answer) = snapshots.try_recv() {
            match answer {
                Ok(snapshot) => view.update(snapshot),
                Err(problem) => view.problem = Some(problem),
            }
        }
        terminal.draw(|frame| draw(frame, view))?;
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
            KeyCode::Char('s') => view.sort = view.sort.next(),
            KeyCode::Down | KeyCode::Char('j') => view.select(1),
            KeyCode::Up | KeyCode::Char('k') => view.select(-1),
            _ => {}
        }
    }
}
