//! Savina's micro-benchmarks on ractor: pingpong, counting, thread ring,
//! fork-join throughput and creation, chameneos, big.

use std::sync::Arc;
use std::time::Instant;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::{ask, reports, spawn};
use crate::savina::{Colour, Rng, big_shape, chameneos_count, compute, fjthrput_shape, ring_size};
use crate::workload::{Measurement, check};

type Handled = Result<(), ActorProcessingErr>;

struct Ping;

enum PingMsg {
    Start,
    Pong,
}

struct PingState {
    pong: ActorRef<PongMsg>,
    left: u64,
    received: u64,
    done: UnboundedSender<u64>,
}

impl Actor for Ping {
    type Msg = PingMsg;
    type State = PingState;
    type Arguments = PingState;

    async fn pre_start(
        &self,
        _: ActorRef<PingMsg>,
        state: PingState,
    ) -> Result<PingState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(&self, _: ActorRef<PingMsg>, msg: PingMsg, state: &mut PingState) -> Handled {
        if let PingMsg::Pong = msg {
            state.received += 1;
            if state.left == 0 {
                let _ = state.done.send(state.received);
                return Ok(());
            }
        }
        state.left -= 1;
        let _ = state.pong.cast(PongMsg::Ping);
        Ok(())
    }
}

struct Pong;

enum PongMsg {
    Connect(ActorRef<PingMsg>),
    Ping,
}

impl Actor for Pong {
    type Msg = PongMsg;
    type State = Option<ActorRef<PingMsg>>;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ActorRef<PongMsg>,
        (): (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(None)
    }

    async fn handle(&self, _: ActorRef<PongMsg>, msg: PongMsg, ping: &mut Self::State) -> Handled {
        match msg {
            PongMsg::Connect(to) => *ping = Some(to),
            PongMsg::Ping => {
                if let Some(ping) = ping {
                    let _ = ping.cast(PingMsg::Pong);
                }
            }
        }
        Ok(())
    }
}

pub(super) async fn pingpong(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let pong = spawn(Pong, ()).await;
    let state = PingState {
        pong: pong.clone(),
        left: n,
        received: 0,
        done,
    };
    let ping = spawn(Ping, state).await;
    let _ = pong.cast(PongMsg::Connect(ping.clone()));
    let start = Instant::now();
    let _ = ping.cast(PingMsg::Start);
    let received = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(received == [n], "savina-pingpong: every ping answered");
    Measurement::timed(n, elapsed)
}

struct Counter;

enum CounterMsg {
    Increment,
    Retrieve(RpcReplyPort<u64>),
}

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(&self, _: ActorRef<CounterMsg>, msg: CounterMsg, count: &mut u64) -> Handled {
        match msg {
            CounterMsg::Increment => *count += 1,
            CounterMsg::Retrieve(reply) => {
                let _ = reply.send(*count);
            }
        }
        Ok(())
    }
}

struct Producer;

struct Produce(ActorRef<CounterMsg>, u64, RpcReplyPort<u64>);

impl Actor for Producer {
    type Msg = Produce;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Produce>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(&self, _: ActorRef<Produce>, msg: Produce, (): &mut ()) -> Handled {
        let Produce(counter, n, reply) = msg;
        for _ in 0..n {
            let _ = counter.cast(CounterMsg::Increment);
        }
        let counted = ask(&counter, CounterMsg::Retrieve).await.unwrap_or(0);
        let _ = reply.send(counted);
        Ok(())
    }
}

pub(super) async fn count(n: u64) -> Measurement {
    let counter = spawn(Counter, ()).await;
    let producer = spawn(Producer, ()).await;
    let start = Instant::now();
    let counted = ask(&producer, |reply| Produce(counter, n, reply)).await;
    let elapsed = start.elapsed();
    check(counted == Some(n), "savina-count: the count equals n");
    Measurement::timed(n, elapsed)
}

struct RingNode;

enum RingMsg {
    Connect(ActorRef<RingMsg>),
    Token(u64),
}

struct RingState {
    index: u64,
    next: Option<ActorRef<RingMsg>>,
    done: UnboundedSender<u64>,
}

impl Actor for RingNode {
    type Msg = RingMsg;
    type State = RingState;
    type Arguments = RingState;

    async fn pre_start(
        &self,
        _: ActorRef<RingMsg>,
        state: RingState,
    ) -> Result<RingState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(&self, _: ActorRef<RingMsg>, msg: RingMsg, state: &mut RingState) -> Handled {
        match msg {
            RingMsg::Connect(next) => state.next = Some(next),
            RingMsg::Token(0) => {
                let _ = state.done.send(state.index);
            }
            RingMsg::Token(hops_left) => {
                if let Some(next) = &state.next {
                    let _ = next.cast(RingMsg::Token(hops_left - 1));
                }
            }
        }
        Ok(())
    }
}

pub(super) async fn thread_ring(n: u64) -> Measurement {
    let size = ring_size(n);
    let (done, finished) = unbounded_channel();
    let mut ring = Vec::with_capacity(size);
    for index in 0..size {
        let state = RingState {
            index: index as u64,
            next: None,
            done: done.clone(),
        };
        ring.push(spawn(RingNode, state).await);
    }
    for (i, node) in ring.iter().enumerate() {
        let _ = node.cast(RingMsg::Connect(ring[(i + 1) % size].clone()));
    }
    let start = Instant::now();
    let _ = ring[0].cast(RingMsg::Token(n));
    let last = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(
        last == [n % size as u64],
        "savina-threadring: the token stops where n hops lead",
    );
    Measurement::timed(n, elapsed)
}

struct Worker;

struct Work;

struct WorkerState {
    received: u64,
    expected: u64,
    done: UnboundedSender<u64>,
}

impl Actor for Worker {
    type Msg = Work;
    type State = WorkerState;
    type Arguments = WorkerState;

    async fn pre_start(
        &self,
        _: ActorRef<Work>,
        state: WorkerState,
    ) -> Result<WorkerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(&self, myself: ActorRef<Work>, _: Work, state: &mut WorkerState) -> Handled {
        compute(37.2);
        state.received += 1;
        if state.received == state.expected {
            let _ = state.done.send(state.received);
            // A fork-join creation worker (expecting one) stops after it.
            if state.expected == 1 {
                myself.stop(None);
            }
        }
        Ok(())
    }
}

fn worker_state(expected: u64, done: &UnboundedSender<u64>) -> WorkerState {
    WorkerState {
        received: 0,
        expected,
        done: done.clone(),
    }
}

pub(super) async fn fj_throughput(n: u64) -> Measurement {
    let (actors, per) = fjthrput_shape(n);
    let (done, finished) = unbounded_channel();
    let mut workers = Vec::with_capacity(actors);
    for _ in 0..actors {
        workers.push(spawn(Worker, worker_state(per, &done)).await);
    }
    let start = Instant::now();
    for _ in 0..per {
        for worker in &workers {
            let _ = worker.cast(Work);
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
        let _ = spawn(Worker, worker_state(1, &done)).await.cast(Work);
    }
    let answered = reports(finished, n as usize).await;
    let elapsed = start.elapsed();
    check(
        answered.len() as u64 == n,
        "savina-fjcreate: all n actors answered",
    );
    Measurement::timed(n, elapsed)
}

struct Mall;

enum MallMsg {
    Meet(ActorRef<ChameneoMsg>, Colour),
    Faded(u64),
}

struct MallState {
    waiting: Option<(ActorRef<ChameneoMsg>, Colour)>,
    meetings_left: u64,
    faded: usize,
    chameneos: usize,
    meetings: u64,
    done: UnboundedSender<u64>,
}

impl Actor for Mall {
    type Msg = MallMsg;
    type State = MallState;
    type Arguments = MallState;

    async fn pre_start(
        &self,
        _: ActorRef<MallMsg>,
        state: MallState,
    ) -> Result<MallState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(&self, _: ActorRef<MallMsg>, msg: MallMsg, mall: &mut MallState) -> Handled {
        match msg {
            MallMsg::Meet(from, _) if mall.meetings_left == 0 => {
                let _ = from.cast(ChameneoMsg::Exit);
                if let Some((waiting, _)) = mall.waiting.take() {
                    let _ = waiting.cast(ChameneoMsg::Exit);
                }
            }
            MallMsg::Meet(from, colour) => match mall.waiting.take() {
                Some((first, _)) => {
                    mall.meetings_left -= 1;
                    let _ = first.cast(ChameneoMsg::MeetWith(from, colour));
                }
                None => mall.waiting = Some((from, colour)),
            },
            MallMsg::Faded(meetings) => {
                mall.meetings += meetings;
                mall.faded += 1;
                if mall.faded == mall.chameneos {
                    let _ = mall.done.send(mall.meetings);
                }
            }
        }
        Ok(())
    }
}

struct Chameneo;

enum ChameneoMsg {
    Start,
    MeetWith(ActorRef<ChameneoMsg>, Colour),
    Changed(Colour),
    Exit,
}

struct ChameneoState {
    mall: ActorRef<MallMsg>,
    colour: Colour,
    meetings: u64,
}

impl Actor for Chameneo {
    type Msg = ChameneoMsg;
    type State = ChameneoState;
    type Arguments = ChameneoState;

    async fn pre_start(
        &self,
        _: ActorRef<ChameneoMsg>,
        state: ChameneoState,
    ) -> Result<ChameneoState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ChameneoMsg>,
        msg: ChameneoMsg,
        me: &mut ChameneoState,
    ) -> Handled {
        match msg {
            ChameneoMsg::Start => {}
            ChameneoMsg::MeetWith(other, colour) => {
                me.colour = me.colour.complement(colour);
                me.meetings += 1;
                let _ = other.cast(ChameneoMsg::Changed(me.colour));
            }
            ChameneoMsg::Changed(colour) => {
                me.colour = colour;
                me.meetings += 1;
            }
            ChameneoMsg::Exit => {
                let _ = me.mall.cast(MallMsg::Faded(me.meetings));
                myself.stop(None);
                return Ok(());
            }
        }
        let _ = me.mall.cast(MallMsg::Meet(myself, me.colour));
        Ok(())
    }
}

pub(super) async fn chameneos(n: u64) -> Measurement {
    let count = chameneos_count(n);
    let (done, finished) = unbounded_channel();
    let state = MallState {
        waiting: None,
        meetings_left: n,
        faded: 0,
        chameneos: count,
        meetings: 0,
        done,
    };
    let mall = spawn(Mall, state).await;
    let mut chameneos = Vec::with_capacity(count);
    for i in 0..count {
        let state = ChameneoState {
            mall: mall.clone(),
            colour: Colour::initial(i),
            meetings: 0,
        };
        chameneos.push(spawn(Chameneo, state).await);
    }
    let start = Instant::now();
    for chameneo in &chameneos {
        let _ = chameneo.cast(ChameneoMsg::Start);
    }
    let meetings = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(meetings == [2 * n], "savina-chameneos: meetings sum to 2n");
    Measurement::timed(n, elapsed)
}

struct BigWorker;

enum BigMsg {
    Connect(Arc<Vec<ActorRef<BigMsg>>>),
    Start,
    Ping(usize),
    Pong,
}

struct BigState {
    index: usize,
    neighbours: Arc<Vec<ActorRef<BigMsg>>>,
    rng: Rng,
    pings_left: u64,
    pongs: u64,
    done: UnboundedSender<u64>,
}

impl BigState {
    fn send_ping(&mut self) {
        self.pings_left -= 1;
        let to = self.rng.other(self.index, self.neighbours.len());
        let _ = self.neighbours[to].cast(BigMsg::Ping(self.index));
    }
}

impl Actor for BigWorker {
    type Msg = BigMsg;
    type State = BigState;
    type Arguments = BigState;

    async fn pre_start(
        &self,
        _: ActorRef<BigMsg>,
        state: BigState,
    ) -> Result<BigState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(&self, _: ActorRef<BigMsg>, msg: BigMsg, me: &mut BigState) -> Handled {
        match msg {
            BigMsg::Connect(all) => me.neighbours = all,
            BigMsg::Start => me.send_ping(),
            BigMsg::Ping(from) => {
                let _ = me.neighbours[from].cast(BigMsg::Pong);
            }
            BigMsg::Pong => {
                me.pongs += 1;
                if me.pings_left == 0 {
                    let _ = me.done.send(me.pongs);
                } else {
                    me.send_ping();
                }
            }
        }
        Ok(())
    }
}

pub(super) async fn big(n: u64) -> Measurement {
    let (workers, per) = big_shape(n);
    let (done, finished) = unbounded_channel();
    let mut all = Vec::with_capacity(workers);
    for index in 0..workers {
        let state = BigState {
            index,
            neighbours: Arc::new(Vec::new()),
            rng: Rng::new(index as u64),
            pings_left: per,
            pongs: 0,
            done: done.clone(),
        };
        all.push(spawn(BigWorker, state).await);
    }
    let all = Arc::new(all);
    for worker in all.iter() {
        let _ = worker.cast(BigMsg::Connect(all.clone()));
    }
    let start = Instant::now();
    for worker in all.iter() {
        let _ = worker.cast(BigMsg::Start);
    }
    let pongs = reports(finished, workers).await;
    let elapsed = start.elapsed();
    check(
        pongs.len() == workers && pongs.iter().sum::<u64>() == workers as u64 * per,
        "savina-big: every ping answered",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}
