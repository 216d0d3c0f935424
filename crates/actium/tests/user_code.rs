//! User code that runs around a method rather than in it — an answer's
//! `Debug` (for a trace), its `Serialize` (for a caller on another node),
//! its `Drop` (when nobody waits for it any more), a recorder — is inside
//! the method's panic boundary: a panic there is the method's panic. Its
//! caller gets `Error::Panicked` at once, and the actor's panic policy
//! applies (an unobserved actor resumes) instead of the actor dying as
//! killed.

mod support;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actium::observe::{Event, Recorder};
use actium::prelude::*;
use support::{Event as Signal, MODES, within};

/// An answer whose `Debug` panics.
struct Unprintable;

impl fmt::Debug for Unprintable {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug of the answer panicked")
    }
}

/// Its drop panics too: dropped after its `Debug` panicked, nothing of it
/// may escape.
impl Drop for Unprintable {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("Drop of the unprintable answer panicked");
        }
    }
}

/// An answer whose `Drop` panics.
#[derive(Debug)]
struct Explosive;

impl Drop for Explosive {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("Drop of the answer panicked");
        }
    }
}

struct Awkward {
    served: u64,
}

#[actor]
impl Awkward {
    #[ask]
    fn unprintable(&mut self) -> Unprintable {
        self.served += 1;
        Unprintable
    }

    /// Answers late, after its caller has given up: the answer is dropped
    /// by the actor.
    #[ask]
    async fn explosive(&mut self, after: Signal) -> Explosive {
        after.wait().await;
        self.served += 1;
        Explosive
    }

    #[ask]
    fn served(&self) -> u64 {
        self.served
    }
}

/// Records nothing; wants everything, so that answers are described.
struct Discard;

impl Recorder for Discard {
    fn record(&self, _: Event) {}
}

#[test]
fn a_panicking_debug_of_an_answer_is_the_methods_panic() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            System::builder()
                .mode(mode)
                .launch(async {
                    SystemHandle::current()
                        .record(Arc::new(Discard))
                        .expect("no recorder yet");
                    let awkward = Awkward { served: 0 }.spawn();
                    let error = awkward.unprintable().await.expect_err("its Debug panics");
                    assert!(
                        matches!(&error, Error::Panicked { method: "unprintable", message, .. }
                            if message.contains("Debug of the answer panicked")),
                        "{error:?}"
                    );
                    // Unobserved, the actor resumes: it was not killed.
                    assert_eq!(awkward.served().await?, 1);
                    assert!(awkward.is_alive());
                    Ok::<(), Error>(())
                })
                .expect("the system runs");
        }
    });
}

#[actium::test]
async fn a_panicking_drop_of_an_abandoned_answer_does_not_kill_the_actor() -> actium::Result<()> {
    let awkward = Awkward { served: 0 }.spawn();
    let answer = Signal::new();
    let error = awkward
        .explosive(answer.clone())
        .timeout(Duration::from_millis(20))
        .await
        .expect_err("the caller gives up first");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    // The method now answers; nobody waits, so the actor drops the answer,
    // and its `Drop` panics.
    answer.fire();
    assert_eq!(awkward.served().await?, 1);
    assert!(awkward.is_alive(), "the actor resumes after the panic");
    Ok(())
}

/// An actor whose state panics when dropped.
struct Fragile;

impl Drop for Fragile {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("Drop of the actor panicked");
        }
    }
}

#[actor]
impl Fragile {
    #[ask]
    fn ping(&self) -> u8 {
        1
    }
}

#[actium::test]
async fn a_panicking_drop_of_an_actors_state_keeps_its_exit_reason() -> actium::Result<()> {
    let fragile = Fragile.spawn();
    assert_eq!(fragile.ping().await?, 1);
    fragile.stop();
    // Before, the panic unwound the loop and the actor counted as killed.
    assert_eq!(fragile.stopped().await, ExitReason::Stopped);
    // The system is unharmed.
    assert_eq!(Fragile.spawn().ping().await?, 1);
    Ok(())
}

/// A recorder that panics on every event.
struct Broken;

impl Recorder for Broken {
    fn record(&self, _: Event) {
        panic!("the recorder broke");
    }
}

#[test]
fn a_panicking_recorder_loses_events_not_calls() {
    within(Duration::from_secs(60), || {
        for mode in MODES {
            System::builder()
                .mode(mode)
                .launch(async {
                    SystemHandle::current()
                        .record(Arc::new(Broken))
                        .expect("no recorder yet");
                    let counter = support::Counter::default().spawn();
                    for _ in 0..10 {
                        counter.incr()?;
                    }
                    assert_eq!(counter.get().await?, 10);
                    counter.stop();
                    assert_eq!(counter.stopped().await, ExitReason::Stopped);
                    Ok::<(), Error>(())
                })
                .expect("the system runs");
        }
    });
}

/// Looks names up from inside the recorder, as a recorder that labels
/// events with names might.
struct LooksUpNames {
    system: std::sync::OnceLock<SystemHandle>,
}

impl Recorder for LooksUpNames {
    fn record(&self, _: Event) {
        if let Some(system) = self.system.get() {
            let _ = system.registered();
        }
    }
}

#[test]
fn a_recorder_may_look_up_names_while_a_name_is_registered() {
    within(Duration::from_secs(60), || {
        System::builder()
            .launch(async {
                let system = SystemHandle::current();
                let recorder = Arc::new(LooksUpNames {
                    system: std::sync::OnceLock::new(),
                });
                let _ = recorder.system.set(system.clone());
                system.record(recorder).expect("no recorder yet");
                let awkward = Awkward { served: 0 }.spawn();
                // Recording the name calls the recorder, which looks names
                // up: it must not find the registry locked by this call.
                system.register("awkward", &awkward)?;
                assert_eq!(system.registered(), vec!["awkward".to_owned()]);
                Ok::<(), Error>(())
            })
            .expect("the system runs");
    });
}

#[cfg(feature = "remote")]
mod remote {
    use super::*;
    use serde::{Serialize, Serializer};
    use support::remote::Cluster;

    /// An answer whose `Serialize` panics.
    #[derive(Debug, serde::Deserialize)]
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("Serialize of the answer panicked")
        }
    }

    #[derive(Default)]
    struct Encoder {
        served: u64,
    }

    #[actor(remote)]
    impl Encoder {
        #[ask]
        fn unencodable(&mut self) -> Unencodable {
            self.served += 1;
            Unencodable
        }

        #[ask]
        fn served(&self) -> u64 {
            self.served
        }
    }

    #[test]
    fn a_panicking_serialize_of_a_remote_answer_reaches_the_caller_at_once() {
        for mode in MODES {
            let cluster = Cluster::start(2, mode);
            let url = cluster.node(0).url("encoder");
            cluster.run(0, async {
                let encoder = Encoder::default().spawn();
                cluster.node(0).register("encoder", &encoder).unwrap();
            });
            let encoder = cluster
                .run(1, cluster.node(1).lookup::<Encoder>(&url))
                .expect("lookup succeeds");
            cluster.run(1, async {
                // Before the fix the caller heard nothing and got a
                // `Timeout` after this deadline.
                let error = encoder
                    .unencodable()
                    .timeout(Duration::from_secs(20))
                    .await
                    .expect_err("its Serialize panics");
                assert!(
                    matches!(&error, Error::Panicked { message, .. }
                        if message.contains("Serialize of the answer panicked")),
                    "{error:?}"
                );
                // The actor resumed (unobserved) and still serves.
                assert_eq!(encoder.served().await.unwrap(), 1);
            });
        }
    }
}
