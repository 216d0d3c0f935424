use actium::prelude::*;

struct Store {
    value: String,
}

#[actor]
impl Store {
    #[ask]
    fn value(&self) -> &str {
        &self.value
    }
}

fn main() {}
