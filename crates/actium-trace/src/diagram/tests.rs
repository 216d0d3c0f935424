//! Tests of building diagrams from records.
use super::*;
use crate::record::sample;

fn actor(type_name: &str, id: u64, node: &str) -> Participant {
    Participant {
        type_name: type_name.into(),
        id,
        node: node.into(),
        name: None,
    }
}

fn record(kind: Kind, id: u64, from: Option<Participant>, to: Option<Participant>) -> Record {
    Record {
        from,
        to,
        detail: Some("1".into()),
        ..sample::record(kind, id, id * 1_000_000)
    }
}

fn ask_and_answer(id: u64) -> Vec<Record> {
    let store = Some(actor("Store", 2, "aa"));
    vec![
        record(Kind::Ask, id, None, store.clone()),
        record(Kind::Start, id, None, store.clone()),
        record(Kind::Reply, id, store.clone(), None),
        record(Kind::End, id, None, store),
    ]
}

#[test]
fn an_ask_becomes_two_arrows_around_an_activation() {
    let diagram = Diagram::build(&ask_and_answer(1), &Filter::default());
    assert_eq!(diagram.lifelines.len(), 2);
    assert_eq!(diagram.lifelines[0].label, "main");
    assert_eq!(
        diagram.steps,
        [
            Step::Message {
                from: 0,
                to: 1,
                arrow: Arrow::Ask,
                label: "get(1)".into()
            },
            Step::Activate(1),
            Step::Message {
                from: 1,
                to: 0,
                arrow: Arrow::Reply,
                label: "1".into()
            },
            Step::Deactivate(1),
        ]
    );
}

#[test]
fn the_limit_counts_what_it_leaves_out_and_activations_always_close() {
    let balance = |diagram: &Diagram| {
        let count = |open: bool| {
            diagram
                .steps
                .iter()
                .filter(|s| match s {
                    Step::Activate(_) => open,
                    Step::Deactivate(_) => !open,
                    Step::Message { .. } | Step::Destroy(_) => false,
                })
                .count()
        };
        (count(true), count(false))
    };
    let mut records = ask_and_answer(1);
    records.extend(ask_and_answer(2));
    let filter = Filter {
        limit: Some(3),
        ..Filter::default()
    };
    let limited = Diagram::build(&records, &filter);
    assert_eq!(limited.message_count(), 3);
    assert_eq!(limited.omitted, 1);
    assert_eq!(balance(&limited), (1, 1));
    // A trace cut short before a run ended still closes its bar.
    records.pop();
    assert_eq!(
        balance(&Diagram::build(&records, &Filter::default())),
        (2, 2)
    );
}

#[test]
fn filters_keep_actors_by_type_label_or_name_and_a_time_window() {
    let mut records = ask_and_answer(1);
    let mut named = record(Kind::Named, 9, None, Some(actor("Store", 2, "aa")));
    named.detail = Some("store".into());
    records.push(named);
    for pattern in ["Store", "Store#2", "store", "main"] {
        let filter = Filter {
            actors: vec![pattern.into()],
            ..Filter::default()
        };
        assert_eq!(
            Diagram::build(&records, &filter).message_count(),
            2,
            "{pattern}"
        );
    }
    let nobody = Filter {
        actors: vec!["Cache".into()],
        ..Filter::default()
    };
    assert!(Diagram::build(&records, &nobody).steps.is_empty());
    let late = Filter {
        since: Some(Duration::from_secs(1)),
        ..Filter::default()
    };
    assert!(Diagram::build(&records, &late).steps.is_empty());
    let named = Diagram::build(&records, &Filter::default());
    assert_eq!(named.lifelines[1].title(), "store (Store#2)");
}

#[test]
fn labels_are_cut_and_flattened() {
    assert_eq!(truncate("abc", 3), "abc");
    assert_eq!(truncate("abcd", 3), "ab…");
    assert_eq!(truncate("a\nb", 5), "a b");
}

#[test]
fn a_timeout_crosses_at_the_caller_a_late_answer_is_grey_and_an_exit_ends_the_lifeline() {
    let store = Some(actor("Store", 2, "aa"));
    let mut timeout = record(Kind::Timeout, 1, None, store.clone());
    timeout.detail = Some("no answer in 5ms".into());
    let mut refused = record(Kind::Refused, 3, None, store.clone());
    refused.detail = Some("stopped".into());
    let records = vec![
        record(Kind::Ask, 1, None, store.clone()),
        record(Kind::Start, 1, None, store.clone()),
        timeout,
        record(Kind::Reply, 1, store.clone(), None),
        record(Kind::End, 1, None, store.clone()),
        record(Kind::Stopped, 2, None, store.clone()),
        record(Kind::Tell, 3, None, store.clone()),
        refused,
    ];
    let diagram = Diagram::build(&records, &Filter::default());
    let arrows: Vec<(usize, usize, Arrow, &str)> = diagram
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Message {
                from,
                to,
                arrow,
                label,
            } => Some((*from, *to, *arrow, label.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        arrows,
        [
            (0, 1, Arrow::Ask, "get(1)"),
            // From the store back to `main`, the caller that gave up.
            (1, 0, Arrow::Timeout, "timeout: get (no answer in 5ms)"),
            (1, 0, Arrow::Late, "late: 1"),
            (0, 1, Arrow::Tell, "get(1)"),
            (0, 1, Arrow::Refused, "get refused: stopped"),
        ]
    );
    assert!(diagram.steps.contains(&Step::Destroy(1)));
    let svg = crate::render::svg(&diagram);
    for class in [
        "message timeout",
        "message late",
        "message refused",
        "class=\"destroy\"",
    ] {
        assert!(svg.contains(class), "{class} missing from the SVG");
    }
    let plantuml = crate::render::plantuml(&diagram);
    assert!(plantuml.contains("destroy p1") && plantuml.contains("p1 -[#ef6c00,dashed]->x p0"));
    let mermaid = crate::render::mermaid(&diagram);
    assert!(mermaid.contains("p1--xp0") && mermaid.contains("Note over p1: ✕ exited"));
}
