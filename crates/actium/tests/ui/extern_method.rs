use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[tell]
    extern "C" fn poke(&mut self) {}
}

fn main() {}
