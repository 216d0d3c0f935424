use actium::prelude::*;

struct Greeter;

#[actor]
impl Greeter {
    #[ask]
    fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }
}

fn main() {}
