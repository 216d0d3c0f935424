use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start(timeout = "1s")]
    fn start(&mut self) {}
}

fn main() {}
