//! A counter shared by many clients: one-way increments, request-replies,
//! a method's own typed error, deadlines, and a blocking call from plain
//! `main`.
//!
//! ```text
//! cargo run --example counter -- [tasks|threads]
//! ```

mod common;

use std::time::Duration;

use actium::prelude::*;

#[derive(Default)]
struct Counter {
    n: u64,
}

/// The counter's own error: returned to the caller as a value.
#[derive(Debug, PartialEq)]
struct DivisionByZero;

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self, by: u64) {
        self.n += by;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }

    /// Divides the count in place; dividing by zero is the caller's error.
    #[ask(timeout = "2s")]
    fn checked_div(&mut self, d: u64) -> Result<u64, DivisionByZero> {
        if d == 0 {
            return Err(DivisionByZero);
        }
        self.n /= d;
        Ok(self.n)
    }
}

async fn clients(counter: &ActorRef<Counter>) -> actium::Result<()> {
    // Ten clients, each a task of its own, increment concurrently.
    let clients: Vec<_> = (0..10)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..1_000 {
                    counter.incr(1)?;
                }
                Ok::<(), actium::Error>(())
            })
        })
        .collect();
    for client in clients {
        client.await.expect("client task")?;
    }
    let total = counter.get().timeout(Duration::from_secs(1)).await?;
    println!("after 10 clients x 1000 increments: {total}");
    assert_eq!(total, 10_000);

    println!("divide by 4: {:?}", counter.checked_div(4).await?);
    println!("divide by 0: {:?}", counter.checked_div(0).await?);
    Ok(())
}

fn main() -> actium::Result<()> {
    common::each_mode(|mode| {
        actium::launch(mode, async {
            let counter = Counter::default().spawn();
            clients(&counter).await
        })
    })?;

    // Without async code at all: a system owned by `main`, and `.wait()`.
    let system = System::builder().mode(Mode::Threads).start()?;
    let counter = Counter::default().spawner().system(system.handle()).spawn();
    counter.incr(41)?;
    counter.incr(1)?;
    println!("from plain main: {}", counter.get().wait()?);
    system.shutdown();
    Ok(())
}
