//! Diagrams of fixed traces: PlantUML and Mermaid compared with golden
//! files, and the SVG parsed as XML and counted.
//!
//! The traces in `tests/golden/` are a recording of `trace_demo`
//! (`shop.jsonl`) and two nodes' traces with node B's clock a second behind
//! (`node_a.jsonl`, `node_b.jsonl`). After a deliberate change to a
//! renderer, regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test -p actium-trace --test diagrams` and review
//! the diff.

use std::path::{Path, PathBuf};

use actium_trace::{Diagram, Filter, Format, Kind, Record, merge, read_file};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn records(name: &str) -> Vec<Record> {
    let trace = read_file(golden(name)).expect("fixture");
    assert!(trace.problems.is_empty(), "{:?}", trace.problems);
    trace.records
}

fn shop() -> Vec<Record> {
    records("shop.jsonl")
}

fn two_nodes() -> Vec<Record> {
    merge(vec![records("node_a.jsonl"), records("node_b.jsonl")])
}

/// Compares `text` with the golden file `name`, or rewrites it when
/// `UPDATE_GOLDEN` is set.
fn assert_golden(name: &str, text: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert!(
        text == expected,
        "{name} differs from its golden file; if the change is meant, run \
         UPDATE_GOLDEN=1 cargo test -p actium-trace --test diagrams\n--- got ---\n{text}"
    );
}

#[test]
fn plantuml_of_the_shop_matches_its_golden_file() {
    let diagram = Diagram::build(&shop(), &Filter::default());
    assert_golden("shop.puml", &Format::PlantUml.render(&diagram));
}

#[test]
fn mermaid_of_the_shop_matches_its_golden_file() {
    let diagram = Diagram::build(&shop(), &Filter::default());
    assert_golden("shop.mmd", &Format::Mermaid.render(&diagram));
}

#[test]
fn two_nodes_merge_into_grouped_diagrams_matching_their_golden_files() {
    let diagram = Diagram::build(&two_nodes(), &Filter::default());
    assert_golden("two_nodes.puml", &Format::PlantUml.render(&diagram));
    assert_golden("two_nodes.mmd", &Format::Mermaid.render(&diagram));
}

#[test]
fn a_filtered_and_limited_diagram_matches_its_golden_file() {
    let filter = Filter {
        actors: vec!["warehouse".into()],
        limit: Some(3),
        ..Filter::default()
    };
    let diagram = Diagram::build(&shop(), &filter);
    let mermaid = Format::Mermaid.render(&diagram);
    assert_golden("shop_limited.mmd", &mermaid);
    assert_eq!(diagram.message_count(), 3);
    assert!(mermaid.contains(" more messages not shown"), "{mermaid}");
}

/// The SVG's participants, arrows and node groups, found by class.
struct Picture {
    participants: usize,
    lifelines: usize,
    messages: Vec<String>,
    nodes: usize,
    notes: Vec<String>,
}

fn parse_svg(svg: &str) -> Picture {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let classed = |class: &str| {
        root.descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split(' ').next() == Some(class))
            })
            .collect::<Vec<_>>()
    };
    let participants = classed("participant");
    let lifelines = participants
        .iter()
        .filter(|p| {
            p.children()
                .any(|c| c.attribute("class") == Some("lifeline"))
        })
        .count();
    Picture {
        participants: participants.len(),
        lifelines,
        messages: classed("message")
            .iter()
            .filter_map(|m| m.attribute("class"))
            .map(|c| c.trim_start_matches("message ").to_owned())
            .collect(),
        nodes: classed("node").len(),
        notes: classed("note")
            .iter()
            .map(|n| {
                n.descendants()
                    .filter(|t| t.is_text())
                    .filter_map(|t| t.text())
                    .collect()
            })
            .collect(),
    }
}

#[test]
fn the_svg_has_one_lifeline_per_participant_and_one_arrow_per_message() {
    let records = shop();
    let diagram = Diagram::build(&records, &Filter::default());
    let picture = parse_svg(&Format::Svg.render(&diagram));
    // main, the warehouse, the shop, billing and the courier.
    assert_eq!(picture.participants, 5);
    assert_eq!(picture.lifelines, 5);
    let sent = records.iter().filter(|r| r.kind.is_message()).count();
    assert_eq!(picture.messages.len(), sent);
    let errors = picture.messages.iter().filter(|m| *m == "error").count();
    let tells = picture.messages.iter().filter(|m| *m == "tell").count();
    assert_eq!((errors, tells), (2, 2), "{:?}", picture.messages);
    assert_eq!(picture.nodes, 0, "one node: no group frames");
}

#[test]
fn the_svg_of_two_nodes_groups_them_and_says_what_was_dropped() {
    let records = two_nodes();
    let diagram = Diagram::build(&records, &Filter::default());
    let picture = parse_svg(&Format::Svg.render(&diagram));
    assert_eq!(picture.nodes, 2);
    assert_eq!(picture.participants, 3);
    let messages = records.iter().filter(|r| r.kind.is_message()).count();
    assert_eq!(picture.messages.len(), messages);
    assert!(picture.messages.contains(&"signal".to_owned()));
    assert_eq!(picture.notes, ["3 events dropped by the recorder"]);
}

#[test]
fn the_svg_of_a_limited_diagram_says_how_many_more_messages_there_were() {
    let filter = Filter {
        limit: Some(4),
        ..Filter::default()
    };
    let records = shop();
    let messages = records.iter().filter(|r| r.kind.is_message()).count();
    let picture = parse_svg(&Format::Svg.render(&Diagram::build(&records, &filter)));
    assert_eq!(picture.messages.len(), 4);
    assert_eq!(
        picture.notes,
        [format!("{} more messages not shown", messages - 4)]
    );
}

#[test]
fn labels_with_markup_characters_stay_text() {
    let mut records = shop();
    let tell = records
        .iter_mut()
        .find(|r| r.kind == Kind::Tell)
        .expect("a tell");
    tell.detail = Some(r#"<b>&"x"</b>; #1"#.into());
    let diagram = Diagram::build(&records, &Filter::default());
    let picture = parse_svg(&Format::Svg.render(&diagram));
    assert_eq!(picture.participants, 5);
    let mermaid = Format::Mermaid.render(&diagram);
    assert!(
        mermaid.contains("#60;b#62;&\"x\"#60;/b#62;#59; #35;1"),
        "{mermaid}"
    );
    let plantuml = Format::PlantUml.render(&diagram);
    assert!(plantuml.contains("‹b›&\"x\"‹/b›; #1"), "{plantuml}");
}
