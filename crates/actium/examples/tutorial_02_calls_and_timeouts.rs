//! Tutorial chapter 2: request-reply (`#[ask]`) calls, a slow call, and
//! deadlines. See `docs/tutorial/02_calls_and_timeouts.md`.
//!
//! ```text
//! cargo run --example tutorial_02_calls_and_timeouts
//! ```

use std::time::Duration;

use actium::prelude::*;

// ANCHOR: actor
struct Calculator;

#[actor]
impl Calculator {
    /// Request-reply: the caller awaits the sum.
    #[ask]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// A slow request-reply: it takes a second, its deadline is 200 ms.
    #[ask(timeout = "200ms")]
    async fn slow_add(&self, a: i64, b: i64) -> i64 {
        actium::sleep(Duration::from_secs(1)).await;
        a + b
    }
}
// ANCHOR_END: actor

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let calculator = Calculator.spawn();

        let sum = calculator.add(2, 3).await?;
        println!("add(2, 3) = {sum}");
        assert_eq!(sum, 5);

        // The method's own deadline (200 ms) passes before its answer.
        let late = calculator.slow_add(2, 3).await;
        assert!(matches!(late, Err(actium::Error::Timeout { .. })));
        if let Err(error) = late {
            println!("slow_add(2, 3): {error}");
        }

        // A call may set its own deadline, longer or shorter.
        let patient = calculator
            .slow_add(4, 5)
            .timeout(Duration::from_secs(3))
            .await?;
        println!("slow_add(4, 5) with a 3 s deadline = {patient}");
        assert_eq!(patient, 9);
        Ok(())
    })
}
// ANCHOR_END: main
