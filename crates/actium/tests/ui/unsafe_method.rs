use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[tell]
    unsafe fn poke(&mut self) {}
}

fn main() {}
