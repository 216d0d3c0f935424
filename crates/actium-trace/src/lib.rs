//! Message tracing for [Actium](https://docs.rs/actium): record what actors
//! say to each other, and draw it as a UML sequence diagram.
//!
//! ```
//! use actium::prelude::*;
//! use actium_trace::{Diagram, Filter, Format, Memory, Recording};
//!
//! #[derive(Default)]
//! struct Store { items: Vec<String> }
//!
//! #[actor]
//! impl Store {
//!     #[tell]
//!     fn put(&mut self, item: String) { self.items.push(item); }
//!     #[ask]
//!     fn count(&self) -> usize { self.items.len() }
//! }
//!
//! let system = System::builder().start()?;
//! let memory = Memory::new();
//! let recording = Recording::builder().sink(memory.clone()).start(system.handle())?;
//! let store = Store::default().spawner().system(system.handle()).spawn();
//! store.put("apples".into())?;
//! assert_eq!(store.count().wait()?, 1);
//! let records = memory
//!     .wait_for(std::time::Duration::from_secs(5), |r| r.len() == 7)
//!     .expect("every event arrives");
//! recording.finish();
//!
//! let diagram = Diagram::build(&records, &Filter::default());
//! let mermaid = Format::Mermaid.render(&diagram);
//! assert!(mermaid.contains(r#"p0-)p1: put("apples")"#));
//! assert!(mermaid.contains("p1-->>p0: 1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - [`record`] — the trace format: one [`Record`] per JSON Lines line.
//! - [`recording`], [`sink`] — the [`Recording`] a system's events go to
//!   (through a bounded, lock-free queue to one writer thread, dropping and
//!   counting what does not fit), and where it writes: [`Stdout`] (human
//!   lines), [`JsonLines`] files, [`Memory`] for tests, [`Tracing`].
//! - [`read`], [`mod@merge`] — reading trace files back, keeping what is good
//!   in a damaged file, and merging the traces of several nodes into one
//!   causal order by correlation ids.
//! - [`diagram`] — a trace as lifelines and steps, with [`Filter`]s and a
//!   limit.
//! - [`render`] — the diagram as PlantUML, Mermaid, or an SVG picture drawn
//!   here.
//! - [`mod@stats`] — messages per actor and method, answer latencies.
//!
//! The recording hook itself lives in the runtime (`actium::observe`): it
//! costs one relaxed atomic load per message while nothing records.
#![warn(missing_docs)]

pub mod diagram;
pub mod merge;
pub mod read;
pub mod record;
pub mod recording;
pub mod render;
pub mod sink;
pub mod stats;

pub use diagram::{Diagram, Filter};
pub use merge::merge;
pub use read::{Problem, Trace, read_file};
pub use record::{Kind, Record};
pub use recording::{Recording, RecordingBuilder, Summary};
pub use render::Format;
pub use sink::{JsonLines, Lines, Memory, Sink, Stdout, Tracing};
pub use stats::{Stats, stats};
