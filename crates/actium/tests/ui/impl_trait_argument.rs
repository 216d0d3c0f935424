use actium::prelude::*;

struct Sink;

#[actor]
impl Sink {
    #[tell]
    fn put(&mut self, value: impl Send + 'static) {
        drop(value);
    }
}

fn main() {}
