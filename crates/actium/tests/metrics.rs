//! Metrics of a running system (issue 18): what `SystemHandle::snapshot`
//! reports per actor — mailbox depth, messages handled, errors, panics,
//! restarts, time in methods, relations — and what the `metrics` feature
//! publishes through the `metrics` crate's facade.

use std::sync::Arc;
use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};
use tokio::sync::Semaphore;

#[derive(Default)]
struct Worker {
    done: u64,
}

#[actor]
impl Worker {
    #[tell]
    fn work(&mut self) {
        self.done += 1;
    }

    #[ask]
    fn check(&self, ok: bool) -> Result<u64, String> {
        if ok {
            Ok(self.done)
        } else {
            Err("not ok".to_owned())
        }
    }

    #[tell]
    fn crash(&mut self) {
        panic!("worker crashed");
    }

    /// Holds the actor until `gate` has a permit.
    #[tell]
    async fn hold(&mut self, gate: Arc<Semaphore>) {
        let _permit = gate.acquire().await;
    }

    #[tell]
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Worker>, link: bool) {
        if link {
            ctx.link(&other);
        } else {
            let _monitor = ctx.monitor(&other);
        }
    }
}

fn run_on(system: &System, body: impl Future<Output = actium::Result<()>>) {
    system.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), body)
            .await
            .expect("the test finished in time")
            .expect("the test succeeded");
    });
}

#[test]
fn a_measuring_system_counts_messages_errors_and_time() {
    let system = System::builder().metrics(true).start().expect("system");
    run_on(&system, async {
        let worker = Worker::default().spawn();
        for _ in 0..3 {
            worker.work()?;
        }
        assert_eq!(worker.check(true).await?, Ok(3));
        assert_eq!(worker.check(false).await?, Err("not ok".to_owned()));
        let snapshot = SystemHandle::current().snapshot();
        assert!(snapshot.measuring);
        let seen = snapshot.actor(worker.id()).expect("listed");
        assert_eq!(seen.type_name, "Worker");
        assert_eq!(seen.handled, 5);
        assert_eq!(seen.errors, 1);
        assert_eq!(seen.panics, 0);
        assert_eq!(seen.mailbox_depth, 0);
        // Time running is added when the loop's poll ends, which may be
        // after it answered: the caller can look first.
        let give_up = std::time::Instant::now() + Duration::from_secs(10);
        let mut seen = seen.clone();
        while seen.busy == Duration::ZERO && std::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let snapshot = SystemHandle::current().snapshot();
            seen = snapshot.actor(worker.id()).expect("listed").clone();
        }
        assert!(seen.busy > Duration::ZERO, "{seen:?}");
        Ok(())
    });
    system.shutdown();
}

#[test]
fn without_metrics_messages_are_counted_but_not_errors_or_time() {
    let system = System::builder().start().expect("system");
    run_on(&system, async {
        let worker = Worker::default().spawn();
        worker.work()?;
        assert!(worker.check(false).await?.is_err());
        let snapshot = SystemHandle::current().snapshot();
        assert!(!snapshot.measuring);
        let seen = snapshot.actor(worker.id()).expect("listed");
        assert_eq!(seen.handled, 2);
        assert_eq!((seen.errors, seen.busy), (0, Duration::ZERO));
        Ok(())
    });
    system.shutdown();
}

#[actium::test]
async fn mailbox_depth_counts_what_waits_behind_a_busy_method() -> actium::Result<()> {
    let worker = Worker::default().spawn();
    let gate = Arc::new(Semaphore::new(0));
    worker.hold(gate.clone())?;
    for _ in 0..4 {
        worker.work()?;
    }
    // The actor is inside `hold` once its depth stops counting it; the
    // four tells wait behind it.
    let snapshot = SystemHandle::current().snapshot();
    let seen = snapshot.actor(worker.id()).expect("listed");
    assert!(
        seen.mailbox_depth == 4 || seen.mailbox_depth == 5,
        "{seen:?}"
    );
    gate.add_permits(1);
    assert_eq!(worker.check(true).await?, Ok(4));
    let snapshot = SystemHandle::current().snapshot();
    let seen = snapshot.actor(worker.id()).expect("listed");
    assert_eq!((seen.mailbox_depth, seen.handled), (0, 6));
    Ok(())
}

#[actium::test]
async fn panics_restarts_and_the_last_exit_of_a_supervised_child() -> actium::Result<()> {
    let supervisor = Supervisor::builder()
        .child(ChildSpec::new("w", Worker::default))
        .spawn();
    let worker = supervisor.children().await?.get::<Worker>("w")?;
    worker.crash()?;
    // Handled by the next incarnation: the restart is counted by then.
    assert_eq!(worker.check(true).await?, Ok(0));
    let snapshot = SystemHandle::current().snapshot();
    let seen = snapshot.actor(worker.id()).expect("listed");
    assert_eq!((seen.panics, seen.restarts), (1, 1));
    assert_eq!(seen.parent, Some(supervisor.id()));
    let exit = seen.last_exit.as_deref().unwrap_or_default();
    assert!(exit.contains("worker crashed"), "{exit}");
    assert_eq!(
        snapshot
            .children(supervisor.id())
            .map(|child| child.id)
            .collect::<Vec<_>>(),
        [worker.id()]
    );
    Ok(())
}

#[actium::test]
async fn links_monitors_and_names_are_listed() -> actium::Result<()> {
    let (a, b, c) = (
        Worker::default().spawn(),
        Worker::default().spawn(),
        Worker::default().spawn(),
    );
    SystemHandle::current().register("first", &a)?;
    a.watch(b.clone(), true)?;
    a.watch(c.clone(), false)?;
    assert_eq!(a.check(true).await?, Ok(0));
    let snapshot = SystemHandle::current().snapshot();
    let seen = snapshot.named("first").expect("registered");
    assert_eq!(seen.id, a.id());
    assert_eq!(seen.name.as_deref(), Some("first"));
    assert_eq!(seen.links, [b.id()]);
    assert_eq!(seen.monitors, [c.id()]);
    let b_seen = snapshot.actor(b.id()).expect("listed");
    assert_eq!(b_seen.links, [a.id()]);
    let c_seen = snapshot.actor(c.id()).expect("listed");
    assert_eq!(c_seen.monitored_by, [a.id()]);
    assert_eq!(snapshot.names, [("first".to_owned(), a.id())]);
    Ok(())
}

/// The facade's `metrics` feature, with a real recorder: what a
/// Prometheus exporter would be handed.
#[cfg(feature = "metrics")]
#[test]
fn a_published_snapshot_reaches_the_installed_recorder() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    let system = System::builder().metrics(true).start().expect("system");
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    run_on(&system, async {
        let worker = Worker::default().spawn();
        SystemHandle::current().register("only", &worker)?;
        worker.work()?;
        worker.check(false).await?.ok();
        let snapshot = SystemHandle::current().snapshot();
        metrics::with_local_recorder(&recorder, || snapshot.publish());
        Ok(())
    });
    system.shutdown();
    /// A published metric: its name, labels and value.
    type Published = (String, Vec<(String, String)>, DebugValue);
    let values: Vec<Published> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect();
    let find = |name: &str| {
        values
            .iter()
            .find(|(n, labels, _)| {
                n == name && labels.contains(&("name".to_owned(), "only".to_owned()))
            })
            .map(|(_, _, value)| value)
    };
    assert_eq!(
        find("actium_messages_handled_total"),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(find("actium_errors_total"), Some(&DebugValue::Counter(1)));
    assert_eq!(find("actium_actors"), Some(&DebugValue::Gauge(1.0.into())));
}

#[actium::test]
async fn a_mailbox_actor_counts_what_it_received() -> actium::Result<()> {
    let (answers, answered) = tokio::sync::mpsc::unbounded_channel::<u32>();
    let process = actium::spawn(move |mut inbox: Inbox| async move {
        let mut got = 0;
        while let Some(message) = inbox.recv().await {
            if message.downcast::<u32>().is_ok() {
                got += 1;
                let _ = answers.send(got);
            }
        }
        Ok::<(), Error>(())
    });
    let mut answered = answered;
    process.send(1_u32)?;
    process.send(2_u32)?;
    assert_eq!(answered.recv().await, Some(1));
    assert_eq!(answered.recv().await, Some(2));
    let snapshot = SystemHandle::current().snapshot();
    let seen = snapshot.actor(process.id()).expect("listed");
    assert_eq!((seen.handled, seen.mailbox_depth), (2, 0));
    Ok(())
}
