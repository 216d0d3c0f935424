//! PlantUML source.

use std::fmt::Write as _;

use crate::diagram::{Arrow, Diagram, Step};

/// PlantUML text has no escape for `<` and `>` in labels (they start
/// markup); close look-alikes keep `Vec<u8>` readable.
fn text(label: &str) -> String {
    label.replace('<', "‹").replace('>', "›")
}

/// A name between double quotes, which it cannot contain.
fn quoted(name: &str) -> String {
    text(name).replace('"', "'")
}

/// Draws `diagram` as PlantUML source.
pub fn plantuml(diagram: &Diagram) -> String {
    let mut out = String::from("@startuml\n");
    out.push_str("skinparam style strictuml\n");
    for group in &diagram.nodes {
        if diagram.is_multi_node() {
            let _ = writeln!(out, "box \"{}\" #F4F6F8", quoted(&group.title()));
        }
        for index in group.lifelines.clone() {
            let title = quoted(&diagram.lifelines[index].title());
            let _ = writeln!(out, "participant \"{title}\" as p{index}");
        }
        if diagram.is_multi_node() {
            out.push_str("end box\n");
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
                    Arrow::Tell => "->>",
                    Arrow::Ask => "->",
                    Arrow::Reply => "-->",
                    Arrow::Error => "-[#c62828]->",
                    Arrow::Signal => "-[#6a1b9a]->x",
                };
                let label = match arrow {
                    Arrow::Error => format!("<color:#c62828>{}</color>", text(label)),
                    _ => text(label),
                };
                writeln!(out, "p{from} {line} p{to} : {label}")
            }
            Step::Activate(lifeline) => writeln!(out, "activate p{lifeline}"),
            Step::Deactivate(lifeline) => writeln!(out, "deactivate p{lifeline}"),
        };
    }
    for note in super::notes(diagram) {
        let _ = writeln!(out, "... {note} ...");
    }
    out.push_str("@enduml\n");
    out
}
