use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn first(&mut self) {}

    #[on_start]
    fn second(&mut self) {}
}

fn main() {}
