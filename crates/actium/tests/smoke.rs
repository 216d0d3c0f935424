//! Smoke test: one tell and one ask through the whole stack, in both models.

use actium::prelude::*;

#[derive(Default)]
struct Counter {
    n: u64,
}

#[actor]
impl Counter {
    #[tell]
    fn incr(&mut self, by: u64) {
        self.n += by;
    }

    #[ask]
    fn get(&self) -> u64 {
        self.n
    }

    #[ask]
    async fn get_later(&self) -> u64 {
        actium::sleep(std::time::Duration::from_millis(1)).await;
        self.n
    }
}

#[actium::test]
async fn tell_then_ask() -> actium::Result<()> {
    let c = Counter::default().spawn();
    c.incr(5)?;
    c.incr(2)?;
    assert_eq!(c.get().await?, 7);
    assert_eq!(c.get_later().await?, 7);
    Ok(())
}
