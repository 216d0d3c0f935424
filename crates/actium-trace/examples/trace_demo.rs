//! A small shop whose actors' conversation is recorded and drawn:
//!
//! ```sh
//! cargo run --example trace_demo -- target/trace-demo
//! ```
//!
//! writes `target/trace-demo/trace.jsonl` (the recorded messages, one JSON
//! object per line) and `target/trace-demo/sequence.svg` (the sequence
//! diagram), and prints each message as it is recorded. A shop takes two
//! orders: it reserves stock at the warehouse and charges billing (asks),
//! and hands the parcel to a courier (a one-way tell). The second order
//! asks for something out of stock: the warehouse answers with an error,
//! and so does the shop.

use std::path::PathBuf;
use std::time::Duration;

use actium::prelude::*;
use actium_trace::{Diagram, Filter, Format, JsonLines, Memory, Recording, Stdout, read_file};

#[derive(Debug, thiserror::Error)]
#[error("only {left} {item} left")]
struct OutOfStock {
    item: String,
    left: u32,
}

#[derive(Default)]
struct Warehouse {
    stock: std::collections::HashMap<String, u32>,
}

#[actor]
impl Warehouse {
    #[tell]
    fn restock(&mut self, item: String, count: u32) {
        *self.stock.entry(item).or_default() += count;
    }

    #[ask]
    fn reserve(&mut self, item: String, count: u32) -> Result<u32, OutOfStock> {
        let left = self.stock.entry(item.clone()).or_default();
        if *left < count {
            return Err(OutOfStock { item, left: *left });
        }
        *left -= count;
        Ok(*left)
    }
}

#[derive(Default)]
struct Billing {
    next_invoice: u32,
}

#[actor]
impl Billing {
    #[ask]
    fn charge(&mut self, cents: u64) -> String {
        self.next_invoice += 1;
        format!(
            "INV-{:03} ({}.{:02} €)",
            self.next_invoice,
            cents / 100,
            cents % 100
        )
    }
}

#[derive(Default)]
struct Courier {
    parcels: Vec<String>,
}

#[actor]
impl Courier {
    #[tell]
    fn ship(&mut self, invoice: String) {
        self.parcels.push(invoice);
    }
}

struct Shop {
    warehouse: ActorRef<Warehouse>,
    billing: ActorRef<Billing>,
    courier: ActorRef<Courier>,
}

#[actor]
impl Shop {
    #[ask]
    async fn order(&self, item: String, count: u32) -> Result<String, String> {
        let reserved = self.warehouse.reserve(item, count).await;
        match reserved {
            Ok(Ok(_left)) => {}
            Ok(Err(out_of_stock)) => return Err(out_of_stock.to_string()),
            Err(error) => return Err(error.to_string()),
        }
        let invoice = self
            .billing
            .charge(u64::from(count) * 250)
            .await
            .map_err(|error| error.to_string())?;
        self.courier
            .ship(invoice.clone())
            .map_err(|error| error.to_string())?;
        Ok(invoice)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/trace-demo".to_owned()),
    );
    std::fs::create_dir_all(&out_dir)?;
    let trace_path = out_dir.join("trace.jsonl");
    let svg_path = out_dir.join("sequence.svg");

    let system = System::builder().mode(Mode::Tasks).start()?;
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(JsonLines::create(&trace_path)?)
        .sink(Stdout::stdout())
        .sink(memory.clone())
        .start(system.handle())?;

    let warehouse = Warehouse::default()
        .spawner()
        .system(system.handle())
        .spawn();
    let billing = Billing::default().spawner().system(system.handle()).spawn();
    let courier = Courier::default().spawner().system(system.handle()).spawn();
    system.handle().register("warehouse", &warehouse)?;
    system.handle().register("billing", &billing)?;
    let shop = Shop {
        warehouse: warehouse.clone(),
        billing,
        courier: courier.clone(),
    }
    .spawner()
    .system(system.handle())
    .spawn();
    system.handle().register("shop", &shop)?;

    warehouse.restock("apples".into(), 10)?;
    let first = shop.order("apples".into(), 3).wait()?;
    assert_eq!(first.as_deref(), Ok("INV-001 (7.50 €)"));
    let second = shop.order("pears".into(), 1).wait()?;
    assert_eq!(second, Err("only 0 pears left".to_owned()));

    // Method runs end just after their answers leave; the courier works on
    // its own. Wait until every run has ended before drawing.
    let done = |records: &[actium_trace::Record]| {
        let count = |kind| records.iter().filter(|r| r.kind == kind).count();
        count(actium_trace::Kind::Start) == 7 && count(actium_trace::Kind::End) == 7
    };
    if memory.wait_for(Duration::from_secs(10), done).is_err() {
        return Err("not every method run was recorded within 10 s".into());
    }
    let summary = recording.finish();
    system.shutdown();

    let trace = read_file(&trace_path)?;
    let diagram = Diagram::build(&trace.records, &Filter::default());
    std::fs::write(&svg_path, Format::Svg.render(&diagram))?;
    println!(
        "\n{} events ({} dropped) -> {}\nsequence diagram -> {}",
        summary.written,
        summary.dropped,
        trace_path.display(),
        svg_path.display()
    );
    Ok(())
}
