use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[on_start]
    fn start(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

fn main() {}
