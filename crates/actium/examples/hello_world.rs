//! Hello world, as PyActive's first example: a one-way call and a
//! request-reply on the same actor, run under both execution models.
//!
//! ```text
//! cargo run --example hello_world            # both models
//! cargo run --example hello_world -- threads # one of them
//! ```

mod common;

use actium::prelude::*;

#[derive(Default)]
struct Greeter {
    greeted: Vec<String>,
}

#[actor]
impl Greeter {
    /// One-way: the caller does not wait.
    #[tell]
    fn hello(&mut self, name: String) {
        println!(
            "  hello, {name}! (from {})",
            std::thread::current().name().unwrap_or("?")
        );
        self.greeted.push(name);
    }

    /// Request-reply: the caller awaits the answer.
    #[ask]
    fn greeted(&self) -> Vec<String> {
        self.greeted.clone()
    }
}

fn run(mode: Mode) -> actium::Result<()> {
    // The only line that differs between the models is this one.
    actium::launch(mode, async {
        let greeter = Greeter::default().spawn();
        greeter.hello("world".into())?;
        greeter.hello("Actium".into())?;
        let greeted = greeter.greeted().await?;
        println!("  {greeter} greeted {greeted:?}");
        assert_eq!(greeted, ["world", "Actium"]);
        Ok(())
    })
}

fn main() -> actium::Result<()> {
    common::each_mode(run)
}
