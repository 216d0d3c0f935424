use actium::prelude::*;

struct Store<T> {
    items: Vec<T>,
}

#[actor]
impl<T: Send + 'static> Store<T> {
    #[tell]
    fn clear(&mut self) {
        self.items.clear();
    }
}

fn main() {}
