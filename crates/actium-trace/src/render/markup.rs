//! Diagram source in a text markup: the walk PlantUML and Mermaid share.
//!
//! Both write a header, the participants (in a box per node when the
//! lifelines span several), one entry per step, the closing notes and a
//! footer, in that order; a [`Markup`] says how one markup spells each
//! entry. The walk writes each entry's indentation and line end, so a
//! markup spells only what differs.

use std::fmt::{self, Write as _};

use crate::diagram::{Arrow, Diagram, Step};

/// How a text markup spells each entry of a sequence diagram.
///
/// Titles and labels arrive as the diagram has them; each markup escapes
/// them for itself. An entry is written without its indentation and line
/// end, which the walk adds; an entry that needs several lines indents the
/// ones after its first with [`INDENT`](Markup::INDENT).
pub(crate) trait Markup {
    /// The lines that open the source.
    const HEADER: &'static str;
    /// The lines that close the source.
    const FOOTER: &'static str;
    /// One level of indentation: entries at the top level get one, the
    /// participants in a node's box two.
    const INDENT: &'static str;
    /// Whether a note needs a lifeline to stand over (then a diagram
    /// without lifelines shows no notes).
    const NOTES_NEED_A_LIFELINE: bool;

    /// Opens the box of one node's lifelines, titled `title`.
    fn open_box(out: &mut String, title: &str) -> fmt::Result;
    /// Closes the box [`open_box`](Markup::open_box) opened.
    fn close_box(out: &mut String) -> fmt::Result;
    /// Declares lifeline `index` (named `p{index}` in the entries after),
    /// titled `title`.
    fn participant(out: &mut String, index: usize, title: &str) -> fmt::Result;
    /// An arrow from lifeline `from` to lifeline `to`.
    fn message(out: &mut String, from: usize, to: usize, arrow: Arrow, label: &str) -> fmt::Result;
    /// Lifeline `lifeline` ends: its actor exited for good.
    fn destroy(out: &mut String, lifeline: usize) -> fmt::Result;
    /// A closing note over the lifelines (there are `lifelines` of them).
    fn note(out: &mut String, lifelines: usize, note: &str) -> fmt::Result;
}

/// Draws `diagram` in markup `M`.
pub(crate) fn render<M: Markup>(diagram: &Diagram) -> String {
    let mut out = String::from(M::HEADER);
    // Writing into a `String` cannot fail.
    let _ = walk::<M>(&mut out, diagram);
    out.push_str(M::FOOTER);
    out
}

fn walk<M: Markup>(out: &mut String, diagram: &Diagram) -> fmt::Result {
    let indent = M::INDENT;
    let boxed = diagram.is_multi_node();
    for group in &diagram.nodes {
        if boxed {
            out.push_str(indent);
            M::open_box(out, &group.title())?;
            out.push('\n');
        }
        for index in group.lifelines.clone() {
            out.push_str(indent);
            if boxed {
                out.push_str(indent);
            }
            M::participant(out, index, &diagram.lifelines[index].title())?;
            out.push('\n');
        }
        if boxed {
            out.push_str(indent);
            M::close_box(out)?;
            out.push('\n');
        }
    }
    for step in &diagram.steps {
        out.push_str(indent);
        match step {
            Step::Message {
                from,
                to,
                arrow,
                label,
            } => M::message(out, *from, *to, *arrow, label)?,
            Step::Activate(lifeline) => write!(out, "activate p{lifeline}")?,
            Step::Deactivate(lifeline) => write!(out, "deactivate p{lifeline}")?,
            Step::Destroy(lifeline) => M::destroy(out, *lifeline)?,
        }
        out.push('\n');
    }
    if M::NOTES_NEED_A_LIFELINE && diagram.lifelines.is_empty() {
        return Ok(());
    }
    for note in super::notes(diagram) {
        out.push_str(indent);
        M::note(out, diagram.lifelines.len(), &note)?;
        out.push('\n');
    }
    Ok(())
}
