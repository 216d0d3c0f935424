//! Recording real actors, in both execution models: what each call, run,
//! answer, error, signal and name becomes in a trace; the bounded queue;
//! JSON Lines files; and two nodes' traces merged into one diagram.

use std::time::Duration;

use actium::prelude::*;
use actium_trace::record::{Kind, Record};
use actium_trace::{Diagram, Filter, Format, JsonLines, Memory, Recording, merge, read_file};

/// How long a test waits for its events before it fails.
const LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("no {0} in store")]
struct Missing(String);

#[derive(Default)]
struct Store {
    items: Vec<String>,
}

#[actor]
impl Store {
    #[tell]
    fn put(&mut self, item: String) {
        self.items.push(item);
    }

    #[ask]
    fn count(&self) -> usize {
        self.items.len()
    }

    #[ask]
    fn take(&mut self, item: String) -> Result<String, Missing> {
        match self.items.iter().position(|i| *i == item) {
            Some(at) => Ok(self.items.remove(at)),
            None => Err(Missing(item)),
        }
    }

    #[ask]
    fn crash(&self) -> u8 {
        panic!("boom")
    }

    #[tell]
    fn spill(&mut self) {
        panic!("spilled")
    }
}

/// Answers after a while: long enough for a short deadline to pass.
#[derive(Default)]
struct Slow;

#[actor]
impl Slow {
    #[ask]
    async fn answer(&self) -> u8 {
        actium::sleep(Duration::from_millis(200)).await;
        42
    }
}

/// Asks the store from inside its own method.
struct Client {
    store: ActorRef<Store>,
}

#[actor]
impl Client {
    #[ask]
    async fn stock(&self) -> Result<usize, Error> {
        self.store.count().await
    }
}

#[derive(Default)]
struct Watcher;

#[actor]
impl Watcher {
    #[ask]
    fn watch(&mut self, ctx: &mut Context<Self>, other: ActorRef<Store>) {
        ctx.monitor(&other);
    }

    #[on_down]
    fn down(&mut self, _down: Down) {}
}

/// Records the current system into memory.
fn record_here() -> (Recording, Memory) {
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(memory.clone())
        .start(&SystemHandle::current())
        .expect("the test's system has no recorder yet");
    (recording, memory)
}

fn count(records: &[Record], kind: Kind) -> usize {
    records.iter().filter(|r| r.kind == kind).count()
}

fn find<'a>(records: &'a [Record], kind: Kind, method: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.kind == kind && r.method == method)
        .unwrap_or_else(|| panic!("no {kind} of `{method}` in {records:#?}"))
}

fn position(records: &[Record], kind: Kind, id: actium_trace::record::Id) -> usize {
    records
        .iter()
        .position(|r| r.kind == kind && r.id == id)
        .unwrap_or_else(|| panic!("no {kind} of {id}"))
}

fn label(participant: Option<&actium_trace::record::Participant>) -> Option<String> {
    participant.map(actium_trace::record::Participant::label)
}

#[actium::test]
async fn a_tell_and_an_ask_are_recorded_with_their_runs_and_answer() -> actium::Result<()> {
    let (recording, memory) = record_here();
    let store = Store::default().spawn();
    store.put("apples".into())?;
    assert_eq!(store.count().await?, 1);
    let records = memory
        .wait_for(LIMIT, |r| count(r, Kind::End) == 2)
        .expect("two runs end");
    recording.finish();

    let tell = find(&records, Kind::Tell, "put");
    assert_eq!(tell.detail.as_deref(), Some("\"apples\""));
    assert_eq!(tell.from, None, "sent from outside any actor");
    let store_label = format!("Store#{}", store.id().local());
    assert_eq!(label(tell.to.as_ref()), Some(store_label.clone()));

    let ask = find(&records, Kind::Ask, "count");
    let reply = find(&records, Kind::Reply, "count");
    assert_eq!(reply.id, ask.id, "the answer carries the request's id");
    assert_eq!(reply.detail.as_deref(), Some("1"));
    assert_eq!(label(reply.from.as_ref()), Some(store_label));
    assert_eq!(reply.to, None, "answered to the caller outside any actor");
    for message in [tell, ask] {
        let start = position(&records, Kind::Start, message.id);
        let end = position(&records, Kind::End, message.id);
        assert!(position(&records, message.kind, message.id) < start && start < end);
    }
    assert!(position(&records, Kind::Reply, ask.id) < position(&records, Kind::End, ask.id));
    Ok(())
}

#[actium::test]
async fn a_message_sent_while_handling_another_names_it_as_parent() -> actium::Result<()> {
    let (recording, memory) = record_here();
    let store = Store::default().spawn();
    let client = Client {
        store: store.clone(),
    }
    .spawn();
    assert_eq!(client.stock().await??, 0);
    let records = memory
        .wait_for(LIMIT, |r| count(r, Kind::End) == 2)
        .expect("two runs end");
    recording.finish();

    let outer = find(&records, Kind::Ask, "stock");
    let inner = find(&records, Kind::Ask, "count");
    assert_eq!(inner.parent, Some(outer.id));
    assert_eq!(
        label(inner.from.as_ref()),
        Some(format!("Client#{}", client.id().local()))
    );
    let answer = find(&records, Kind::Reply, "count");
    assert_eq!(answer.to, inner.from, "answered to the asking actor");
    assert!(position(&records, Kind::Start, outer.id) < position(&records, Kind::Ask, inner.id));
    Ok(())
}

#[actium::test]
async fn err_answers_and_panics_are_recorded_as_errors() -> actium::Result<()> {
    let (recording, memory) = record_here();
    let store = Store::default().spawn();
    assert_eq!(
        store.take("pears".into()).await?,
        Err(Missing("pears".into()))
    );
    assert!(matches!(store.crash().await, Err(Error::Panicked { .. })));
    store.spill()?;
    let records = memory
        .wait_for(LIMIT, |r| {
            count(r, Kind::Error) == 3 && count(r, Kind::End) == 3
        })
        .expect("three errors");
    recording.finish();

    let refused = find(&records, Kind::Error, "take");
    assert_eq!(refused.detail.as_deref(), Some(r#"Err(Missing("pears"))"#));
    assert_eq!(refused.id, find(&records, Kind::Ask, "take").id);
    let crashed = find(&records, Kind::Error, "crash");
    assert_eq!(crashed.detail.as_deref(), Some("panicked: boom"));
    let spilled = find(&records, Kind::Error, "spill");
    assert_eq!(
        spilled.to, spilled.from,
        "a one-way panic is marked on the actor"
    );
    Ok(())
}

#[actium::test]
async fn monitor_signals_and_names_are_recorded() -> actium::Result<()> {
    let early = Store::default().spawn();
    actium::register("early", &early)?;
    let (recording, memory) = record_here();
    let store = Store::default().spawn();
    actium::register("store", &store)?;
    let watcher = Watcher.spawn();
    watcher.watch(store.clone()).await?;
    store.put("figs".into())?;
    store.stop();
    assert_eq!(store.stopped().await, ExitReason::Stopped);
    let records = memory
        .wait_for(LIMIT, |r| count(r, Kind::Down) == 1)
        .expect("a down signal");
    recording.finish();

    let names: Vec<&str> = records
        .iter()
        .filter(|r| r.kind == Kind::Named)
        .filter_map(|r| r.detail.as_deref())
        .collect();
    assert_eq!(
        names,
        ["early", "store"],
        "earlier names are recorded first"
    );
    let put = find(&records, Kind::Tell, "put");
    assert_eq!(
        put.to.as_ref().and_then(|p| p.name.as_deref()),
        Some("store")
    );
    let down = find(&records, Kind::Down, "down");
    assert_eq!(down.from, put.to, "from the actor that exited");
    assert_eq!(down.detail.as_deref(), Some("stopped"));
    assert_eq!(
        label(down.to.as_ref()),
        Some(format!("Watcher#{}", watcher.id().local()))
    );
    Ok(())
}

#[actium::test]
async fn timeouts_late_answers_refusals_and_exits_are_recorded_and_counted() -> actium::Result<()> {
    let (recording, memory) = record_here();
    let slow = Slow.spawn();
    let gave_up = slow.answer().timeout(Duration::from_millis(20)).await;
    assert!(matches!(gave_up, Err(Error::Timeout { .. })), "{gave_up:?}");
    let store = Store::default().spawn();
    store.stop();
    assert_eq!(store.stopped().await, ExitReason::Stopped);
    assert!(
        store.put("too late".into()).is_err(),
        "a stopped actor refuses"
    );
    let records = memory
        .wait_for(LIMIT, |r| {
            count(r, Kind::Reply) == 1
                && count(r, Kind::Refused) == 1
                && count(r, Kind::Stopped) >= 1
        })
        .expect("the late answer, the refusal and the exit");
    recording.finish();

    let ask = find(&records, Kind::Ask, "answer");
    let timeout = find(&records, Kind::Timeout, "answer");
    assert_eq!(timeout.id, ask.id, "the timeout is the request's");
    assert_eq!(timeout.from, None, "the caller outside any actor gave up");
    assert_eq!(label(timeout.to.as_ref()), label(ask.to.as_ref()));
    assert_eq!(timeout.detail.as_deref(), Some("no answer in 20ms"));
    assert!(position(&records, Kind::Timeout, ask.id) < position(&records, Kind::Reply, ask.id));

    let put = find(&records, Kind::Tell, "put");
    let refused = find(&records, Kind::Refused, "put");
    assert_eq!(refused.id, put.id, "the refusal is the send's");
    assert!(
        refused
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("stopped")),
        "{refused:?}"
    );
    let stopped = records
        .iter()
        .find(|r| r.kind == Kind::Stopped && r.to == put.to)
        .expect("the store's exit");
    assert_eq!(stopped.detail.as_deref(), Some("stopped"));

    let stats = actium_trace::stats(&records);
    let answer = &stats.per_method["Slow::answer"];
    assert_eq!(
        (
            answer.asks,
            answer.timeouts,
            answer.late,
            answer.latencies.len()
        ),
        (1, 1, 1, 0),
        "a late answer is no success"
    );
    assert_eq!(stats.per_method["Store::put"].refused, 1);
    assert_eq!(
        stats
            .exits
            .get(&format!("Store#{}", store.id().local()))
            .map(String::as_str),
        Some("stopped")
    );
    let diagram = Diagram::build(&records, &Filter::default());
    let svg = Format::Svg.render(&diagram);
    for class in [
        "message timeout",
        "message late",
        "message refused",
        "class=\"destroy\"",
    ] {
        assert!(svg.contains(class), "{class} missing from the SVG");
    }
    Ok(())
}

#[test]
fn a_system_that_does_not_record_leaves_no_trace_in_one_that_does() {
    for mode in [Mode::Tasks, Mode::Threads] {
        let quiet = System::builder().mode(mode).start().expect("system");
        let loud = System::builder().mode(mode).start().expect("system");
        let memory = Memory::new();
        let recording = Recording::builder()
            .sink(memory.clone())
            .start(loud.handle())
            .expect("records");
        let unseen = Store::default().spawner().system(quiet.handle()).spawn();
        unseen.put("x".into()).expect("sent");
        assert_eq!(unseen.count().wait().expect("answered"), 1);
        let seen = Store::default().spawner().system(loud.handle()).spawn();
        assert_eq!(seen.count().wait().expect("answered"), 0);
        let records = memory
            .wait_for(LIMIT, |r| count(r, Kind::End) == 1)
            .expect("one run");
        recording.flush();
        assert_eq!(memory.records().len(), records.len());
        assert!(records.iter().all(|r| r.method == "count"), "{records:#?}");
        assert!(!quiet.handle().is_recording());
        drop(recording);
    }
}

#[test]
fn a_full_queue_drops_events_counts_them_and_says_so_in_the_trace() {
    let system = System::builder().start().expect("system");
    let memory = Memory::new();
    let recording = Recording::builder()
        .capacity(4)
        .sink(memory.clone())
        .start(system.handle())
        .expect("records");
    let store = Store::default().spawner().system(system.handle()).spawn();
    for _ in 0..500 {
        store.put("x".into()).expect("sent");
    }
    assert_eq!(store.count().wait().expect("answered"), 500);
    let summary = recording.finish();
    assert!(summary.dropped > 0, "{summary:?}");
    let records = memory.records();
    let reported: u64 = records
        .iter()
        .filter(|r| r.kind == Kind::Dropped)
        .filter_map(|r| r.count)
        .sum();
    assert_eq!(reported, summary.dropped);
    assert_eq!(summary.written, records.len() as u64);
}

#[test]
fn a_json_lines_trace_reads_back_record_for_record() {
    let path = std::env::temp_dir().join(format!("actium-trace-{}.jsonl", std::process::id()));
    let system = System::builder().start().expect("system");
    let memory = Memory::new();
    let recording = Recording::builder()
        .sink(JsonLines::create(&path).expect("file"))
        .sink(memory.clone())
        .node_url("tcp://127.0.0.1:4000")
        .start(system.handle())
        .expect("records");
    let store = Store::default().spawner().system(system.handle()).spawn();
    store.put("plums".into()).expect("sent");
    assert_eq!(store.count().wait().expect("answered"), 1);
    memory
        .wait_for(LIMIT, |r| count(r, Kind::End) == 2)
        .expect("two runs end");
    assert_eq!(recording.finish().failed_writes, 0);
    let trace = read_file(&path).expect("readable");
    std::fs::remove_file(&path).expect("cleaned up");
    assert!(trace.problems.is_empty(), "{:?}", trace.problems);
    assert_eq!(trace.records, memory.records());
    assert_eq!(
        trace.records[0].node_url.as_deref(),
        Some("tcp://127.0.0.1:4000")
    );
}

/// Forwards a request to a store on another node.
struct Relay {
    store: ActorRef<Store>,
}

#[actor]
impl Relay {
    #[ask]
    async fn forward(&self) -> Result<usize, Error> {
        self.store.count().await
    }
}

#[test]
fn traces_of_two_nodes_merge_into_one_diagram_grouped_by_node() {
    for mode in [Mode::Tasks, Mode::Threads] {
        let (a, b) = (
            System::builder().mode(mode).start().expect("system"),
            System::builder().mode(mode).start().expect("system"),
        );
        let (trace_a, trace_b) = (Memory::new(), Memory::new());
        let on_a = Recording::builder()
            .sink(trace_a.clone())
            .start(a.handle())
            .expect("records");
        let on_b = Recording::builder()
            .sink(trace_b.clone())
            .start(b.handle())
            .expect("records");
        let store = Store::default().spawner().system(b.handle()).spawn();
        let relay = Relay { store }.spawner().system(a.handle()).spawn();
        let forwarded = relay.forward().wait().expect("answered");
        assert_eq!(forwarded.expect("the store answers"), 0);
        let a_records = trace_a
            .wait_for(LIMIT, |r| count(r, Kind::End) == 1)
            .expect("the relay's run ends");
        let b_records = trace_b
            .wait_for(LIMIT, |r| count(r, Kind::End) == 1)
            .expect("the store's run ends");
        drop((on_a, on_b));
        assert!(b_records.iter().all(|r| r.node == b_records[0].node));
        assert_ne!(a_records[0].node, b_records[0].node);

        let merged = merge(vec![a_records, b_records]);
        let forward = find(&merged, Kind::Ask, "forward").id;
        let count_id = find(&merged, Kind::Ask, "count").id;
        let order = [
            position(&merged, Kind::Ask, forward),
            position(&merged, Kind::Start, forward),
            position(&merged, Kind::Ask, count_id),
            position(&merged, Kind::Start, count_id),
            position(&merged, Kind::Reply, count_id),
            position(&merged, Kind::Reply, forward),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");

        let diagram = Diagram::build(&merged, &Filter::default());
        assert_eq!(diagram.nodes.len(), 2);
        assert_eq!(
            diagram.lifelines.len(),
            3,
            "main and the relay on A, the store on B"
        );
        assert_eq!(diagram.message_count(), 4);
        let mermaid = Format::Mermaid.render(&diagram);
        assert_eq!(mermaid.matches("    box ").count(), 2, "{mermaid}");
    }
}
