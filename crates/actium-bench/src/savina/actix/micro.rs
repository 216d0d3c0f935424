//! Savina's micro-benchmarks on actix: pingpong, counting, thread ring,
//! fork-join throughput and creation, chameneos, big.

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::reports;
use crate::savina::{Colour, Rng, big_shape, chameneos_count, compute, fjthrput_shape, ring_size};
use crate::workload::{Measurement, check};

struct Ping {
    pong: Addr<Pong>,
    left: u64,
    received: u64,
    done: UnboundedSender<u64>,
}

struct Pong {
    ping: Option<Addr<Ping>>,
}

impl Actor for Ping {
    type Context = Context<Self>;
}

impl Actor for Pong {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Start;

#[derive(Message)]
#[rtype(result = "()")]
struct PingMsg;

#[derive(Message)]
#[rtype(result = "()")]
struct PongMsg;

/// Hands an actor its peers once all are started.
struct Connect<T>(T);

impl<T: 'static> Message for Connect<T> {
    type Result = ();
}

impl Handler<Start> for Ping {
    type Result = ();

    fn handle(&mut self, _: Start, _: &mut Context<Self>) {
        self.left -= 1;
        self.pong.do_send(PingMsg);
    }
}

impl Handler<PongMsg> for Ping {
    type Result = ();

    fn handle(&mut self, _: PongMsg, _: &mut Context<Self>) {
        self.received += 1;
        if self.left == 0 {
            let _ = self.done.send(self.received);
        } else {
            self.left -= 1;
            self.pong.do_send(PingMsg);
        }
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct ConnectPing(Addr<Ping>);

impl Handler<ConnectPing> for Pong {
    type Result = ();

    fn handle(&mut self, ConnectPing(ping): ConnectPing, _: &mut Context<Self>) {
        self.ping = Some(ping);
    }
}

impl Handler<PingMsg> for Pong {
    type Result = ();

    fn handle(&mut self, _: PingMsg, _: &mut Context<Self>) {
        if let Some(ping) = &self.ping {
            ping.do_send(PongMsg);
        }
    }
}

pub(super) async fn pingpong(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let pong = Pong { ping: None }.start();
    let ping = Ping {
        pong: pong.clone(),
        left: n,
        received: 0,
        done,
    }
    .start();
    pong.do_send(ConnectPing(ping.clone()));
    let start = Instant::now();
    ping.do_send(Start);
    let received = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(received == [n], "savina-pingpong: every ping answered");
    Measurement::timed(n, elapsed)
}

struct Counter(u64);

impl Actor for Counter {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Increment;

#[derive(Message)]
#[rtype(result = "u64")]
struct Retrieve;

impl Handler<Increment> for Counter {
    type Result = ();

    fn handle(&mut self, _: Increment, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

impl Handler<Retrieve> for Counter {
    type Result = u64;

    fn handle(&mut self, _: Retrieve, _: &mut Context<Self>) -> u64 {
        self.0
    }
}

struct Producer;

impl Actor for Producer {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "u64")]
struct Produce(Addr<Counter>, u64);

impl Handler<Produce> for Producer {
    type Result = ResponseFuture<u64>;

    fn handle(&mut self, Produce(counter, n): Produce, _: &mut Context<Self>) -> Self::Result {
        Box::pin(async move {
            for _ in 0..n {
                counter.do_send(Increment);
            }
            counter.send(Retrieve).await.unwrap_or(0)
        })
    }
}

pub(super) async fn count(n: u64) -> Measurement {
    let counter = Counter(0).start();
    let producer = Producer.start();
    let start = Instant::now();
    let counted = producer.send(Produce(counter, n)).await;
    let elapsed = start.elapsed();
    check(counted == Ok(n), "savina-count: the count equals n");
    Measurement::timed(n, elapsed)
}

struct RingNode {
    index: u64,
    next: Option<Addr<RingNode>>,
    done: UnboundedSender<u64>,
}

impl Actor for RingNode {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Token(u64);

impl Handler<Connect<Addr<RingNode>>> for RingNode {
    type Result = ();

    fn handle(&mut self, Connect(next): Connect<Addr<RingNode>>, _: &mut Context<Self>) {
        self.next = Some(next);
    }
}

impl Handler<Token> for RingNode {
    type Result = ();

    fn handle(&mut self, Token(hops_left): Token, _: &mut Context<Self>) {
        if hops_left == 0 {
            let _ = self.done.send(self.index);
        } else if let Some(next) = &self.next {
            next.do_send(Token(hops_left - 1));
        }
    }
}

pub(super) async fn thread_ring(n: u64) -> Measurement {
    let size = ring_size(n);
    let (done, finished) = unbounded_channel();
    let ring: Vec<Addr<RingNode>> = (0..size)
        .map(|index| {
            RingNode {
                index: index as u64,
                next: None,
                done: done.clone(),
            }
            .start()
        })
        .collect();
    for (i, node) in ring.iter().enumerate() {
        node.do_send(Connect(ring[(i + 1) % size].clone()));
    }
    let start = Instant::now();
    ring[0].do_send(Token(n));
    let last = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(
        last == [n % size as u64],
        "savina-threadring: the token stops where n hops lead",
    );
    Measurement::timed(n, elapsed)
}

struct Worker {
    received: u64,
    expected: u64,
    done: UnboundedSender<u64>,
}

impl Actor for Worker {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Work;

impl Handler<Work> for Worker {
    type Result = ();

    fn handle(&mut self, _: Work, ctx: &mut Context<Self>) {
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
    let workers: Vec<Addr<Worker>> = (0..actors)
        .map(|_| {
            Worker {
                received: 0,
                expected: per,
                done: done.clone(),
            }
            .start()
        })
        .collect();
    let start = Instant::now();
    for _ in 0..per {
        for worker in &workers {
            worker.do_send(Work);
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
        Worker {
            received: 0,
            expected: 1,
            done: done.clone(),
        }
        .start()
        .do_send(Work);
    }
    let answered = reports(finished, n as usize).await;
    let elapsed = start.elapsed();
    check(
        answered.len() as u64 == n,
        "savina-fjcreate: all n actors answered",
    );
    Measurement::timed(n, elapsed)
}

struct Mall {
    waiting: Option<(Addr<Chameneo>, Colour)>,
    meetings_left: u64,
    faded: usize,
    chameneos: usize,
    meetings: u64,
    done: UnboundedSender<u64>,
}

struct Chameneo {
    mall: Addr<Mall>,
    colour: Colour,
    meetings: u64,
}

impl Actor for Mall {
    type Context = Context<Self>;
}

impl Actor for Chameneo {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Meet(Addr<Chameneo>, Colour);

#[derive(Message)]
#[rtype(result = "()")]
struct Faded(u64);

#[derive(Message)]
#[rtype(result = "()")]
struct MeetWith(Addr<Chameneo>, Colour);

#[derive(Message)]
#[rtype(result = "()")]
struct Changed(Colour);

#[derive(Message)]
#[rtype(result = "()")]
struct Exit;

impl Handler<Meet> for Mall {
    type Result = ();

    fn handle(&mut self, Meet(from, colour): Meet, _: &mut Context<Self>) {
        if self.meetings_left == 0 {
            from.do_send(Exit);
            if let Some((waiting, _)) = self.waiting.take() {
                waiting.do_send(Exit);
            }
            return;
        }
        match self.waiting.take() {
            Some((first, _)) => {
                self.meetings_left -= 1;
                first.do_send(MeetWith(from, colour));
            }
            None => self.waiting = Some((from, colour)),
        }
    }
}

impl Handler<Faded> for Mall {
    type Result = ();

    fn handle(&mut self, Faded(meetings): Faded, _: &mut Context<Self>) {
        self.meetings += meetings;
        self.faded += 1;
        if self.faded == self.chameneos {
            let _ = self.done.send(self.meetings);
        }
    }
}

impl Handler<Start> for Chameneo {
    type Result = ();

    fn handle(&mut self, _: Start, ctx: &mut Context<Self>) {
        self.mall.do_send(Meet(ctx.address(), self.colour));
    }
}

impl Handler<MeetWith> for Chameneo {
    type Result = ();

    fn handle(&mut self, MeetWith(other, colour): MeetWith, ctx: &mut Context<Self>) {
        self.colour = self.colour.complement(colour);
        self.meetings += 1;
        other.do_send(Changed(self.colour));
        self.mall.do_send(Meet(ctx.address(), self.colour));
    }
}

impl Handler<Changed> for Chameneo {
    type Result = ();

    fn handle(&mut self, Changed(colour): Changed, ctx: &mut Context<Self>) {
        self.colour = colour;
        self.meetings += 1;
        self.mall.do_send(Meet(ctx.address(), self.colour));
    }
}

impl Handler<Exit> for Chameneo {
    type Result = ();

    fn handle(&mut self, _: Exit, ctx: &mut Context<Self>) {
        self.mall.do_send(Faded(self.meetings));
        ctx.stop();
    }
}

pub(super) async fn chameneos(n: u64) -> Measurement {
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
    .start();
    let chameneos: Vec<Addr<Chameneo>> = (0..count)
        .map(|i| {
            Chameneo {
                mall: mall.clone(),
                colour: Colour::initial(i),
                meetings: 0,
            }
            .start()
        })
        .collect();
    let start = Instant::now();
    for chameneo in &chameneos {
        chameneo.do_send(Start);
    }
    let meetings = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(meetings == [2 * n], "savina-chameneos: meetings sum to 2n");
    Measurement::timed(n, elapsed)
}

struct BigWorker {
    index: usize,
    neighbours: Arc<Vec<Addr<BigWorker>>>,
    rng: Rng,
    pings_left: u64,
    pongs: u64,
    done: UnboundedSender<u64>,
}

impl BigWorker {
    fn send_ping(&mut self) {
        self.pings_left -= 1;
        let to = self.rng.other(self.index, self.neighbours.len());
        self.neighbours[to].do_send(BigPing(self.index));
    }
}

impl Actor for BigWorker {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct BigPing(usize);

impl Handler<Connect<Arc<Vec<Addr<BigWorker>>>>> for BigWorker {
    type Result = ();

    fn handle(&mut self, Connect(all): Connect<Arc<Vec<Addr<BigWorker>>>>, _: &mut Context<Self>) {
        self.neighbours = all;
    }
}

impl Handler<Start> for BigWorker {
    type Result = ();

    fn handle(&mut self, _: Start, _: &mut Context<Self>) {
        self.send_ping();
    }
}

impl Handler<BigPing> for BigWorker {
    type Result = ();

    fn handle(&mut self, BigPing(from): BigPing, _: &mut Context<Self>) {
        self.neighbours[from].do_send(PongMsg);
    }
}

impl Handler<PongMsg> for BigWorker {
    type Result = ();

    fn handle(&mut self, _: PongMsg, _: &mut Context<Self>) {
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
    let all: Vec<Addr<BigWorker>> = (0..workers)
        .map(|index| {
            BigWorker {
                index,
                neighbours: Arc::new(Vec::new()),
                rng: Rng::new(index as u64),
                pings_left: per,
                pongs: 0,
                done: done.clone(),
            }
            .start()
        })
        .collect();
    let all = Arc::new(all);
    for worker in all.iter() {
        worker.do_send(Connect(all.clone()));
    }
    let start = Instant::now();
    for worker in all.iter() {
        worker.do_send(Start);
    }
    let pongs = reports(finished, workers).await;
    let elapsed = start.elapsed();
    check(
        pongs.len() == workers && pongs.iter().sum::<u64>() == workers as u64 * per,
        "savina-big: every ping answered",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}
