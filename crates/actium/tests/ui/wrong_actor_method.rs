use actium::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self) {}
}

struct Logger;

#[actor]
impl Logger {
    #[tell]
    fn jot_down(&mut self, line: String) {
        let _ = line;
    }
}

// A reference to a Counter offers only Counter's methods.
fn misuse(counter: ActorRef<Counter>) {
    let _ = counter.jot_down("hello".into());
}

fn main() {}
