use actium::prelude::*;

struct Sink;

#[actor]
impl Sink {
    #[tell]
    fn put<T: Send + 'static>(&mut self, value: T) {
        drop(value);
    }
}

fn main() {}
