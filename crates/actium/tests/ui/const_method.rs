use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[ask]
    const fn answer(&self) -> u8 {
        42
    }
}

fn main() {}
