use actium::prelude::*;

struct Plotter;

#[actor]
impl Plotter {
    #[tell]
    fn plot(&mut self, (x, y): (f64, f64)) {
        let _ = (x, y);
    }
}

fn main() {}
