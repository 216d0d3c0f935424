use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[ask]
    fn numbers(&self) -> impl Iterator<Item = u8> {
        0..3
    }
}

fn main() {}
