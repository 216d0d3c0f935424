use actium::prelude::*;

struct Greeter;

#[actor]
impl Greeter {
    // The one mistake: neither `#[ask]` nor `#[tell]`, so `greet` is the
    // actor's own method, not a message its references can call.
    pub fn greet(&self, name: String) -> String {
        format!("hello, {name}")
    }
}

// The call is the one error; the rest of the expression adds none.
async fn visit(greeter: ActorRef<Greeter>) -> Result<(), actium::Error> {
    let greeting = greeter.greet("Ada".into()).await?;
    assert_eq!(greeting, "hello, Ada");
    Ok(())
}

fn main() {}
