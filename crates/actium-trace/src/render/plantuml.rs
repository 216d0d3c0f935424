//! PlantUML source.

use std::fmt::{self, Write as _};

use super::markup::{self, Markup};
use crate::diagram::{Arrow, Diagram};

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
    markup::render::<PlantUml>(diagram)
}

/// PlantUML's spelling of a sequence diagram.
struct PlantUml;

impl Markup for PlantUml {
    const HEADER: &'static str = "@startuml\nskinparam style strictuml\n";
    const FOOTER: &'static str = "@enduml\n";
    const INDENT: &'static str = "";
    const NOTES_NEED_A_LIFELINE: bool = false;

    fn open_box(out: &mut String, title: &str) -> fmt::Result {
        write!(out, "box \"{}\" #F4F6F8", quoted(title))
    }

    fn close_box(out: &mut String) -> fmt::Result {
        out.write_str("end box")
    }

    fn participant(out: &mut String, index: usize, title: &str) -> fmt::Result {
        write!(out, "participant \"{}\" as p{index}", quoted(title))
    }

    fn message(out: &mut String, from: usize, to: usize, arrow: Arrow, label: &str) -> fmt::Result {
        let line = match arrow {
            Arrow::Tell => "->>",
            Arrow::Ask => "->",
            Arrow::Reply => "-->",
            Arrow::Error => "-[#c62828]->",
            Arrow::Signal => "-[#6a1b9a]->x",
            Arrow::Timeout => "-[#ef6c00,dashed]->x",
            Arrow::Late => "-[#9e9e9e,dashed]->",
            Arrow::Refused => "-[#c62828]->x",
        };
        let label = match arrow {
            Arrow::Error | Arrow::Refused => format!("<color:#c62828>{}</color>", text(label)),
            Arrow::Timeout => format!("<color:#ef6c00>{}</color>", text(label)),
            Arrow::Late => format!("<color:#9e9e9e>{}</color>", text(label)),
            _ => text(label),
        };
        write!(out, "p{from} {line} p{to} : {label}")
    }

    fn destroy(out: &mut String, lifeline: usize) -> fmt::Result {
        write!(out, "destroy p{lifeline}")
    }

    fn note(out: &mut String, _lifelines: usize, note: &str) -> fmt::Result {
        write!(out, "... {note} ...")
    }
}
