use actium::prelude::*;

struct Peer {
    key: u32,
}

#[actor]
impl Peer {
    // The one mistake: `id` is a method of every ActorRef.
    #[ask]
    fn id(&self) -> u32 {
        self.key
    }
}

// Uses of the actor elsewhere still type-check, so they add no errors.
fn keep(peers: Vec<ActorRef<Peer>>) -> usize {
    peers.len()
}

fn main() {
    let _ = keep(Vec::new());
}
