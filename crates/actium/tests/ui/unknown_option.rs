use actium::prelude::*;

struct Slow;

#[actor]
impl Slow {
    #[ask(retries = 3)]
    fn work(&self) -> u8 {
        1
    }
}

fn main() {}
