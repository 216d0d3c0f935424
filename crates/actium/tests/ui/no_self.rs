use actium::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[ask]
    fn make() -> u64 {
        1
    }
}

fn main() {}
