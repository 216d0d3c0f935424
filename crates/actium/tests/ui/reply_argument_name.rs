use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[ask]
    fn work(&self, __reply: u8) -> u8 {
        __reply
    }
}

fn main() {}
