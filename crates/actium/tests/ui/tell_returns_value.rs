use actium::prelude::*;

struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }
}

fn main() {}
