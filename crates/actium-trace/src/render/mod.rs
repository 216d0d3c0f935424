//! Drawing a [`Diagram`] as text for PlantUML or Mermaid, or as a
//! standalone SVG picture drawn here.
//!
//! All three draw the same things the same way: one-way messages with an
//! open arrowhead, requests with a filled one, answers dashed, errors in
//! red, exit and down signals dotted; activation bars for method runs;
//! lifelines grouped in a box per node when the trace spans several; a
//! closing note when a limit left messages out or the recorder dropped
//! events. PlantUML and Mermaid source come from one walk of the diagram
//! (`markup`), each spelling the entries in its own syntax.

mod markup;
mod mermaid;
mod plantuml;
mod svg;

use std::fmt;
use std::str::FromStr;

use crate::diagram::Diagram;

pub use mermaid::mermaid;
pub use plantuml::plantuml;
pub use svg::svg;

/// A diagram format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A standalone SVG image, drawn by Actium.
    Svg,
    /// PlantUML source (`@startuml` … `@enduml`).
    PlantUml,
    /// Mermaid source (`sequenceDiagram`).
    Mermaid,
}

impl Format {
    /// Draws `diagram` in this format.
    pub fn render(self, diagram: &Diagram) -> String {
        match self {
            Format::Svg => svg(diagram),
            Format::PlantUml => plantuml(diagram),
            Format::Mermaid => mermaid(diagram),
        }
    }
}

/// A format name that is not `svg`, `plantuml` or `mermaid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown diagram format `{}`: use svg, plantuml or mermaid",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "svg" => Ok(Format::Svg),
            "plantuml" | "puml" => Ok(Format::PlantUml),
            "mermaid" | "mmd" => Ok(Format::Mermaid),
            _ => Err(UnknownFormat(name.to_owned())),
        }
    }
}

/// `text` with each character that `escape` maps replaced by its mapping.
pub(crate) fn escaped(text: &str, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match escape(c) {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    out
}

/// The closing notes every format shows: how many messages a limit left
/// out, how many events the recorder dropped.
pub(crate) fn notes(diagram: &Diagram) -> Vec<String> {
    let mut notes = Vec::new();
    if diagram.omitted > 0 {
        let s = if diagram.omitted == 1 { "" } else { "s" };
        notes.push(format!("{} more message{s} not shown", diagram.omitted));
    }
    if diagram.dropped > 0 {
        let s = if diagram.dropped == 1 { "" } else { "s" };
        notes.push(format!(
            "{} event{s} dropped by the recorder",
            diagram.dropped
        ));
    }
    notes
}
