//! Tutorial chapter 9: when actors fail — links, monitors, and a
//! supervisor that restarts a crashed actor behind the same reference.
//! See `docs/tutorial/09_links_and_supervisors.md`.
//!
//! ```text
//! cargo run --example tutorial_09_links_and_supervisors
//! ```

use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Strategy, Supervisor};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

// ANCHOR: worker
/// Parses numbers; panics on anything else (a bug, contained).
#[derive(Default)]
struct Parser {
    parsed: u32,
}

#[actor]
impl Parser {
    #[ask]
    fn parse(&mut self, input: String) -> i64 {
        self.parsed += 1;
        input.trim().parse().expect("the input is a number")
    }

    #[ask]
    fn parsed(&self) -> u32 {
        self.parsed
    }
}
// ANCHOR_END: worker

// ANCHOR: watcher
/// Links to one parser and monitors another, and reports what it sees.
struct Watcher {
    seen: UnboundedSender<String>,
}

#[actor]
impl Watcher {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        // Without this, a linked actor's crash would kill the watcher too.
        ctx.trap_exit(true);
    }

    #[ask]
    fn watch(
        &mut self,
        linked: ActorRef<Parser>,
        monitored: ActorRef<Parser>,
        ctx: &mut Context<Self>,
    ) {
        ctx.link(&linked);
        ctx.monitor(&monitored);
    }

    /// A linked actor exited (delivered because this actor traps exits).
    #[on_exit]
    fn exited(&mut self, exit: Exit) {
        let _ = self
            .seen
            .send(format!("exit of {}: {}", exit.actor, exit.reason));
    }

    /// A monitored actor exited.
    #[on_down]
    fn down(&mut self, down: Down) {
        let _ = self
            .seen
            .send(format!("down of {}: {}", down.actor, down.reason));
    }
}
// ANCHOR_END: watcher

// ANCHOR: links
async fn links_and_monitors() -> actium::Result<()> {
    let (seen, mut log) = unbounded_channel();
    let watcher = Watcher { seen }.spawn();
    let (linked, monitored) = (Parser::default().spawn(), Parser::default().spawn());
    watcher.watch(linked.clone(), monitored.clone()).await?;

    // A panic is an error for the caller, and an exit for the link.
    let crash = linked.parse("three".into()).await;
    println!("parse(\"three\"): {}", crash.unwrap_err());
    let exit = log.recv().await.expect("the watcher reports the exit");
    println!("{exit}");
    assert!(exit.ends_with(
        "panicked: the input is a number: ParseIntError { kind: InvalidDigit } (in `parse`)"
    ));

    monitored.stop();
    let down = log.recv().await.expect("the watcher reports the down");
    println!("{down}");
    assert!(down.ends_with(": stopped"));
    assert!(watcher.is_alive());
    Ok(())
}
// ANCHOR_END: links

// ANCHOR: supervisor
async fn supervised() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .strategy(Strategy::OneForOne)
        .intensity(3, Duration::from_secs(10)) // at most 3 restarts in 10 s
        .child(ChildSpec::new("parser", Parser::default))
        .spawn();
    let parser = supervisor.children().await?.get::<Parser>("parser")?;

    assert_eq!(parser.parse("1".into()).await?, 1);
    assert!(parser.parse("two".into()).await.is_err()); // crashes; restarted
    // The same reference reaches the new incarnation, with fresh state.
    assert_eq!(parser.parse("3".into()).await?, 3);
    let parsed = parser.parsed().await?;
    println!("after a crash and a restart, the parser parsed {parsed} input(s)");
    assert_eq!(parsed, 1);
    supervisor.stop();
    Ok(())
}
// ANCHOR_END: supervisor

fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        links_and_monitors().await?;
        supervised().await
    })
}
