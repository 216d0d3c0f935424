use actium::prelude::*;

struct Router;

#[actor]
impl Router {
    #[ask]
    async fn route(&self, _this: Reentrant<Self>) -> u64 {
        0
    }
}

fn main() {}
