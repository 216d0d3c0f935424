use actium::prelude::*;

struct Router;

#[actor]
impl Router {
    #[ask(parallel)]
    async fn route(key: u64) -> u64 {
        key
    }
}

fn main() {}
