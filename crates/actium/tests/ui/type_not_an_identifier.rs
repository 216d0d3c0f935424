use actium::prelude::*;

struct Service;

#[actor]
impl self::Service {
    #[tell]
    fn poke(&mut self) {}
}

fn main() {}
