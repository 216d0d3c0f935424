//! Mailbox actors (PARLEY style): `spawn` with `recv`, selective receive
//! with a deadline, `me()`, `send` of any value, function actors, and links
//! and monitors between mailbox actors and method actors.

mod support;

use std::time::Duration;

use actium::prelude::*;
use support::Event;

const SECOND: Duration = Duration::from_secs(1);

/// Panics; returns `()` so that a process body ending in it has a result
/// type (a bare `panic!` would make it `!`).
fn boom(message: &str) {
    panic!("{message}");
}

/// Replies to a `Ping` with a `Pong` carrying the same number.
struct Ping(u32, ActorRef<Process>);
#[derive(Debug, PartialEq)]
struct Pong(u32);

fn echo_server() -> ActorRef<Process> {
    actium::spawn(|mut inbox: Inbox| async move {
        while let Some(message) = inbox.recv().await {
            match message.downcast::<Ping>() {
                Ok(Ping(n, from)) => from.send(Pong(n))?,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        Ok::<(), Error>(())
    })
}

#[actium::test]
async fn processes_exchange_arbitrary_values() -> actium::Result<()> {
    let server = echo_server();
    let done = Event::new();
    let client = actium::spawn({
        let done = done.clone();
        move |mut inbox: Inbox| async move {
            for n in 0..10 {
                server.send(Ping(n, inbox.me()))?;
                assert_eq!(inbox.recv_as::<Pong>(SECOND).await?, Pong(n));
            }
            done.fire();
            Ok::<(), Error>(())
        }
    });
    done.wait().await;
    assert_eq!(client.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn selective_receive_leaves_other_messages_in_order() -> actium::Result<()> {
    let (result, ready) = (
        std::sync::Arc::new(std::sync::Mutex::new(Vec::new())),
        Event::new(),
    );
    let process = actium::spawn({
        let result = result.clone();
        let ready = ready.clone();
        move |mut inbox: Inbox| async move {
            ready.wait().await;
            // Take the number first, though strings arrived before it.
            let number = inbox.recv_as::<u64>(SECOND).await?;
            let mut seen = vec![format!("number {number}")];
            for _ in 0..3 {
                let text = inbox.recv_as::<&'static str>(SECOND).await?;
                seen.push(text.to_owned());
            }
            assert_eq!(inbox.pending(), 0);
            *result.lock().expect("result") = seen;
            Ok::<(), Error>(())
        }
    });
    process.send("first")?;
    process.send("second")?;
    process.send(42_u64)?;
    process.send("third")?;
    ready.fire();
    assert_eq!(process.stopped().await, ExitReason::Normal);
    assert_eq!(
        *result.lock().expect("result"),
        ["number 42", "first", "second", "third"]
    );
    Ok(())
}

#[actium::test]
async fn a_selective_receive_times_out_with_a_clear_error() -> actium::Result<()> {
    let process = actium::spawn(|mut inbox: Inbox| async move {
        let error = inbox
            .recv_as::<u64>(Duration::from_millis(20))
            .await
            .expect_err("nothing sent");
        assert!(matches!(error, Error::RecvTimeout { .. }), "{error:?}");
        // The message of the wrong type is still there.
        let text = inbox.recv().await.and_then(|m| m.downcast::<&str>().ok());
        assert_eq!(text, Some("not a number"));
    });
    process.send("not a number")?;
    assert_eq!(process.stopped().await, ExitReason::Normal);
    Ok(())
}

#[actium::test]
async fn stopping_a_process_ends_its_receive_loop() -> actium::Result<()> {
    let server = echo_server();
    server.stop();
    assert_eq!(server.stopped().await, ExitReason::Normal);
    assert!(matches!(server.send(1_u8), Err(Error::ActorStopped { .. })));
    Ok(())
}

#[actium::test]
async fn a_process_exits_with_its_error_or_panic() -> actium::Result<()> {
    let failing = actium::spawn(|_inbox: Inbox| async { Err::<(), _>("no disk") });
    assert_eq!(failing.stopped().await, ExitReason::Error("no disk".into()));
    let panicking = actium::spawn(|_inbox: Inbox| async { boom("process boom") });
    assert_eq!(
        panicking.stopped().await,
        ExitReason::Panicked("process boom".into())
    );
    Ok(())
}

#[actium::test]
async fn a_function_actor_answers_requests() -> actium::Result<()> {
    let mut calls = 0;
    let adder = actium::function_actor(move |(a, b): (i64, i64)| {
        calls += 1;
        (a + b, calls)
    });
    assert_eq!(adder.call((2, 3)).await?, (5, 1));
    assert_eq!(adder.call((10, -4)).await?, (6, 2));
    Ok(())
}

/// A method actor that watches and links to processes.
#[derive(Default)]
struct Observer {
    log: Vec<String>,
}

#[actor]
impl Observer {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, process: ActorRef<Process>) {
        ctx.monitor(&process);
    }

    #[ask]
    fn link_to(&mut self, ctx: &mut Context<Self>, process: ActorRef<Process>) {
        ctx.link(&process);
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.log.push(format!("down {}", down.reason));
    }

    #[ask]
    fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    #[ask]
    fn crash(&self) {
        panic!("observer crashed");
    }
}

#[actium::test]
async fn method_actors_monitor_and_link_to_processes() -> actium::Result<()> {
    let observer = Observer::default().spawn();
    let process = actium::spawn(|mut inbox: Inbox| async move {
        let _ = inbox.recv().await;
        boom("process crashed");
    });
    observer.watch(process.clone()).await?;
    process.send(())?;
    process.stopped().await;
    assert_eq!(observer.log().await?, ["down panicked: process crashed"]);

    let linked = actium::spawn(|mut inbox: Inbox| async move {
        let _ = inbox.recv().await;
        boom("linked process crashed");
    });
    observer.link_to(linked.clone()).await?;
    linked.send(())?;
    assert!(matches!(observer.stopped().await, ExitReason::Panicked(_)));
    Ok(())
}

#[actium::test]
async fn processes_receive_signals_as_messages() -> actium::Result<()> {
    let observer = Observer::default()
        .spawner()
        .on_panic(PanicPolicy::Stop)
        .spawn();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let watcher = actium::spawn({
        let observer = observer.clone();
        let got = got.clone();
        move |mut inbox: Inbox| async move {
            inbox.trap_exit(true);
            inbox.link(&observer);
            inbox.monitor(&observer);
            // The observer's answer (a panic) is not what this test waits for.
            drop(observer.crash());
            // Both the trapped exit and the monitor's Down arrive as messages.
            let exit = inbox.recv_as::<Exit>(SECOND).await?;
            let down = inbox.recv_as::<Down>(SECOND).await?;
            got.lock()
                .expect("got")
                .push(format!("exit {}", exit.reason));
            got.lock()
                .expect("got")
                .push(format!("down {}", down.reason));
            Ok::<(), Error>(())
        }
    });
    assert_eq!(watcher.stopped().await, ExitReason::Normal);
    let got = got.lock().expect("got").clone();
    assert!(got[0].starts_with("exit panicked"), "{got:?}");
    assert!(got[1].starts_with("down panicked"), "{got:?}");
    Ok(())
}

#[actium::test]
async fn a_process_spawn_links_its_children() -> actium::Result<()> {
    let parent = actium::spawn(|inbox: Inbox| async move {
        let child =
            inbox.spawn_link_process(|_inbox: Inbox| async { Err::<(), _>("child failed") })?;
        let _ = child.stopped().await;
        // The link kills the parent before it gets here.
        std::future::pending::<()>().await;
        Ok::<(), Error>(())
    });
    assert_eq!(
        parent.stopped().await,
        ExitReason::Error("child failed".into())
    );
    Ok(())
}

/// `exit(self(), kill)`: a kill that reaches a process while its body is
/// ending is its exit, whether the body then receives (and finds its
/// mailbox stopping) or returns at once. Before, a body that ended in the
/// same poll as the kill arrived exited `Normal` (seen as a flaky doc
/// test: a process linked to an actor being killed).
#[actium::test]
async fn a_kill_while_the_body_ends_is_the_process_exit() -> actium::Result<()> {
    let received = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = received.clone();
    let receiving = actium::spawn(|mut inbox: Inbox| async move {
        inbox.exit(&inbox.me(), ExitReason::Killed);
        let message = inbox.recv().await;
        *seen.lock().unwrap() = Some(message.is_none());
    });
    assert_eq!(receiving.stopped().await, ExitReason::Killed);
    assert_eq!(
        *received.lock().unwrap(),
        Some(true),
        "the body received nothing: its mailbox was stopping"
    );
    let returning = actium::spawn(|inbox: Inbox| async move {
        inbox.exit(&inbox.me(), ExitReason::Killed);
        Ok::<(), Error>(())
    });
    assert_eq!(returning.stopped().await, ExitReason::Killed);
    Ok(())
}

/// Erlang orders the signals of one sender: after `exit(P, kill)`, a
/// second exit signal finds P gone, so P's reason stays `killed`. A
/// graceful stop request before the kill is still overridden by it.
#[actium::test]
async fn the_first_kill_of_a_process_names_its_exit() -> actium::Result<()> {
    let twice = actium::spawn(|inbox: Inbox| async move {
        inbox.exit(&inbox.me(), ExitReason::Killed);
        inbox.exit(&inbox.me(), ExitReason::Error("later".into()));
    });
    assert_eq!(twice.stopped().await, ExitReason::Killed);
    let stopped_then_killed = actium::spawn(|inbox: Inbox| async move {
        inbox.me().stop();
        inbox.exit(&inbox.me(), ExitReason::Error("killed".into()));
    });
    assert_eq!(
        stopped_then_killed.stopped().await,
        ExitReason::Error("killed".into())
    );
    Ok(())
}
