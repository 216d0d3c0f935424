//! One message at a time: an actor's state is never touched by two methods
//! at once, even when a method awaits in the middle of an update.

mod support;

use actium::prelude::*;
use futures_util::future::join_all;

#[derive(Default)]
struct Racy {
    n: u64,
    inside: bool,
}

#[actor]
impl Racy {
    /// A read-modify-write split by awaits: interleaving would lose updates.
    #[ask]
    async fn incr_slowly(&mut self) -> bool {
        let overlapped = self.inside;
        self.inside = true;
        let n = self.n;
        tokio::task::yield_now().await;
        actium::sleep(std::time::Duration::ZERO).await;
        self.n = n + 1;
        self.inside = false;
        overlapped
    }

    #[tell]
    fn incr(&mut self) {
        assert!(!self.inside, "a tell ran inside another method");
        self.n += 1;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }
}

#[actium::test]
async fn awaiting_methods_never_interleave() -> actium::Result<()> {
    let racy = Racy::default().spawn();
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let racy = racy.clone();
            tokio::spawn(async move {
                let overlaps = join_all((0..50).map(|_| racy.incr_slowly())).await;
                for _ in 0..50 {
                    racy.incr()?;
                }
                overlaps.into_iter().collect::<Result<Vec<bool>, Error>>()
            })
        })
        .collect();
    for caller in callers {
        let overlaps = caller.await.expect("caller task")?;
        assert!(overlaps.iter().all(|overlapped| !overlapped));
    }
    assert_eq!(racy.get().await?, 8 * 100);
    Ok(())
}

#[test]
fn blocking_callers_on_many_threads_are_served_one_at_a_time() {
    support::within(std::time::Duration::from_secs(60), blocking_callers);
}

fn blocking_callers() {
    for mode in support::MODES {
        let system = System::builder().mode(mode).start().expect("system");
        let racy = Racy::default().spawner().system(system.handle()).spawn();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let racy = racy.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        assert!(!racy.incr_slowly().wait().expect("answer"));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("caller thread");
        }
        assert_eq!(racy.get().wait().expect("answer"), 400);
        system.shutdown();
    }
}
