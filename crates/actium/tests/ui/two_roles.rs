use actium::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[tell]
    #[ask]
    fn incr(&mut self) {}
}

fn main() {}
