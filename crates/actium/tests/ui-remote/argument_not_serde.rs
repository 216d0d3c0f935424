use actium::prelude::*;

// Not a serde type: it cannot cross nodes.
pub struct Handle(std::fs::File);

pub struct Keeper;

#[actor(remote)]
impl Keeper {
    #[tell]
    fn keep(&mut self, handle: Handle) {
        let _ = handle;
    }
}

fn main() {}
