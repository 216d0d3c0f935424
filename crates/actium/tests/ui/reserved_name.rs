use actium::prelude::*;

struct Machine;

#[actor]
impl Machine {
    #[tell]
    fn stop(&mut self) {}
}

fn main() {}
