use actium::prelude::*;

// Not a serde type: it cannot cross nodes.
pub struct Handle(std::fs::File);

pub struct Keeper {
    path: String,
}

#[actor(remote)]
impl Keeper {
    #[ask]
    fn open(&mut self) -> Handle {
        Handle(std::fs::File::open(&self.path).unwrap())
    }
}

fn main() {}
