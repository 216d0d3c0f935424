use actium::prelude::*;

struct Router;

#[actor]
impl Router {
    #[ask(parallel)]
    async fn route(_this: Reentrant<Self>, ctx: &mut Context<Self>, key: u64) -> u64 {
        let _ = ctx;
        key
    }
}

fn main() {}
