//! Bounded mailboxes: a one-way send to a full mailbox fails at once with
//! `MailboxFull`, or — through `wait_for_room()` — waits until there is
//! room; waiting senders learn if the actor stops instead.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context as TaskContext, Waker};
use std::time::Duration;

use actium::prelude::*;
use support::{Event, Gate};

/// A gate with room for two waiting messages, busy inside `hold`.
async fn busy_gate() -> actium::Result<(ActorRef<Gate>, Event, actium::Ask<u64>)> {
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawner().capacity(2).spawn();
    let held = gate.hold();
    entered.wait().await;
    Ok((gate, open, held))
}

#[actium::test]
async fn a_tell_to_a_full_mailbox_fails_at_once() -> actium::Result<()> {
    let (gate, open, held) = busy_gate().await?;
    gate.touch()?;
    gate.touch()?;
    let error = gate.touch().expect_err("full");
    assert!(
        matches!(
            error,
            Error::MailboxFull {
                capacity: 2,
                method: "touch",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("is full (2 messages)"));
    assert!(error.is_transient());
    // Asks are refused the same way.
    assert!(matches!(
        gate.handled().await,
        Err(Error::MailboxFull { .. })
    ));
    open.fire();
    held.await?;
    // `hold` is answered before the gate takes its queued touches: the
    // mailbox may still be full for a moment.
    assert_eq!(gate.wait_for_room().handled().await?, 3);
    Ok(())
}

#[actium::test]
async fn waiting_for_room_delivers_in_order_once_there_is_room() -> actium::Result<()> {
    let (gate, open, held) = busy_gate().await?;
    gate.touch()?;
    gate.touch()?;
    let patient = gate.clone();
    let sender = tokio::spawn(async move {
        for _ in 0..5 {
            patient.wait_for_room().touch().await?;
        }
        patient.wait_for_room().handled().await
    });
    open.fire();
    held.await?;
    // 1 (hold) + 2 touches + 5 patient touches.
    assert_eq!(sender.await.expect("sender task")?, 8);
    Ok(())
}

#[actium::test]
async fn a_sender_waiting_for_room_learns_the_actor_stopped() -> actium::Result<()> {
    let (gate, open, held) = busy_gate().await?;
    gate.touch()?;
    gate.touch()?;
    let patient = gate.clone();
    let sender = tokio::spawn(async move { patient.wait_for_room().touch().await });
    gate.kill();
    let error = sender.await.expect("sender task").expect_err("stopped");
    assert!(matches!(error, Error::ActorStopped { .. }), "{error:?}");
    assert!(held.await.is_err());
    open.fire();
    Ok(())
}

#[actium::test]
async fn an_ask_waiting_for_room_has_a_deadline_too() -> actium::Result<()> {
    let (gate, open, held) = busy_gate().await?;
    gate.touch()?;
    gate.touch()?;
    // The mailbox stays full: the deadline covers the wait for room.
    let error = gate
        .wait_for_room()
        .handled()
        .timeout(Duration::from_millis(50))
        .await
        .expect_err("times out");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    open.fire();
    held.await?;
    // The timed-out request was never queued.
    assert_eq!(gate.wait_for_room().handled().await?, 3);
    Ok(())
}

/// Fires an event when woken.
struct WakeEvent(Event);

impl std::task::Wake for WakeEvent {
    fn wake(self: Arc<Self>) {
        self.0.fire();
    }
}

#[actium::test]
async fn a_sender_that_gives_up_does_not_strand_the_others() -> actium::Result<()> {
    let (gate, open, entered) = Gate::new();
    let gate = gate.spawner().capacity(1).spawn();
    let held = gate.hold();
    entered.wait().await;
    gate.touch()?;
    // Two senders wait for room, in this order.
    let mut first = Box::pin(gate.wait_for_room().touch());
    let mut second = Box::pin(gate.wait_for_room().touch());
    let (first_woken, second_woken) = (Event::new(), Event::new());
    for (sender, woken) in [(&mut first, &first_woken), (&mut second, &second_woken)] {
        let waker = Waker::from(Arc::new(WakeEvent(woken.clone())));
        let polled = sender.as_mut().poll(&mut TaskContext::from_waker(&waker));
        assert!(polled.is_pending());
    }
    open.fire();
    held.await?;
    // The gate takes its one queued message: room for one, offered to the
    // first sender...
    within_5s(first_woken.wait()).await;
    // ...which gives up without using it. The second must get the room.
    drop(first);
    within_5s(second_woken.wait()).await;
    let sent = second
        .as_mut()
        .poll(&mut TaskContext::from_waker(Waker::noop()));
    assert!(matches!(sent, std::task::Poll::Ready(Ok(()))), "{sent:?}");
    Ok(())
}

async fn within_5s(event: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(5), event)
        .await
        .expect("woken within 5 s");
}

/// Traps exits and records them; its mailbox holds one message.
struct Trapper {
    release: Event,
    log: Vec<String>,
}

#[actor]
impl Trapper {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exit(true);
    }

    #[ask]
    fn link_to(&self, ctx: &mut Context<Self>, other: ActorRef<Gate>) {
        ctx.link(&other);
    }

    #[ask]
    async fn hold(&self, entered: Event) {
        entered.fire();
        self.release.wait().await;
    }

    #[tell]
    fn note(&mut self, line: String) {
        self.log.push(line);
    }

    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        self.log.push(format!("exit {}", exit.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }
}

#[actium::test]
async fn an_exit_signal_is_queued_even_in_a_full_mailbox() -> actium::Result<()> {
    let release = Event::new();
    let trapper = Trapper {
        release: release.clone(),
        log: Vec::new(),
    }
    .spawner()
    .capacity(1)
    .spawn();
    let (gate, open, _entered) = Gate::new();
    let gate = gate.spawn();
    trapper.link_to(gate.clone()).await?;
    let entered = Event::new();
    let held = trapper.hold(entered.clone());
    entered.wait().await;
    trapper.note("queued".into())?;
    assert!(matches!(
        trapper.note("refused".into()),
        Err(Error::MailboxFull { .. })
    ));
    gate.kill();
    gate.stopped().await;
    release.fire();
    held.await?;
    assert_eq!(
        trapper.wait_for_room().log().await?,
        ["queued", "exit killed"]
    );
    open.fire();
    Ok(())
}
