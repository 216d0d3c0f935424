//! Hand-made histories, linearizable and not.

use super::*;

fn get(key: &str) -> Op {
    Op::Get { key: key.into() }
}

fn put(key: &str, value: &str) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
    }
}

fn cas(key: &str, expected: Option<&str>, new: &str) -> Op {
    Op::Cas {
        key: key.into(),
        expected: expected.map(str::to_owned),
        new: new.into(),
    }
}

fn value(value: Option<&str>) -> Output {
    Output::Value(value.map(str::to_owned))
}

/// Operation `op` of `client`, invoked at `invoked` and answered `output`
/// at `answered`.
fn done(client: u64, op: Op, invoked: u64, answered: u64, output: Output) -> Operation {
    Operation {
        client,
        op,
        invoked,
        answered: Some((answered, output)),
    }
}

/// Operation `op` of `client`, invoked at `invoked` and never answered.
fn pending(client: u64, op: Op, invoked: u64) -> Operation {
    Operation {
        client,
        op,
        invoked,
        answered: None,
    }
}

fn verdict(history: &[Operation]) -> Verdict {
    check(history).expect("a well-formed history")
}

#[test]
fn sequential_reads_see_the_last_write() {
    let history = [
        done(1, get("x"), 1, 2, value(None)),
        done(1, put("x", "a"), 3, 4, Output::Done),
        done(2, get("x"), 5, 6, value(Some("a"))),
        done(2, cas("x", Some("a"), "b"), 7, 8, Output::Swapped(true)),
        done(1, cas("x", Some("a"), "c"), 9, 10, Output::Swapped(false)),
        done(1, get("x"), 11, 12, value(Some("b"))),
    ];
    assert_eq!(verdict(&history), Verdict::Linearizable);
}

#[test]
fn a_read_overlapping_a_write_may_see_either_value() {
    for seen in [None, Some("a")] {
        let history = [
            done(1, put("x", "a"), 1, 4, Output::Done),
            done(2, get("x"), 2, 3, value(seen)),
        ];
        assert_eq!(verdict(&history), Verdict::Linearizable);
    }
}

#[test]
fn concurrent_writes_are_ordered_by_what_reads_saw() {
    // Two overlapping puts; later reads agree on which came last.
    let history = [
        done(1, put("x", "a"), 1, 5, Output::Done),
        done(2, put("x", "b"), 2, 4, Output::Done),
        done(3, get("x"), 6, 7, value(Some("a"))),
        done(3, get("x"), 8, 9, value(Some("a"))),
    ];
    assert_eq!(verdict(&history), Verdict::Linearizable);
    // Reading "a" then "b" with no write in between is not.
    let flip = [
        done(1, put("x", "a"), 1, 5, Output::Done),
        done(2, put("x", "b"), 2, 4, Output::Done),
        done(3, get("x"), 6, 7, value(Some("a"))),
        done(3, get("x"), 8, 9, value(Some("b"))),
    ];
    assert!(matches!(verdict(&flip), Verdict::Violation { .. }));
}

#[test]
fn rejects_a_stale_read() {
    // The write of "b" finished before the read began: "a" is stale.
    let history = [
        done(1, put("x", "a"), 1, 2, Output::Done),
        done(1, put("x", "b"), 3, 4, Output::Done),
        done(2, get("x"), 5, 6, value(Some("a"))),
    ];
    let Verdict::Violation { key, operations } = verdict(&history) else {
        panic!("a stale read passed");
    };
    assert_eq!(key, "x");
    assert_eq!(operations, history);
}

#[test]
fn rejects_a_lost_write() {
    // An acknowledged write that a later read does not see.
    let history = [
        done(1, put("x", "a"), 1, 2, Output::Done),
        done(2, get("x"), 3, 4, value(None)),
    ];
    assert!(matches!(verdict(&history), Verdict::Violation { .. }));
}

#[test]
fn rejects_a_cas_that_succeeded_twice() {
    // Both compare against "0" and both claim to have swapped: only one
    // can have seen "0".
    let history = [
        done(1, put("x", "0"), 1, 2, Output::Done),
        done(2, cas("x", Some("0"), "1"), 3, 6, Output::Swapped(true)),
        done(3, cas("x", Some("0"), "2"), 4, 5, Output::Swapped(true)),
    ];
    assert!(matches!(verdict(&history), Verdict::Violation { .. }));
    // One of them failing is fine, whichever it is.
    let mut one = history.clone();
    one[2].answered = Some((5, Output::Swapped(false)));
    assert_eq!(verdict(&one), Verdict::Linearizable);
}

#[test]
fn an_unanswered_write_may_take_effect_late_or_never() {
    let seen_late = [
        pending(1, put("x", "a"), 1),
        done(2, get("x"), 2, 3, value(None)),
        done(2, get("x"), 10, 11, value(Some("a"))),
    ];
    assert_eq!(verdict(&seen_late), Verdict::Linearizable);
    let never = [
        pending(1, put("x", "a"), 1),
        done(2, get("x"), 10, 11, value(None)),
    ];
    assert_eq!(verdict(&never), Verdict::Linearizable);
    // But once seen it cannot be unseen.
    let unseen = [
        pending(1, put("x", "a"), 1),
        done(2, get("x"), 2, 3, value(Some("a"))),
        done(2, get("x"), 4, 5, value(None)),
    ];
    assert!(matches!(verdict(&unseen), Verdict::Violation { .. }));
}

#[test]
fn a_value_read_before_it_was_written_is_rejected() {
    let history = [
        done(1, get("x"), 1, 2, value(Some("a"))),
        done(2, put("x", "a"), 3, 4, Output::Done),
    ];
    assert!(matches!(verdict(&history), Verdict::Violation { .. }));
}

#[test]
fn keys_are_checked_apart_and_the_bad_one_is_named() {
    let history = [
        done(1, put("x", "a"), 1, 2, Output::Done),
        done(1, put("y", "b"), 3, 4, Output::Done),
        done(2, get("x"), 5, 6, value(Some("a"))),
        done(2, get("y"), 7, 8, value(None)),
    ];
    let Verdict::Violation { key, operations } = verdict(&history) else {
        panic!("the lost write on y passed");
    };
    assert_eq!(key, "y");
    assert_eq!(operations.len(), 2);
}

#[test]
fn many_concurrent_clients_are_decided_quickly() {
    // 12 clients, each putting its own value then reading, all
    // overlapping: a factorial search without memoisation.
    let mut history = Vec::new();
    for client in 0..12_u64 {
        let value = client.to_string();
        history.push(done(
            client,
            put("x", &value),
            client,
            100 + client,
            Output::Done,
        ));
    }
    history.push(done(99, get("x"), 200, 201, value(Some("7"))));
    assert_eq!(
        check_within(&history, 1_000_000).expect("well formed"),
        Verdict::Linearizable
    );
}

#[test]
fn a_tiny_budget_is_undecided_not_wrong() {
    let history = [
        done(1, put("x", "a"), 1, 4, Output::Done),
        done(2, put("x", "b"), 2, 5, Output::Done),
        done(3, get("x"), 6, 7, value(Some("a"))),
    ];
    let verdict = check_within(&history, 2).expect("well formed");
    assert_eq!(verdict, Verdict::Undecided { key: "x".into() });
}

#[test]
fn malformed_histories_are_errors() {
    let backwards = [done(1, get("x"), 5, 4, value(None))];
    assert_eq!(
        check(&backwards),
        Err(HistoryError::AnsweredBeforeInvoked {
            index: 0,
            invoked: 5,
            answered: 4
        })
    );
    let wrong = [done(1, get("x"), 1, 2, Output::Done)];
    assert!(matches!(
        check(&wrong),
        Err(HistoryError::WrongOutput { index: 0, .. })
    ));
}
