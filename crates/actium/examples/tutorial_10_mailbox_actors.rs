//! Tutorial chapter 10: mailbox actors, Erlang style — a task with an
//! inbox that receives whatever it is sent, selective receive, and
//! `inbox.me()`. See `docs/tutorial/10_mailbox_actors.md`.
//!
//! ```text
//! cargo run --example tutorial_10_mailbox_actors
//! ```

use std::time::Duration;

use actium::prelude::*;
use tokio::sync::oneshot;

// ANCHOR: messages
/// The messages are plain types; a mailbox actor takes any `Send` value.
struct Ping {
    from: ActorRef<Process>,
}
struct Pong;
struct Job(u32);
struct Start {
    report: oneshot::Sender<u32>,
}
// ANCHOR_END: messages

// ANCHOR: ping_pong
/// Answers every `Ping` with a `Pong`, until it is stopped.
async fn ponger(mut inbox: Inbox) {
    while let Some(message) = inbox.recv().await {
        if let Ok(Ping { from }) = message.downcast::<Ping>() {
            let _ = from.send(Pong);
        }
    }
}

/// Pings `ponger` three times, waiting for each `Pong`.
async fn pinger(mut inbox: Inbox, ponger: ActorRef<Process>) -> actium::Result<()> {
    for round in 1..=3 {
        ponger.send(Ping { from: inbox.me() })?;
        inbox.recv_as::<Pong>(Duration::from_secs(5)).await?;
        println!("pong {round}");
    }
    Ok(())
}
// ANCHOR_END: ping_pong

// ANCHOR: selective
/// Waits for `Start` first, even if jobs arrive before it (they wait in
/// the mailbox), then sums three jobs and reports the total.
async fn collector(mut inbox: Inbox) -> actium::Result<()> {
    let timeout = Duration::from_secs(5);
    let Start { report } = inbox.recv_as::<Start>(timeout).await?;
    println!("started with {} job(s) already waiting", inbox.pending());
    let mut total = 0;
    for _ in 0..3 {
        let Job(n) = inbox.recv_as::<Job>(timeout).await?;
        total += n;
    }
    let _ = report.send(total);
    Ok(())
}
// ANCHOR_END: selective

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let ponger = actium::spawn(ponger);
        let pinger = {
            let ponger = ponger.clone();
            actium::spawn(move |inbox: Inbox| pinger(inbox, ponger))
        };
        // A process that returns `Ok` exits normally.
        assert_eq!(pinger.stopped().await, ExitReason::Normal);
        ponger.stop();

        let collector = actium::spawn(collector);
        collector.send(Job(1))?;
        collector.send(Job(2))?;
        let (report, total) = oneshot::channel();
        collector.send(Start { report })?;
        collector.send(Job(3))?;
        let total = total.await.expect("the collector reports its total");
        println!("total {total}");
        assert_eq!(total, 6);
        assert_eq!(collector.stopped().await, ExitReason::Normal);
        Ok(())
    })
}
// ANCHOR_END: main
