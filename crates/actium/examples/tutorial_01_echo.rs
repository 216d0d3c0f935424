//! Tutorial chapter 1: an echo actor and one-way (`#[tell]`) calls.
//! See `docs/tutorial/01_echo.md`.
//!
//! ```text
//! cargo run --example tutorial_01_echo
//! ```

// ANCHOR: actor
use actium::prelude::*;

/// Prints what it is told, and remembers it.
#[derive(Default)]
struct Echo {
    heard: Vec<String>,
}

#[actor]
impl Echo {
    /// One-way: the caller does not wait for it.
    #[tell]
    fn echo(&mut self, message: String) {
        println!("echo: {message}");
        self.heard.push(message);
    }

    /// Request-reply, so that `main` can check what the actor heard.
    #[ask]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: actor

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let echo = Echo::default().spawn();
        echo.echo("hello".into())?; // returns at once
        echo.echo("world".into())?;
        // Messages from one sender arrive in the order they were sent.
        let heard = echo.heard().await?;
        assert_eq!(heard, ["hello", "world"]);
        println!("{echo} heard {heard:?}");
        Ok(())
    })
}
// ANCHOR_END: main
