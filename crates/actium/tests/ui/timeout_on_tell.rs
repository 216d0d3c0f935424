use actium::prelude::*;

struct Slow;

#[actor]
impl Slow {
    #[tell(timeout = "2s")]
    fn work(&self) {}
}

fn main() {}
