use actium::prelude::*;

struct Router;

#[actor]
impl Router {
    #[ask(parallel, blocking)]
    async fn route(_this: Reentrant<Self>, key: u64) -> u64 {
        key
    }
}

fn main() {}
