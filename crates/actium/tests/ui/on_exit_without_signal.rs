use actium::prelude::*;

struct Watcher;

#[actor]
impl Watcher {
    #[on_exit]
    fn exited(&mut self) {}
}

fn main() {}
