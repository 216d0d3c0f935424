//! Shutdown under load: many back-to-back launch/shutdown cycles with busy
//! actors and pending asks never hang, never panic, log no warning or
//! error, and answer every caller.
//!
//! This file installs a process-wide tracing subscriber and panic hook that
//! count problems, so it holds this one test only.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actium::prelude::*;
use tracing::{Level, Subscriber, span};

static PROBLEMS: AtomicUsize = AtomicUsize::new(0);
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts events at WARN or above; records nothing else.
struct ProblemCounter;

impl Subscriber for ProblemCounter {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        eprintln!("unexpected {} event: {:?}", event.metadata().level(), event);
        PROBLEMS.fetch_add(1, Ordering::SeqCst);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// Passes a token around a ring forever.
struct Hop {
    next: Option<ActorRef<Hop>>,
    hops: u64,
}

#[actor]
impl Hop {
    #[tell]
    fn link(&mut self, next: ActorRef<Hop>) {
        self.next = Some(next);
    }

    #[tell]
    fn token(&mut self, ttl: u64) {
        self.hops += 1;
        if let Some(next) = &self.next {
            // The ring may be stopping; a refused hop is the expected end.
            let _ = next.token(ttl.saturating_sub(1).max(1));
        }
    }

    #[ask]
    async fn hops(&self) -> u64 {
        actium::sleep(Duration::from_micros(50)).await;
        self.hops
    }
}

const CYCLES: usize = 200;
const RING: usize = 8;

fn busy_cycle(mode: Mode) {
    let pending = actium::launch(mode, async {
        let ring: Vec<ActorRef<Hop>> = (0..RING)
            .map(|_| {
                Hop {
                    next: None,
                    hops: 0,
                }
                .spawn()
            })
            .collect();
        for (i, hop) in ring.iter().enumerate() {
            hop.link(ring[(i + 1) % RING].clone())?;
        }
        for hop in &ring {
            hop.token(u64::MAX)?;
        }
        // Leave requests in flight at shutdown: some whose callers are
        // gone, some whose callers wait on after the program ends.
        for hop in &ring {
            drop(hop.hops());
        }
        let pending: Vec<_> = ring.iter().map(|hop| hop.hops()).collect();
        assert!(ring[0].hops().await? >= 1);
        Ok::<_, Error>(pending)
    })
    .expect("launch");
    // Shutdown has answered every caller still waiting: with the answer if
    // the actor got to it, else with `ActorStopped` — never left to time
    // out.
    for ask in pending {
        match ask.wait() {
            Ok(_) | Err(Error::ActorStopped { .. }) => {}
            Err(other) => panic!("a caller pending at shutdown got {other:?}"),
        }
    }
}

#[test]
fn back_to_back_launches_with_busy_actors_shut_down_cleanly() {
    tracing::subscriber::set_global_default(ProblemCounter).expect("first subscriber");
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));

    support::within(Duration::from_secs(300), || {
        for mode in support::MODES {
            for _ in 0..CYCLES {
                busy_cycle(mode);
            }
        }
    });
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "panics during shutdown");
    assert_eq!(
        PROBLEMS.load(Ordering::SeqCst),
        0,
        "warnings or errors logged"
    );
}
