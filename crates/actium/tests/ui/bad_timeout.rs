use actium::prelude::*;

struct Slow;

#[actor]
impl Slow {
    #[ask(timeout = "two seconds")]
    fn work(&self) -> u8 {
        1
    }
}

fn main() {}
