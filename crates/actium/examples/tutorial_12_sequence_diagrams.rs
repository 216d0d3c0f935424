//! Tutorial chapter 12: recording who called whom, and drawing it as a
//! UML sequence diagram. See `docs/tutorial/12_sequence_diagrams.md`.
//!
//! ```text
//! cargo run --example tutorial_12_sequence_diagrams --features trace
//! ```

use std::time::Duration;

use actium::prelude::*;
use actium::trace::{Diagram, Filter, Format, Kind, Memory, Record, Recording};

// ANCHOR: actors
struct Warehouse {
    stock: Vec<String>,
}

#[actor]
impl Warehouse {
    /// Takes the item out of stock if it is there.
    #[ask]
    fn reserve(&mut self, item: String) -> bool {
        let found = self.stock.iter().position(|i| *i == item);
        found.map(|at| self.stock.remove(at)).is_some()
    }
}

struct Billing;

#[actor]
impl Billing {
    #[tell]
    fn charge(&self, item: String, cents: u64) {
        println!("charged {cents} cents for {item}");
    }
}

struct Shop {
    warehouse: ActorRef<Warehouse>,
    billing: ActorRef<Billing>,
}

#[actor]
impl Shop {
    /// Reserves the item, and bills it if it was in stock.
    #[ask]
    async fn order(&self, item: String) -> actium::Result<bool> {
        let reserved = self.warehouse.reserve(item.clone()).await?;
        if reserved {
            self.billing.charge(item, 1_250)?;
        }
        Ok(reserved)
    }
}
// ANCHOR_END: actors

// ANCHOR: main
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A system owned by `main`, and a recording of it kept in memory.
    let system = System::builder().start()?;
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(memory.clone())
        .start(system.handle())?;

    let warehouse = Warehouse {
        stock: vec!["book".into()],
    }
    .spawner()
    .system(system.handle())
    .spawn();
    let billing = Billing.spawner().system(system.handle()).spawn();
    let shop = Shop { warehouse, billing }
        .spawner()
        .system(system.handle())
        .spawn();
    assert!(shop.order("book".into()).wait()??);
    assert!(!shop.order("book".into()).wait()??); // sold out

    // Events reach the recording's writer thread a little after the calls.
    let charged = |r: &Record| r.kind == Kind::Tell && r.method == "charge";
    let answers = |records: &[Record]| records.iter().filter(|r| r.kind == Kind::Reply).count();
    let records = memory
        .wait_for(Duration::from_secs(5), |records| {
            records.iter().any(charged) && answers(records) == 4
        })
        .map_err(|records| format!("only {} events arrived", records.len()))?;
    recording.finish();

    let diagram = Diagram::build(&records, &Filter::default());
    let mermaid = Format::Mermaid.render(&diagram);
    println!("{mermaid}");
    assert!(mermaid.contains("reserve(\"book\")"));
    assert!(mermaid.contains("charge(\"book\", 1250)"));
    system.shutdown();
    Ok(())
}
// ANCHOR_END: main
