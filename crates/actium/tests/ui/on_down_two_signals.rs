use actium::prelude::*;

struct Watcher;

#[actor]
impl Watcher {
    #[on_down]
    fn down(&mut self, first: Down, second: Down) {
        let _ = (first, second);
    }
}

fn main() {}
