use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn start(&mut self, port: u16) {
        let _ = port;
    }
}

fn main() {}
