use actium::prelude::*;

struct Service;

#[actor]
unsafe impl Service {
    #[tell]
    fn poke(&mut self) {}
}

fn main() {}
