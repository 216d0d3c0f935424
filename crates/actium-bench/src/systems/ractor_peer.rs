//! The workloads on ractor.

use std::time::Instant;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, call};
use tokio::sync::mpsc;

use crate::workload::{
    Measurement, Workload, check, gather, rss_bytes, rss_per_actor, tokio_runtime,
};

struct Counter;

enum CounterMsg {
    Incr,
    Get(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        msg: CounterMsg,
        n: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CounterMsg::Incr => *n += 1,
            CounterMsg::Get(reply) => {
                let _ = reply.send(*n);
            }
        }
        Ok(())
    }
}

struct Hop;

enum HopMsg {
    Connect(ActorRef<HopMsg>),
    Token(u64),
}

struct HopState {
    next: Option<ActorRef<HopMsg>>,
    done: mpsc::UnboundedSender<()>,
}

impl Actor for Hop {
    type Msg = HopMsg;
    type State = HopState;
    type Arguments = mpsc::UnboundedSender<()>;

    async fn pre_start(
        &self,
        _: ActorRef<HopMsg>,
        done: mpsc::UnboundedSender<()>,
    ) -> Result<HopState, ActorProcessingErr> {
        Ok(HopState { next: None, done })
    }

    async fn handle(
        &self,
        _: ActorRef<HopMsg>,
        msg: HopMsg,
        state: &mut HopState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            HopMsg::Connect(next) => state.next = Some(next),
            HopMsg::Token(0) => {
                let _ = state.done.send(());
            }
            HopMsg::Token(remaining) => {
                if let Some(next) = &state.next {
                    let _ = next.cast(HopMsg::Token(remaining - 1));
                }
            }
        }
        Ok(())
    }
}

async fn spawn_counter() -> ActorRef<CounterMsg> {
    match Actor::spawn(None, Counter, ()).await {
        Ok((actor, _handle)) => actor,
        Err(error) => panic!("ractor could not spawn: {error}"),
    }
}

async fn get(counter: &ActorRef<CounterMsg>) -> u64 {
    call!(counter, CounterMsg::Get).unwrap_or(u64::MAX)
}

pub fn run(workload: Workload, n: u64) -> Option<Measurement> {
    if matches!(
        workload,
        Workload::Reentrant
            | Workload::RemoteAsk
            | Workload::RemoteTell
            | Workload::NatsAsk
            | Workload::NatsTell
    ) {
        return None;
    }
    let runtime = tokio_runtime();
    let caller = runtime.spawn(measure(workload, n));
    Some(match runtime.block_on(caller) {
        Ok(measurement) => measurement,
        Err(error) => panic!("ractor failed on {workload}: {error}"),
    })
}

async fn measure(workload: Workload, n: u64) -> Measurement {
    match workload {
        Workload::Ask => {
            let counter = spawn_counter().await;
            let start = Instant::now();
            let mut answers = 0;
            for _ in 0..n {
                answers |= get(&counter).await;
            }
            let elapsed = start.elapsed();
            check(answers == 0, "ask answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Tell => {
            let counter = spawn_counter().await;
            let start = Instant::now();
            for _ in 0..n {
                let _ = counter.cast(CounterMsg::Incr);
            }
            let count = get(&counter).await;
            let elapsed = start.elapsed();
            check(count == n, "tell count");
            Measurement::timed(n, elapsed)
        }
        Workload::PingPong => hops(2, n).await,
        Workload::Ring => hops(503, n).await,
        Workload::Fanout => {
            let start = Instant::now();
            let mut counters = Vec::with_capacity(n as usize);
            for _ in 0..n {
                counters.push(spawn_counter().await);
            }
            let answers = gather(counters.iter().map(get)).await;
            let elapsed = start.elapsed();
            check(answers.iter().all(|a| *a == 0), "fanout answers");
            Measurement::timed(n, elapsed)
        }
        Workload::Spawn => {
            let before = rss_bytes();
            let start = Instant::now();
            let mut counters = Vec::with_capacity(n as usize);
            for _ in 0..n {
                counters.push(spawn_counter().await);
            }
            check(
                get(&counters[counters.len() - 1]).await == 0,
                "spawned actor answers",
            );
            let elapsed = start.elapsed();
            Measurement {
                ops: n,
                elapsed,
                rss_bytes_per_actor: Some(rss_per_actor(before, n)),
            }
        }
        Workload::Reentrant
        | Workload::RemoteAsk
        | Workload::RemoteTell
        | Workload::NatsAsk
        | Workload::NatsTell
        | Workload::Savina(_) => {
            unreachable!("filtered above")
        }
    }
}

async fn hops(size: usize, n: u64) -> Measurement {
    let (done, mut finished) = mpsc::unbounded_channel();
    let mut ring = Vec::with_capacity(size);
    for _ in 0..size {
        match Actor::spawn(None, Hop, done.clone()).await {
            Ok((hop, _handle)) => ring.push(hop),
            Err(error) => panic!("ractor could not spawn: {error}"),
        }
    }
    for (i, hop) in ring.iter().enumerate() {
        let _ = hop.cast(HopMsg::Connect(ring[(i + 1) % size].clone()));
    }
    let start = Instant::now();
    let _ = ring[0].cast(HopMsg::Token(n));
    check(finished.recv().await.is_some(), "token came back");
    Measurement::timed(n, start.elapsed())
}
