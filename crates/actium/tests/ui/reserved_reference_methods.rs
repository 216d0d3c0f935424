use actium::prelude::*;

struct Machine;

#[actor]
impl Machine {
    #[tell]
    fn kill(&mut self) {}

    #[ask]
    fn wait_for_room(&self) -> u8 {
        0
    }

    #[ask]
    fn label(&self) -> String {
        String::new()
    }
}

fn main() {}
