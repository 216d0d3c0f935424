use actium::prelude::*;

struct Router;

#[actor]
impl Router {
    #[ask(parallel)]
    async fn route(_this: Reentrant<Self>, _again: Reentrant<Self>) -> u64 {
        0
    }
}

fn main() {}
