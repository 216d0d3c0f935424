//! Tutorial chapter 4: `parallel` methods — a request-reply that waits
//! without blocking its actor, so that a call back to it (A → B → A)
//! completes; and what a plain method does instead.
//! See `docs/tutorial/04_parallel.md`.
//!
//! ```text
//! cargo run --example tutorial_04_parallel
//! ```

use actium::prelude::*;

// ANCHOR: server
#[derive(Default)]
struct Server {
    served: u64,
}

#[actor]
impl Server {
    /// Counts the calls it served.
    #[ask]
    fn count(&mut self) -> u64 {
        self.served += 1;
        self.served
    }

    /// Asks the helper, which calls `count` back while this method waits.
    /// `parallel`: while it awaits, the server handles other messages.
    #[ask(parallel)]
    async fn via_helper(
        mut this: Reentrant<Self>,
        helper: ActorRef<Helper>,
    ) -> actium::Result<u64> {
        let me = this.with_context(|_server, ctx| ctx.myself());
        let doubled = helper.double_count(me).await??;
        // Between awaits, `with` reaches the state: one method at a time.
        let served = this.with(|server| server.served);
        println!("via_helper: helper answered {doubled}, served {served}");
        Ok(doubled)
    }

    /// The same call from a plain method: the server handles nothing else
    /// until it returns, so the helper's call back could never be served.
    #[ask]
    async fn via_helper_plain(
        &self,
        helper: ActorRef<Helper>,
        ctx: &mut Context<Self>,
    ) -> actium::Result<u64> {
        helper.double_count(ctx.myself()).await?
    }
}
// ANCHOR_END: server

// ANCHOR: helper
struct Helper;

#[actor]
impl Helper {
    /// Calls the server back and doubles its answer.
    #[ask]
    async fn double_count(&self, server: ActorRef<Server>) -> actium::Result<u64> {
        Ok(server.count().await? * 2)
    }
}
// ANCHOR_END: helper

// ANCHOR: main
fn main() -> actium::Result<()> {
    actium::launch(Mode::Tasks, async {
        let server = Server::default().spawn();
        let helper = Helper.spawn();

        let doubled = server.via_helper(helper.clone()).await??;
        assert_eq!(doubled, 2);

        let plain = server.via_helper_plain(helper).await?;
        assert!(matches!(plain, Err(actium::Error::Deadlock { .. })));
        if let Err(error) = plain {
            println!("via_helper_plain: {error}");
        }

        // The server is still fine; the failed call never reached `count`.
        assert_eq!(server.count().await?, 2);
        Ok(())
    })
}
// ANCHOR_END: main
