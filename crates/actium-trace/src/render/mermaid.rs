//! Mermaid source.

use std::fmt::Write as _;

use crate::diagram::{Arrow, Diagram, Step};

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
    let mut out = String::from("sequenceDiagram\n");
    for group in &diagram.nodes {
        let indent = if diagram.is_multi_node() {
            let _ = writeln!(out, "    box rgb(244,246,248) {}", text(&group.title()));
            "        "
        } else {
            "    "
        };
        for index in group.lifelines.clone() {
            let title = text(&diagram.lifelines[index].title());
            let _ = writeln!(out, "{indent}participant p{index} as {title}");
        }
        if diagram.is_multi_node() {
            out.push_str("    end\n");
        }
    }
    for step in &diagram.steps {
        let _ = match step {
            Step::Message {
                from,
                to,
                arrow,
                label,
            } => {
                let line = match arrow {
                    Arrow::Tell => "-)",
                    Arrow::Ask => "->>",
                    Arrow::Reply => "-->>",
                    Arrow::Error => "--x",
                    Arrow::Signal => "-x",
                };
                let message = format!("p{from}{line}p{to}: {}", text(label));
                if *arrow == Arrow::Error {
                    // Mermaid cannot colour one arrow: a red band marks it.
                    writeln!(out, "    rect rgb(255,235,238)\n        {message}\n    end")
                } else {
                    writeln!(out, "    {message}")
                }
            }
            Step::Activate(lifeline) => writeln!(out, "    activate p{lifeline}"),
            Step::Deactivate(lifeline) => writeln!(out, "    deactivate p{lifeline}"),
        };
    }
    let span = match diagram.lifelines.len() {
        0 => return out,
        1 => "p0".to_owned(),
        n => format!("p0,p{}", n - 1),
    };
    for note in super::notes(diagram) {
        let _ = writeln!(out, "    Note over {span}: {}", text(&note));
    }
    out
}
