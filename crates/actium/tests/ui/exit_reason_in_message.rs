use actium::prelude::*;

struct Service;

#[actor]
impl Service {
    #[tell]
    fn report(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

fn main() {}
