//! While a system records, a method's own `tracing` output is inside an
//! `actium.message` span naming the actor, the method, the kind, the
//! message id and the sender. Its own test binary: it installs a global
//! `tracing` subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use actium::prelude::*;
use actium_trace::{Kind, Memory, Recording};

/// Everything the global subscriber printed.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Greeter;

#[actor]
impl Greeter {
    #[ask]
    async fn greet(&self, name: String) -> String {
        tracing::info!("greeting {name}");
        actium::sleep(Duration::from_millis(1)).await;
        tracing::info!("greeted {name}");
        format!("hello, {name}")
    }
}

#[actium::test]
async fn a_methods_logs_carry_the_message_it_handles() -> actium::Result<()> {
    let logs = logs();
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(memory.clone())
        .start(&SystemHandle::current())
        .expect("records");
    let greeter = Greeter.spawn();
    let who = format!("ada-{}", greeter.id());
    assert_eq!(greeter.greet(who.clone()).await?, format!("hello, {who}"));
    let records = memory
        .wait_for(Duration::from_secs(10), |r| {
            r.iter().any(|r| r.kind == Kind::End)
        })
        .expect("the run ends");
    recording.finish();
    let id = records
        .iter()
        .find(|r| r.kind == Kind::Ask)
        .map(|r| r.id.to_string())
        .expect("the ask");

    let text =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&who)).collect();
    assert_eq!(lines.len(), 2, "{text}");
    for line in lines {
        // Both before and after the await: the span is entered on every poll.
        assert!(line.contains("actium.message{"), "{line}");
        assert!(
            line.contains(&format!("actor=Greeter#{}", greeter.id().local())),
            "{line}"
        );
        assert!(
            line.contains("method=\"greet\"") || line.contains("method=greet"),
            "{line}"
        );
        assert!(
            line.contains("kind=\"ask\"") || line.contains("kind=ask"),
            "{line}"
        );
        assert!(line.contains(&format!("id={id}")), "{line}");
    }
    Ok(())
}
