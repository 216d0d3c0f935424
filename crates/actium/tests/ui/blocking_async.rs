use actium::prelude::*;

struct Disk;

#[actor]
impl Disk {
    #[ask(blocking)]
    async fn read(&self) -> Vec<u8> {
        Vec::new()
    }
}

fn main() {}
