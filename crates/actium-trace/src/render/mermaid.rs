//! Mermaid source.

use std::fmt::{self, Write as _};

use super::markup::{self, Markup};
use crate::diagram::{Arrow, Diagram};

/// Mermaid reads `#`, `;`, `<` and `>` as syntax in labels; its entity
/// codes write them literally.
fn text(label: &str) -> String {
    super::escaped(label, |c| match c {
        '#' => Some("#35;"),
        ';' => Some("#59;"),
        '<' => Some("#60;"),
        '>' => Some("#62;"),
        _ => None,
    })
}

/// Draws `diagram` as Mermaid source.
pub fn mermaid(diagram: &Diagram) -> String {
    markup::render::<Mermaid>(diagram)
}

/// Mermaid's spelling of a sequence diagram.
struct Mermaid;

impl Markup for Mermaid {
    const HEADER: &'static str = "sequenceDiagram\n";
    const FOOTER: &'static str = "";
    const INDENT: &'static str = "    ";
    const NOTES_NEED_A_LIFELINE: bool = true;

    fn open_box(out: &mut String, title: &str) -> fmt::Result {
        write!(out, "box rgb(244,246,248) {}", text(title))
    }

    fn close_box(out: &mut String) -> fmt::Result {
        out.write_str("end")
    }

    fn participant(out: &mut String, index: usize, title: &str) -> fmt::Result {
        write!(out, "participant p{index} as {}", text(title))
    }

    fn message(out: &mut String, from: usize, to: usize, arrow: Arrow, label: &str) -> fmt::Result {
        let line = match arrow {
            Arrow::Tell => "-)",
            Arrow::Ask => "->>",
            Arrow::Reply => "-->>",
            Arrow::Error => "--x",
            Arrow::Signal => "-x",
            Arrow::Timeout => "--x",
            Arrow::Late => "-->>",
            Arrow::Refused => "-x",
        };
        let message = format!("p{from}{line}p{to}: {}", text(label));
        if matches!(arrow, Arrow::Error | Arrow::Refused) {
            // Mermaid cannot colour one arrow: a red band marks it.
            let indent = Self::INDENT;
            write!(
                out,
                "rect rgb(255,235,238)\n{indent}{indent}{message}\n{indent}end"
            )
        } else {
            out.write_str(&message)
        }
    }

    fn destroy(out: &mut String, lifeline: usize) -> fmt::Result {
        // Mermaid's own `destroy` must precede a message to the lifeline;
        // an exit has none, so a note marks where the lifeline ends.
        write!(out, "Note over p{lifeline}: ✕ exited")
    }

    fn note(out: &mut String, lifelines: usize, note: &str) -> fmt::Result {
        let span = match lifelines {
            1 => "p0".to_owned(),
            n => format!("p0,p{}", n - 1),
        };
        write!(out, "Note over {span}: {}", text(note))
    }
}
