use actium::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[tell]
    fn consume(self) {}
}

fn main() {}
