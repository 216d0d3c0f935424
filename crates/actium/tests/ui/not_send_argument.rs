use std::rc::Rc;

use actium::prelude::*;

struct Holder;

#[actor]
impl Holder {
    #[tell]
    fn hold(&mut self, value: Rc<u32>) {
        drop(value);
    }
}

fn main() {}
