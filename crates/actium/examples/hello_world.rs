//! Hello world, as PyActive's first example: a one-way call and a
//! request-reply on the same actor, run under both execution models.
//!
//! ```text
//! cargo run --example hello_world            # both models
//! cargo run --example hello_world -- threads # one of them
//! ```

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
    println!("{mode:?} mode:");
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
    let modes: Vec<Mode> = match std::env::args().nth(1).as_deref() {
        Some("tasks") => vec![Mode::Tasks],
        Some("threads") => vec![Mode::Threads],
        _ => vec![Mode::Tasks, Mode::Threads],
    };
    for mode in modes {
        run(mode)?;
    }
    Ok(())
}
