use actium::prelude::*;

struct Service;

#[actor(on_panic = "restart")]
impl Service {
    #[tell]
    fn poke(&mut self) {}
}

fn main() {}
