use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_stop]
    fn stop(&mut self, _this: Reentrant<Self>) {}
}

fn main() {}
