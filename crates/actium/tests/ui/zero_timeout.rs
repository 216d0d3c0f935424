use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[ask(timeout = "0s")]
    fn answer(&self) -> u8 {
        42
    }
}

fn main() {}
