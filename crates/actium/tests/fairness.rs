//! Fairness between actors on one worker: an actor whose mailbox never
//! runs dry still yields its worker to others (Tokio's cooperative
//! budget, see `docs/ARCHITECTURE.md`, "How a tell flows").

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actium::prelude::*;
use support::within;

/// How long either ask may take: generous, for a loaded debug build.
const PATIENCE: Duration = Duration::from_secs(60);

/// Raises a flag when told to.
struct Flag(Arc<AtomicBool>);

#[actor]
impl Flag {
    #[tell]
    fn raise(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Counts its messages, and remembers at which one it first saw the flag.
struct Flooded {
    flag: Arc<AtomicBool>,
    handled: u64,
    saw_flag_at: Option<u64>,
}

#[actor]
impl Flooded {
    #[tell]
    fn work(&mut self) {
        self.handled += 1;
        if self.saw_flag_at.is_none() && self.flag.load(Ordering::SeqCst) {
            self.saw_flag_at = Some(self.handled);
        }
    }

    #[ask]
    fn report(&self) -> (u64, Option<u64>) {
        (self.handled, self.saw_flag_at)
    }
}

/// Floods an actor from a method, so that the flood is sent from the
/// worker's own thread.
struct Flooder;

#[actor]
impl Flooder {
    #[ask]
    async fn flood(&self, messages: u64) -> Result<(u64, Option<u64>), Error> {
        let flag = Arc::new(AtomicBool::new(false));
        let raiser = Flag(flag.clone()).spawn();
        let flooded = Flooded {
            flag,
            handled: 0,
            saw_flag_at: None,
        }
        .spawn();
        // Neither runs before this method waits. The flag's actor is woken
        // first; waking the flooded one puts it in the worker's LIFO slot,
        // which runs next, and moves the flag's actor to the run queue
        // behind it.
        raiser.raise()?;
        for _ in 0..messages {
            flooded.work()?;
        }
        flooded.report().timeout(PATIENCE).await
    }
}

/// With one worker, an actor queued behind a flooded one runs long before
/// the flood is handled: after about 512 messages (four a unit of Tokio's
/// budget of 128), well within 2,048.
#[test]
fn a_flooded_actor_yields_the_only_worker_to_others() {
    const FLOOD: u64 = 100_000;
    within(PATIENCE, || {
        let (handled, saw_flag_at) = System::builder()
            .mode(Mode::Tasks)
            .workers(1)
            .launch(async { Flooder.spawn().flood(FLOOD).timeout(PATIENCE).await? })
            .expect("launch");
        assert_eq!(handled, FLOOD);
        let at = saw_flag_at.expect("the flag's actor never ran during the flood");
        assert!(at > 1, "the flooded actor did not run first");
        assert!(
            at < 2_048,
            "the flooded actor kept the worker for {at} messages"
        );
    });
}
