//! A panic's message is said once in each place it shows: the caller's
//! error, the exit reason (and the `Exit`/`Down` that carry it), a
//! supervisor's start error, and the warning Actium logs.

mod support;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};

/// Panics when asked; stops on a panic, so that its exit reason says it.
#[derive(Default)]
struct Boom;

#[actor(on_panic = "stop")]
impl Boom {
    #[ask]
    fn explode(&self) -> u8 {
        panic!("kaboom");
    }
}

/// Panics in `on_start`.
#[derive(Default)]
struct Dud;

#[actor]
impl Dud {
    #[on_start]
    fn start(&mut self) {
        panic!("no fuel");
    }

    #[ask]
    fn ping(&self) {}
}

fn count(text: &str, word: &str) -> usize {
    text.matches(word).count()
}

#[actium::test]
async fn the_callers_error_and_the_exit_reason_say_the_message_once() -> actium::Result<()> {
    let boom = Boom.spawn();
    let error = boom.explode().await.unwrap_err();
    let text = error.to_string();
    assert_eq!(
        (count(&text, "kaboom"), count(&text, "panicked")),
        (1, 1),
        "{text}"
    );
    assert_eq!(
        text,
        format!("`explode` on {} panicked: kaboom", boom.label())
    );

    let reason = boom.stopped().await;
    assert_eq!(reason, ExitReason::Panicked("kaboom (in `explode`)".into()));
    let text = reason.to_string();
    assert_eq!(text, "panicked: kaboom (in `explode`)");
    assert_eq!((count(&text, "kaboom"), count(&text, "panicked")), (1, 1));
    Ok(())
}

#[actium::test]
async fn a_down_carries_the_message_once() -> actium::Result<()> {
    let boom = Boom.spawn();
    let target = boom.clone();
    let watcher = actium::spawn(move |mut inbox: Inbox| async move {
        inbox.monitor(&target);
        let _ = target.explode().await;
        let down = inbox
            .recv_as::<Down>(std::time::Duration::MAX)
            .await
            .expect("a Down");
        assert_eq!(down.reason.to_string(), "panicked: kaboom (in `explode`)");
    });
    let _ = boom.stopped().await;
    assert_eq!(watcher.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn a_child_that_panics_on_start_says_so_once() -> actium::Result<()> {
    let supervisor = Supervisor::builder().spawn();
    let error = supervisor
        .start_child(ChildSpec::new("dud", Dud::default))
        .await?
        .unwrap_err();
    let text = error.to_string();
    assert_eq!(
        text,
        "the supervisor's child `dud` failed to start: panicked: no fuel (in `on_start`)"
    );
    assert_eq!((count(&text, "no fuel"), count(&text, "panicked")), (1, 1));
    Ok(())
}

/// Run in a fresh process by the test below: logs to standard error.
#[test]
#[ignore = "run by the_logged_warning_says_the_message_once, in a process of its own"]
fn log_a_panic() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
    // The default hook would print the message too; this test is about
    // Actium's own line.
    std::panic::set_hook(Box::new(|_| {}));
    actium::launch(Mode::Tasks, async {
        let boom = Boom.spawn();
        let _ = boom.explode().await;
        boom.stopped().await;
        Ok::<(), actium::Error>(())
    })
    .expect("the program runs");
}

#[test]
fn the_logged_warning_says_the_message_once() {
    let stderr = support::in_fresh_process("log_a_panic");
    let line = stderr
        .lines()
        .find(|line| line.contains("method panicked"))
        .unwrap_or_else(|| panic!("no warning logged:\n{stderr}"));
    assert_eq!(count(line, "kaboom"), 1, "{line}");
    assert!(line.contains("explode") && line.contains("Boom#"), "{line}");
}
