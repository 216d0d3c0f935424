//! A supervised worker that crashes now and then is restarted, and the
//! reference the client holds keeps working. Too many crashes in a short
//! time and the supervisor gives up.
//!
//! ```text
//! cargo run --example supervisor -- [tasks|threads]
//! ```

mod common;

use std::time::Duration;

use actium::prelude::*;
use actium::supervisor::{ChildSpec, Strategy, Supervisor};

/// Parses numbers; panics on bad input (a bug the supervisor contains).
struct Parser {
    parsed: u32,
}

// A supervised actor stops when it panics, so its supervisor restarts it.
#[actor]
impl Parser {
    #[on_start]
    fn start(&mut self, ctx: &mut Context<Self>) {
        println!("  parser {} (re)started", ctx.id().local());
    }

    #[ask]
    fn parse(&mut self, input: String) -> i64 {
        self.parsed += 1;
        input.trim().parse().expect("the input is a number")
    }

    #[ask]
    fn parsed(&self) -> u32 {
        self.parsed
    }
}

fn main() -> actium::Result<()> {
    common::each_mode(run)
}

fn run(mode: Mode) -> actium::Result<()> {
    actium::launch(mode, async {
        let supervisor = Supervisor::builder()
            .strategy(Strategy::OneForOne)
            .intensity(3, Duration::from_secs(10))
            .child(ChildSpec::new("parser", || Parser { parsed: 0 }))
            .spawn();
        let parser = supervisor.children().await?.get::<Parser>("parser")?;

        for input in ["1", "2", "three", "4", "five", "6"] {
            match parser.parse(input.into()).await {
                Ok(n) => println!("parse({input:?}) = {n}"),
                Err(error) => println!("parse({input:?}) failed: {error}"),
            }
        }
        // The last crash restarted the parser: one job in this incarnation.
        assert_eq!(parser.parsed().await?, 1);

        println!("now crash it faster than the supervisor allows:");
        for _ in 0..4 {
            let _ = parser.parse("not a number".into()).await;
        }
        let reason = supervisor.stopped().await;
        println!("the supervisor gave up: {reason}");
        assert_eq!(reason, ExitReason::Shutdown);
        Ok(())
    })
}
