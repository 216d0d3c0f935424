//! Tutorial chapter 3: references as values — given to a constructor,
//! passed in a method, and an actor passing itself.
//! See `docs/tutorial/03_references.md`.
//!
//! ```text
//! cargo run --example tutorial_03_references
//! ```

use actium::prelude::*;

// ANCHOR: echo
/// Prints what it is told, and remembers it.
#[derive(Default)]
struct Echo {
    heard: Vec<String>,
}

#[actor]
impl Echo {
    #[tell]
    fn echo(&mut self, message: String) {
        println!("echo: {message}");
        self.heard.push(message);
    }

    #[ask]
    fn heard(&self) -> Vec<String> {
        self.heard.clone()
    }
}
// ANCHOR_END: echo

// ANCHOR: bot
/// Holds a reference given to its constructor.
struct Bot {
    name: String,
    echo: ActorRef<Echo>,
}

#[actor]
impl Bot {
    /// Uses the reference it was built with. An `#[ask]` that returns
    /// nothing: its caller knows when the greeting has been sent.
    #[ask]
    fn greet(&self) -> actium::Result<()> {
        self.echo.echo(format!("{} says hello", self.name))
    }

    /// Uses a reference passed in the call.
    #[ask]
    fn greet_through(&self, other: ActorRef<Echo>) -> actium::Result<()> {
        other.echo(format!("{} says hello through another echo", self.name))
    }

    /// Passes itself: the server gets a reference to this bot.
    #[ask]
    async fn join(
        &self,
        server: ActorRef<Server>,
        ctx: &mut Context<Self>,
    ) -> actium::Result<usize> {
        server.subscribe(ctx.myself()).await
    }
}
// ANCHOR_END: bot

// ANCHOR: server
/// Keeps references to the bots that joined it.
#[derive(Default)]
struct Server {
    members: Vec<ActorRef<Bot>>,
}

#[actor]
impl Server {
    /// Adds a member; answers how many there are now.
    #[ask]
    fn subscribe(&mut self, bot: ActorRef<Bot>) -> usize {
        self.members.push(bot);
        self.members.len()
    }

    /// Has every member greet, one after the other.
    #[ask]
    async fn greet_all(&self) -> actium::Result<()> {
        for bot in &self.members {
            bot.greet().await??;
        }
        Ok(())
    }

    #[ask]
    fn members(&self) -> Vec<ActorRef<Bot>> {
        self.members.clone()
    }
}
// ANCHOR_END: server

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let echo = Echo::default().spawn();
        let other = Echo::default().spawn();
        let alice = Bot {
            name: "alice".into(),
            echo: echo.clone(),
        }
        .spawn();
        let bob = Bot {
            name: "bob".into(),
            echo: echo.clone(),
        }
        .spawn();

        alice.greet().await??;
        bob.greet_through(other.clone()).await??;

        let server = Server::default().spawn();
        assert_eq!(alice.join(server.clone()).await??, 1);
        assert_eq!(bob.join(server.clone()).await??, 2);
        // References compare equal when they name the same actor.
        let members = server.members().await?;
        println!("{server} has members {members:?}");
        assert_eq!(members, [alice.clone(), bob.clone()]);

        server.greet_all().await??;
        let heard = echo.heard().await?;
        println!("echo heard {heard:?}");
        assert_eq!(
            heard,
            ["alice says hello", "alice says hello", "bob says hello"]
        );
        assert_eq!(
            other.heard().await?,
            ["bob says hello through another echo"]
        );
        Ok(())
    })
}
// ANCHOR_END: main
