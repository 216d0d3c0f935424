//! Savina's micro-benchmarks on Actium: pingpong, counting, thread ring,
//! fork-join throughput and creation, chameneos, big.

use std::sync::Arc;
use std::time::Instant;

use actium::prelude::*;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::reports;
use crate::savina::{Colour, Rng, big_shape, chameneos_count, compute, fjthrput_shape, ring_size};
use crate::workload::{Measurement, check};

pub struct Ping {
    pong: ActorRef<Pong>,
    left: u64,
    received: u64,
    done: UnboundedSender<u64>,
}

#[actor]
impl Ping {
    #[tell]
    pub fn start(&mut self) {
        self.left -= 1;
        let _ = self.pong.ping();
    }

    #[tell]
    pub fn pong(&mut self) {
        self.received += 1;
        if self.left == 0 {
            let _ = self.done.send(self.received);
        } else {
            self.left -= 1;
            let _ = self.pong.ping();
        }
    }
}

#[derive(Default)]
pub struct Pong {
    ping: Option<ActorRef<Ping>>,
}

#[actor]
impl Pong {
    #[tell]
    pub fn connect(&mut self, ping: ActorRef<Ping>) {
        self.ping = Some(ping);
    }

    #[tell]
    pub fn ping(&mut self) {
        if let Some(ping) = &self.ping {
            let _ = ping.pong();
        }
    }
}

pub(super) async fn pingpong(n: u64) -> Result<Measurement, Error> {
    let (done, finished) = unbounded_channel();
    let pong = Pong::default().spawn();
    let ping = Ping {
        pong: pong.clone(),
        left: n,
        received: 0,
        done,
    }
    .spawn();
    pong.connect(ping.clone())?;
    let start = Instant::now();
    ping.start()?;
    let received = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(received == [n], "savina-pingpong: every ping answered");
    Ok(Measurement::timed(n, elapsed))
}

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    #[tell]
    pub fn increment(&mut self) {
        self.count += 1;
    }

    #[ask]
    pub fn retrieve(&self) -> u64 {
        self.count
    }
}

pub struct Producer;

#[actor]
impl Producer {
    #[ask]
    pub async fn produce(&self, counter: ActorRef<Counter>, n: u64) -> Result<u64, Error> {
        for _ in 0..n {
            counter.increment()?;
        }
        counter.retrieve().await
    }
}

pub(super) async fn count(n: u64) -> Result<Measurement, Error> {
    let counter = Counter::default().spawn();
    let producer = Producer.spawn();
    let start = Instant::now();
    let counted = producer.produce(counter, n).await??;
    let elapsed = start.elapsed();
    check(counted == n, "savina-count: the count equals n");
    Ok(Measurement::timed(n, elapsed))
}

pub struct RingNode {
    index: u64,
    next: Option<ActorRef<RingNode>>,
    done: UnboundedSender<u64>,
}

#[actor]
impl RingNode {
    #[tell]
    pub fn connect(&mut self, next: ActorRef<RingNode>) {
        self.next = Some(next);
    }

    #[tell]
    pub fn token(&mut self, hops_left: u64) {
        if hops_left == 0 {
            let _ = self.done.send(self.index);
        } else if let Some(next) = &self.next {
            let _ = next.token(hops_left - 1);
        }
    }
}

pub(super) async fn thread_ring(n: u64) -> Result<Measurement, Error> {
    let size = ring_size(n);
    let (done, finished) = unbounded_channel();
    let ring: Vec<ActorRef<RingNode>> = (0..size)
        .map(|index| {
            RingNode {
                index: index as u64,
                next: None,
                done: done.clone(),
            }
            .spawn()
        })
        .collect();
    for (i, node) in ring.iter().enumerate() {
        node.connect(ring[(i + 1) % size].clone())?;
    }
    let start = Instant::now();
    ring[0].token(n)?;
    let last = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(
        last == [n % size as u64],
        "savina-threadring: the token stops where n hops lead",
    );
    Ok(Measurement::timed(n, elapsed))
}

pub struct ThroughputWorker {
    received: u64,
    expected: u64,
    done: UnboundedSender<u64>,
}

#[actor]
impl ThroughputWorker {
    #[tell]
    pub fn work(&mut self) {
        compute(37.2);
        self.received += 1;
        if self.received == self.expected {
            let _ = self.done.send(self.received);
        }
    }
}

pub(super) async fn fj_throughput(n: u64) -> Result<Measurement, Error> {
    let (actors, per) = fjthrput_shape(n);
    let (done, finished) = unbounded_channel();
    let workers: Vec<ActorRef<ThroughputWorker>> = (0..actors)
        .map(|_| {
            ThroughputWorker {
                received: 0,
                expected: per,
                done: done.clone(),
            }
            .spawn()
        })
        .collect();
    let start = Instant::now();
    for _ in 0..per {
        for worker in &workers {
            worker.work()?;
        }
    }
    let counts = reports(finished, actors).await;
    let elapsed = start.elapsed();
    check(
        counts.len() == actors && counts.iter().all(|&c| c == per),
        "savina-fjthrput: every actor got all its messages",
    );
    Ok(Measurement::timed(actors as u64 * per, elapsed))
}

pub struct CreatedWorker {
    done: UnboundedSender<u64>,
}

#[actor]
impl CreatedWorker {
    #[tell]
    pub fn work(&mut self, ctx: &mut Context<Self>) {
        compute(37.2);
        let _ = self.done.send(1);
        ctx.stop();
    }
}

pub(super) async fn fj_create(n: u64) -> Result<Measurement, Error> {
    let (done, finished) = unbounded_channel();
    let start = Instant::now();
    for _ in 0..n {
        CreatedWorker { done: done.clone() }.spawn().work()?;
    }
    let answered = reports(finished, n as usize).await;
    let elapsed = start.elapsed();
    check(
        answered.len() as u64 == n,
        "savina-fjcreate: all n actors answered",
    );
    Ok(Measurement::timed(n, elapsed))
}

pub struct Mall {
    waiting: Option<(ActorRef<Chameneo>, Colour)>,
    meetings_left: u64,
    faded: usize,
    chameneos: usize,
    meetings: u64,
    done: UnboundedSender<u64>,
}

#[actor]
impl Mall {
    #[tell]
    pub fn meet(&mut self, from: ActorRef<Chameneo>, colour: Colour) {
        if self.meetings_left == 0 {
            let _ = from.exit();
            if let Some((waiting, _)) = self.waiting.take() {
                let _ = waiting.exit();
            }
            return;
        }
        match self.waiting.take() {
            Some((first, _)) => {
                self.meetings_left -= 1;
                let _ = first.meet_with(from, colour);
            }
            None => self.waiting = Some((from, colour)),
        }
    }

    #[tell]
    pub fn faded(&mut self, meetings: u64) {
        self.meetings += meetings;
        self.faded += 1;
        if self.faded == self.chameneos {
            let _ = self.done.send(self.meetings);
        }
    }
}

pub struct Chameneo {
    mall: ActorRef<Mall>,
    colour: Colour,
    meetings: u64,
}

#[actor]
impl Chameneo {
    #[tell]
    pub fn start(&mut self, ctx: &mut Context<Self>) {
        let _ = self.mall.meet(ctx.myself(), self.colour);
    }

    #[tell]
    pub fn meet_with(
        &mut self,
        other: ActorRef<Chameneo>,
        colour: Colour,
        ctx: &mut Context<Self>,
    ) {
        self.colour = self.colour.complement(colour);
        self.meetings += 1;
        let _ = other.changed(self.colour);
        let _ = self.mall.meet(ctx.myself(), self.colour);
    }

    #[tell]
    pub fn changed(&mut self, colour: Colour, ctx: &mut Context<Self>) {
        self.colour = colour;
        self.meetings += 1;
        let _ = self.mall.meet(ctx.myself(), self.colour);
    }

    #[tell]
    pub fn exit(&mut self, ctx: &mut Context<Self>) {
        let _ = self.mall.faded(self.meetings);
        ctx.stop();
    }
}

pub(super) async fn chameneos(n: u64) -> Result<Measurement, Error> {
    let count = chameneos_count(n);
    let (done, finished) = unbounded_channel();
    let mall = Mall {
        waiting: None,
        meetings_left: n,
        faded: 0,
        chameneos: count,
        meetings: 0,
        done,
    }
    .spawn();
    let chameneos: Vec<ActorRef<Chameneo>> = (0..count)
        .map(|i| {
            Chameneo {
                mall: mall.clone(),
                colour: Colour::initial(i),
                meetings: 0,
            }
            .spawn()
        })
        .collect();
    let start = Instant::now();
    for chameneo in &chameneos {
        chameneo.start()?;
    }
    let meetings = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(meetings == [2 * n], "savina-chameneos: meetings sum to 2n");
    Ok(Measurement::timed(n, elapsed))
}

pub struct BigWorker {
    index: usize,
    neighbours: Arc<Vec<ActorRef<BigWorker>>>,
    rng: Rng,
    pings_left: u64,
    pongs: u64,
    done: UnboundedSender<u64>,
}

impl BigWorker {
    fn send_ping(&mut self) {
        self.pings_left -= 1;
        let to = self.rng.other(self.index, self.neighbours.len());
        let _ = self.neighbours[to].ping(self.index);
    }
}

#[actor]
impl BigWorker {
    #[tell]
    pub fn connect(&mut self, neighbours: Arc<Vec<ActorRef<BigWorker>>>) {
        self.neighbours = neighbours;
    }

    #[tell]
    pub fn start(&mut self) {
        self.send_ping();
    }

    #[tell]
    pub fn ping(&mut self, from: usize) {
        let _ = self.neighbours[from].pong();
    }

    #[tell]
    pub fn pong(&mut self) {
        self.pongs += 1;
        if self.pings_left == 0 {
            let _ = self.done.send(self.pongs);
        } else {
            self.send_ping();
        }
    }
}

pub(super) async fn big(n: u64) -> Result<Measurement, Error> {
    let (workers, per) = big_shape(n);
    let (done, finished) = unbounded_channel();
    let all: Vec<ActorRef<BigWorker>> = (0..workers)
        .map(|index| {
            BigWorker {
                index,
                neighbours: Arc::new(Vec::new()),
                rng: Rng::new(index as u64),
                pings_left: per,
                pongs: 0,
                done: done.clone(),
            }
            .spawn()
        })
        .collect();
    let all = Arc::new(all);
    // Every worker knows the others before any ping: a ping enqueued
    // behind its target's `connect` finds the neighbours there.
    for worker in all.iter() {
        worker.connect(all.clone())?;
    }
    let start = Instant::now();
    for worker in all.iter() {
        worker.start()?;
    }
    let pongs = reports(finished, workers).await;
    let elapsed = start.elapsed();
    check(
        pongs.len() == workers && pongs.iter().sum::<u64>() == workers as u64 * per,
        "savina-big: every ping answered",
    );
    Ok(Measurement::timed(workers as u64 * per, elapsed))
}
