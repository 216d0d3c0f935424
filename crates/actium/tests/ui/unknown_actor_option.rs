use actium::prelude::*;

struct Slow;

#[actor(on_panic = "restart")]
impl Slow {
    #[ask]
    fn work(&self) -> u8 {
        1
    }
}

fn main() {}
