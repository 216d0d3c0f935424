use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[tell]
    fn work(&mut self, first: &mut Context<Self>, second: &mut Context<Self>) {
        let _ = (first, second);
    }
}

fn main() {}
