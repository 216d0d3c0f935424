//! Something for `actium top` and `actium observe` to watch: a node with
//! a supervisor and its workers, a producer that keeps them busy (the slow
//! one's mailbox grows), and a registered cache the producer monitors; the
//! node keeps a flight recorder of its last 2,000 messages for `observe`'s
//! diagram. See `docs/OBSERVING.md`.
//!
//! ```text
//! cargo run --example top_demo --features remote -- 4000 60   # port, seconds
//! cargo run -p actium-cli -- top tcp://127.0.0.1:4000 --cookie top-demo
//! cargo run -p actium-cli -- observe tcp://127.0.0.1:4000 --cookie top-demo
//! ```

use std::time::Duration;

use actium::prelude::*;
use actium::remote::Node;
use actium::supervisor::{ChildSpec, Supervisor};

const COOKIE: &str = "top-demo";

struct Worker {
    /// How long each job takes.
    pace: Duration,
    done: u64,
}

#[actor]
impl Worker {
    #[tell]
    async fn job(&mut self) {
        actium::sleep(self.pace).await;
        self.done += 1;
    }
}

#[derive(Default)]
struct Cache {
    hits: u64,
}

#[actor]
impl Cache {
    #[tell]
    fn hit(&mut self) {
        self.hits += 1;
    }
}

struct Producer {
    workers: Vec<ActorRef<Worker>>,
    cache: ActorRef<Cache>,
}

#[actor]
impl Producer {
    #[tell]
    fn start(&mut self, ctx: &mut Context<Self>) {
        let _monitor = ctx.monitor(&self.cache);
        let _timer = ctx.interval(Duration::from_millis(20), |me| me.produce());
    }

    #[tell]
    fn produce(&mut self) {
        for worker in &self.workers {
            let _ = worker.job();
        }
        let _ = self.cache.hit();
    }
}

fn main() -> actium::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4000);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let system = System::builder().metrics(true).start()?;
    system.block_on(async {
        let node = Node::builder()
            .listen(format!("tcp://127.0.0.1:{port}"))
            .name("top-demo")
            .cookie(COOKIE)
            .flight_recorder(2_000)
            .start()
            .await?;
        let paces = [("fast", 1), ("steady", 15), ("slow", 40)];
        let mut builder = Supervisor::builder();
        for (name, millis) in paces {
            builder = builder.child(ChildSpec::new(name, move || Worker {
                pace: Duration::from_millis(millis),
                done: 0,
            }));
        }
        let supervisor = builder.spawn();
        node.register("workers", &supervisor)?;
        let children = supervisor.children().await?;
        let workers = paces
            .iter()
            .map(|(name, _)| children.get::<Worker>(name))
            .collect::<actium::Result<Vec<_>>>()?;
        let cache = Cache::default().spawn();
        node.register("cache", &cache)?;
        let producer = Producer { workers, cache }.spawn();
        node.register("producer", &producer)?;
        producer.start()?;
        println!("watch it: actium top {} --cookie {COOKIE}", node.address());
        actium::sleep(Duration::from_secs(seconds)).await;
        node.shutdown();
        Ok::<(), actium::Error>(())
    })?;
    system.shutdown();
    Ok(())
}
