//! One-to-many calls: multicast, gather with per-member errors and one
//! deadline, and first-k / quorum that return as soon as enough members
//! answered — shown with a slow member and a failing one.

mod support;

use std::time::Duration;

use actium::Group;
use actium::prelude::*;
use support::Event;

#[derive(Clone)]
enum Behaviour {
    Answer(u32),
    /// Answers only once the event fires.
    Slow(u32, Event),
    Panic,
}

struct Member {
    behaviour: Behaviour,
    pokes: u32,
}

#[actor]
impl Member {
    #[ask]
    async fn vote(&self) -> u32 {
        match &self.behaviour {
            Behaviour::Answer(value) => *value,
            Behaviour::Slow(value, release) => {
                release.wait().await;
                *value
            }
            Behaviour::Panic => panic!("member failed"),
        }
    }

    #[tell]
    fn poke(&mut self, times: u32) {
        self.pokes += times;
    }

    #[ask]
    fn pokes(&self) -> u32 {
        self.pokes
    }
}

fn member(behaviour: Behaviour) -> ActorRef<Member> {
    Member {
        behaviour,
        pokes: 0,
    }
    .spawn()
}

/// Fast members answering 1 and 2, a slow one (3), a failing one.
fn mixed(release: &Event) -> Group<Member> {
    Group::new([
        member(Behaviour::Answer(1)),
        member(Behaviour::Slow(3, release.clone())),
        member(Behaviour::Panic),
        member(Behaviour::Answer(2)),
    ])
}

#[actium::test]
async fn multicast_reaches_every_member_and_reports_the_unreachable() -> actium::Result<()> {
    let group: Group<Member> = (0..3).map(|_| member(Behaviour::Answer(0))).collect();
    group.members()[2].stop();
    group.members()[2].stopped().await;
    let delivery = group.tell_all().poke(5).send();
    assert_eq!(delivery.len(), 3);
    let failures: Vec<_> = delivery.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, group.members()[2].id());
    assert!(matches!(failures[0].1, Error::ActorStopped { .. }));
    for live in &group.members()[..2] {
        assert_eq!(live.pokes().await?, 5);
    }
    Ok(())
}

#[actium::test]
async fn gather_returns_every_members_outcome_in_order_under_one_deadline() -> actium::Result<()> {
    let release = Event::new();
    let group = mixed(&release);
    let replies = group
        .ask_all()
        .vote()
        .timeout(Duration::from_millis(50))
        .await;
    let outcomes: Vec<String> = replies
        .iter()
        .map(|reply| match &reply.result {
            Ok(value) => format!("ok {value}"),
            Err(Error::Timeout { .. }) => "timeout".to_owned(),
            Err(Error::Panicked { message, .. }) => format!("panicked: {message}"),
            Err(other) => format!("{other}"),
        })
        .collect();
    assert_eq!(
        outcomes,
        ["ok 1", "timeout", "panicked: member failed", "ok 2"]
    );
    let members: Vec<ActorId> = replies.iter().map(|r| r.member).collect();
    let expected: Vec<ActorId> = group.members().iter().map(ActorRef::id).collect();
    assert_eq!(members, expected);
    assert!(!replies.all_succeeded());
    release.fire();
    Ok(())
}

#[actium::test]
async fn first_k_returns_without_waiting_for_the_slow_member() -> actium::Result<()> {
    let release = Event::new();
    let group = mixed(&release);
    // The slow member answers only once released, after this call; the
    // call's deadline is an hour. So the call returning at all (within the
    // bound against a hang) shows it did not wait for the slow member.
    let call = group.first(2).vote().timeout(Duration::from_secs(3600));
    let two = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the call waited for the slow member")?;
    let mut values = two.into_values()?;
    values.sort();
    assert_eq!(values, [1, 2]);
    release.fire();
    Ok(())
}

#[actium::test]
async fn a_quorum_fails_as_soon_as_it_cannot_be_reached() -> actium::Result<()> {
    let release = Event::new();
    let group = Group::new([
        member(Behaviour::Answer(1)),
        member(Behaviour::Panic),
        member(Behaviour::Panic),
        member(Behaviour::Slow(9, release.clone())),
    ]);
    // A quorum of 4 is 3; two failures leave at most 2 possible successes,
    // so the call fails at once instead of waiting for the slow member.
    let error = group.quorum().vote().await.expect_err("no quorum");
    match &error {
        Error::NotEnoughReplies {
            needed,
            succeeded,
            failures,
        } => {
            assert_eq!((*needed, *succeeded, failures.len()), (3, 1, 2));
            assert!(failures.iter().all(|f| matches!(f, Error::Panicked { .. })));
        }
        other => panic!("expected NotEnoughReplies, got {other:?}"),
    }
    release.fire();
    Ok(())
}

#[actium::test]
async fn a_quorum_of_healthy_members_succeeds() -> actium::Result<()> {
    let group: Group<Member> = (1..=5).map(|v| member(Behaviour::Answer(v))).collect();
    let majority = group.quorum().vote().await?;
    assert_eq!(majority.len(), 3);
    assert!(majority.all_succeeded());
    Ok(())
}

#[actium::test]
async fn degenerate_groups_answer_at_once() -> actium::Result<()> {
    let empty: Group<Member> = Group::new([]);
    assert!(empty.ask_all().vote().await.is_empty());
    assert!(empty.first(0).vote().await?.is_empty());
    let one: Group<Member> = Group::new([member(Behaviour::Answer(4))]);
    let error = one.first(2).vote().await.expect_err("impossible");
    assert!(matches!(error, Error::NotEnoughReplies { needed: 2, .. }));
    Ok(())
}
