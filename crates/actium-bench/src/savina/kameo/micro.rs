//! Savina's micro-benchmarks on kameo: pingpong, counting, thread ring,
//! fork-join throughput and creation, chameneos, big.

use std::sync::Arc;
use std::time::Instant;

use kameo::Actor;
use kameo::actor::ActorRef;
use kameo::message::{Context, Message};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::{reports, spawn};
use crate::savina::{Colour, Rng, big_shape, chameneos_count, compute, fjthrput_shape, ring_size};
use crate::workload::{Measurement, check};

/// Hands an actor its peers once all are started.
struct Connect<T>(T);
struct Start;
struct PingMsg;
struct PongMsg;

#[derive(Actor)]
struct Ping {
    pong: ActorRef<Pong>,
    left: u64,
    received: u64,
    done: UnboundedSender<u64>,
}

#[derive(Actor)]
struct Pong {
    ping: Option<ActorRef<Ping>>,
}

impl Message<Start> for Ping {
    type Reply = ();

    async fn handle(&mut self, _: Start, _: &mut Context<Self, ()>) {
        self.left -= 1;
        let _ = self.pong.tell(PingMsg).try_send();
    }
}

impl Message<PongMsg> for Ping {
    type Reply = ();

    async fn handle(&mut self, _: PongMsg, _: &mut Context<Self, ()>) {
        self.received += 1;
        if self.left == 0 {
            let _ = self.done.send(self.received);
        } else {
            self.left -= 1;
            let _ = self.pong.tell(PingMsg).try_send();
        }
    }
}

impl Message<Connect<ActorRef<Ping>>> for Pong {
    type Reply = ();

    async fn handle(&mut self, Connect(ping): Connect<ActorRef<Ping>>, _: &mut Context<Self, ()>) {
        self.ping = Some(ping);
    }
}

impl Message<PingMsg> for Pong {
    type Reply = ();

    async fn handle(&mut self, _: PingMsg, _: &mut Context<Self, ()>) {
        if let Some(ping) = &self.ping {
            let _ = ping.tell(PongMsg).try_send();
        }
    }
}

pub(super) async fn pingpong(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let pong = spawn(Pong { ping: None });
    let ping = spawn(Ping {
        pong: pong.clone(),
        left: n,
        received: 0,
        done,
    });
    let _ = pong.tell(Connect(ping.clone())).try_send();
    let start = Instant::now();
    let _ = ping.tell(Start).try_send();
    let received = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(received == [n], "savina-pingpong: every ping answered");
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct Counter(u64);

struct Increment;
struct Retrieve;

impl Message<Increment> for Counter {
    type Reply = ();

    async fn handle(&mut self, _: Increment, _: &mut Context<Self, ()>) {
        self.0 += 1;
    }
}

impl Message<Retrieve> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _: Retrieve, _: &mut Context<Self, u64>) -> u64 {
        self.0
    }
}

#[derive(Actor)]
struct Producer;

struct Produce(ActorRef<Counter>, u64);

impl Message<Produce> for Producer {
    type Reply = u64;

    async fn handle(&mut self, Produce(counter, n): Produce, _: &mut Context<Self, u64>) -> u64 {
        for _ in 0..n {
            let _ = counter.tell(Increment).try_send();
        }
        counter.ask(Retrieve).await.unwrap_or(0)
    }
}

pub(super) async fn count(n: u64) -> Measurement {
    let counter = spawn(Counter(0));
    let producer = spawn(Producer);
    let start = Instant::now();
    let counted = producer.ask(Produce(counter, n)).await.ok();
    let elapsed = start.elapsed();
    check(counted == Some(n), "savina-count: the count equals n");
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct RingNode {
    index: u64,
    next: Option<ActorRef<RingNode>>,
    done: UnboundedSender<u64>,
}

struct Token(u64);

impl Message<Connect<ActorRef<RingNode>>> for RingNode {
    type Reply = ();

    async fn handle(
        &mut self,
        Connect(next): Connect<ActorRef<RingNode>>,
        _: &mut Context<Self, ()>,
    ) {
        self.next = Some(next);
    }
}

impl Message<Token> for RingNode {
    type Reply = ();

    async fn handle(&mut self, Token(hops_left): Token, _: &mut Context<Self, ()>) {
        if hops_left == 0 {
            let _ = self.done.send(self.index);
        } else if let Some(next) = &self.next {
            let _ = next.tell(Token(hops_left - 1)).try_send();
        }
    }
}

pub(super) async fn thread_ring(n: u64) -> Measurement {
    let size = ring_size(n);
    let (done, finished) = unbounded_channel();
    let ring: Vec<ActorRef<RingNode>> = (0..size)
        .map(|index| {
            spawn(RingNode {
                index: index as u64,
                next: None,
                done: done.clone(),
            })
        })
        .collect();
    for (i, node) in ring.iter().enumerate() {
        let _ = node.tell(Connect(ring[(i + 1) % size].clone())).try_send();
    }
    let start = Instant::now();
    let _ = ring[0].tell(Token(n)).try_send();
    let last = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(
        last == [n % size as u64],
        "savina-threadring: the token stops where n hops lead",
    );
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct Worker {
    received: u64,
    expected: u64,
    done: UnboundedSender<u64>,
}

struct Work;

impl Message<Work> for Worker {
    type Reply = ();

    async fn handle(&mut self, _: Work, ctx: &mut Context<Self, ()>) {
        compute(37.2);
        self.received += 1;
        if self.received == self.expected {
            let _ = self.done.send(self.received);
            // A fork-join creation worker (expecting one) stops after it.
            if self.expected == 1 {
                ctx.stop();
            }
        }
    }
}

pub(super) async fn fj_throughput(n: u64) -> Measurement {
    let (actors, per) = fjthrput_shape(n);
    let (done, finished) = unbounded_channel();
    let workers: Vec<ActorRef<Worker>> = (0..actors)
        .map(|_| {
            spawn(Worker {
                received: 0,
                expected: per,
                done: done.clone(),
            })
        })
        .collect();
    let start = Instant::now();
    for _ in 0..per {
        for worker in &workers {
            let _ = worker.tell(Work).try_send();
        }
    }
    let counts = reports(finished, actors).await;
    let elapsed = start.elapsed();
    check(
        counts.len() == actors && counts.iter().all(|&c| c == per),
        "savina-fjthrput: every actor got all its messages",
    );
    Measurement::timed(actors as u64 * per, elapsed)
}

pub(super) async fn fj_create(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let start = Instant::now();
    for _ in 0..n {
        let worker = spawn(Worker {
            received: 0,
            expected: 1,
            done: done.clone(),
        });
        let _ = worker.tell(Work).try_send();
    }
    let answered = reports(finished, n as usize).await;
    let elapsed = start.elapsed();
    check(
        answered.len() as u64 == n,
        "savina-fjcreate: all n actors answered",
    );
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct Mall {
    waiting: Option<(ActorRef<Chameneo>, Colour)>,
    meetings_left: u64,
    faded: usize,
    chameneos: usize,
    meetings: u64,
    done: UnboundedSender<u64>,
}

#[derive(Actor)]
struct Chameneo {
    mall: ActorRef<Mall>,
    colour: Colour,
    meetings: u64,
}

struct Meet(ActorRef<Chameneo>, Colour);
struct Faded(u64);
struct MeetWith(ActorRef<Chameneo>, Colour);
struct Changed(Colour);
struct Exit;

impl Message<Meet> for Mall {
    type Reply = ();

    async fn handle(&mut self, Meet(from, colour): Meet, _: &mut Context<Self, ()>) {
        if self.meetings_left == 0 {
            let _ = from.tell(Exit).try_send();
            if let Some((waiting, _)) = self.waiting.take() {
                let _ = waiting.tell(Exit).try_send();
            }
            return;
        }
        match self.waiting.take() {
            Some((first, _)) => {
                self.meetings_left -= 1;
                let _ = first.tell(MeetWith(from, colour)).try_send();
            }
            None => self.waiting = Some((from, colour)),
        }
    }
}

impl Message<Faded> for Mall {
    type Reply = ();

    async fn handle(&mut self, Faded(meetings): Faded, _: &mut Context<Self, ()>) {
        self.meetings += meetings;
        self.faded += 1;
        if self.faded == self.chameneos {
            let _ = self.done.send(self.meetings);
        }
    }
}

impl Chameneo {
    fn meet(&self, ctx: &Context<Self, ()>) {
        let me = ctx.actor_ref().clone();
        let _ = self.mall.tell(Meet(me, self.colour)).try_send();
    }
}

impl Message<Start> for Chameneo {
    type Reply = ();

    async fn handle(&mut self, _: Start, ctx: &mut Context<Self, ()>) {
        self.meet(ctx);
    }
}

impl Message<MeetWith> for Chameneo {
    type Reply = ();

    async fn handle(&mut self, MeetWith(other, colour): MeetWith, ctx: &mut Context<Self, ()>) {
        self.colour = self.colour.complement(colour);
        self.meetings += 1;
        let _ = other.tell(Changed(self.colour)).try_send();
        self.meet(ctx);
    }
}

impl Message<Changed> for Chameneo {
    type Reply = ();

    async fn handle(&mut self, Changed(colour): Changed, ctx: &mut Context<Self, ()>) {
        self.colour = colour;
        self.meetings += 1;
        self.meet(ctx);
    }
}

impl Message<Exit> for Chameneo {
    type Reply = ();

    async fn handle(&mut self, _: Exit, ctx: &mut Context<Self, ()>) {
        let _ = self.mall.tell(Faded(self.meetings)).try_send();
        ctx.stop();
    }
}

pub(super) async fn chameneos(n: u64) -> Measurement {
    let count = chameneos_count(n);
    let (done, finished) = unbounded_channel();
    let mall = spawn(Mall {
        waiting: None,
        meetings_left: n,
        faded: 0,
        chameneos: count,
        meetings: 0,
        done,
    });
    let chameneos: Vec<ActorRef<Chameneo>> = (0..count)
        .map(|i| {
            spawn(Chameneo {
                mall: mall.clone(),
                colour: Colour::initial(i),
                meetings: 0,
            })
        })
        .collect();
    let start = Instant::now();
    for chameneo in &chameneos {
        let _ = chameneo.tell(Start).try_send();
    }
    let meetings = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(meetings == [2 * n], "savina-chameneos: meetings sum to 2n");
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct BigWorker {
    index: usize,
    neighbours: Arc<Vec<ActorRef<BigWorker>>>,
    rng: Rng,
    pings_left: u64,
    pongs: u64,
    done: UnboundedSender<u64>,
}

struct BigPing(usize);

impl BigWorker {
    fn send_ping(&mut self) {
        self.pings_left -= 1;
        let to = self.rng.other(self.index, self.neighbours.len());
        let _ = self.neighbours[to].tell(BigPing(self.index)).try_send();
    }
}

impl Message<Connect<Arc<Vec<ActorRef<BigWorker>>>>> for BigWorker {
    type Reply = ();

    async fn handle(
        &mut self,
        Connect(all): Connect<Arc<Vec<ActorRef<BigWorker>>>>,
        _: &mut Context<Self, ()>,
    ) {
        self.neighbours = all;
    }
}

impl Message<Start> for BigWorker {
    type Reply = ();

    async fn handle(&mut self, _: Start, _: &mut Context<Self, ()>) {
        self.send_ping();
    }
}

impl Message<BigPing> for BigWorker {
    type Reply = ();

    async fn handle(&mut self, BigPing(from): BigPing, _: &mut Context<Self, ()>) {
        let _ = self.neighbours[from].tell(PongMsg).try_send();
    }
}

impl Message<PongMsg> for BigWorker {
    type Reply = ();

    async fn handle(&mut self, _: PongMsg, _: &mut Context<Self, ()>) {
        self.pongs += 1;
        if self.pings_left == 0 {
            let _ = self.done.send(self.pongs);
        } else {
            self.send_ping();
        }
    }
}

pub(super) async fn big(n: u64) -> Measurement {
    let (workers, per) = big_shape(n);
    let (done, finished) = unbounded_channel();
    let all: Vec<ActorRef<BigWorker>> = (0..workers)
        .map(|index| {
            spawn(BigWorker {
                index,
                neighbours: Arc::new(Vec::new()),
                rng: Rng::new(index as u64),
                pings_left: per,
                pongs: 0,
                done: done.clone(),
            })
        })
        .collect();
    let all = Arc::new(all);
    for worker in all.iter() {
        let _ = worker.tell(Connect(all.clone())).try_send();
    }
    let start = Instant::now();
    for worker in all.iter() {
        let _ = worker.tell(Start).try_send();
    }
    let pongs = reports(finished, workers).await;
    let elapsed = start.elapsed();
    check(
        pongs.len() == workers && pongs.iter().sum::<u64>() == workers as u64 * per,
        "savina-big: every ping answered",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}
