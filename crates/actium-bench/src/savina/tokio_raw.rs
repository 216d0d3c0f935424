//! The floor: the Savina programs as hand-written Tokio tasks, an
//! unbounded `mpsc` mailbox each and a `oneshot` per reply.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

use super::{
    Colour, Forks, OPENING_BALANCE, Rng, Savina, bank_accounts, big_shape, chameneos_count,
    compute, dict_expected, dict_request, dict_shape, fjthrput_shape, ring_size, table_shape,
    transfer,
};
use crate::workload::{Measurement, check, gather, tokio_runtime};

type Mailbox<M> = UnboundedSender<M>;

pub fn run(program: Savina, n: u64) -> Option<Measurement> {
    let runtime = tokio_runtime();
    let driver = runtime.spawn(async move {
        match program {
            Savina::PingPong => pingpong(n).await,
            Savina::Count => count(n).await,
            Savina::ThreadRing => thread_ring(n).await,
            Savina::FjThrput => fj_throughput(n).await,
            Savina::FjCreate => fj_create(n).await,
            Savina::Chameneos => chameneos(n).await,
            Savina::Big => big(n).await,
            Savina::ConcDict => concurrent_dictionary(n).await,
            Savina::Banking => banking(n).await,
            Savina::Philosophers => philosophers(n).await,
        }
    });
    Some(match runtime.block_on(driver) {
        Ok(measurement) => measurement,
        Err(error) => panic!("tokio-raw failed on {program}: {error}"),
    })
}

/// Starts a task that handles each message of its mailbox with `handle`.
fn actor<M: Send + 'static>(mut handle: impl FnMut(M) + Send + 'static) -> Mailbox<M> {
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            handle(msg);
        }
    });
    tx
}

async fn reports(mut finished: UnboundedReceiver<u64>, count: usize) -> Vec<u64> {
    let mut all = Vec::with_capacity(count);
    while all.len() < count {
        match finished.recv().await {
            Some(report) => all.push(report),
            None => break,
        }
    }
    all
}

async fn ask<M, R>(mailbox: &Mailbox<M>, msg: impl FnOnce(oneshot::Sender<R>) -> M) -> Option<R> {
    let (tx, rx) = oneshot::channel();
    mailbox.send(msg(tx)).ok()?;
    rx.await.ok()
}

async fn pingpong(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let (ping_tx, mut ping_rx) = unbounded_channel::<()>();
    let pong = actor(move |()| {
        let _ = ping_tx.send(());
    });
    let start = Instant::now();
    tokio::spawn(async move {
        let (mut left, mut received) = (n - 1, 0);
        let _ = pong.send(());
        while ping_rx.recv().await.is_some() {
            received += 1;
            if left == 0 {
                let _ = done.send(received);
                break;
            }
            left -= 1;
            let _ = pong.send(());
        }
    });
    let received = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(received == [n], "savina-pingpong: every ping answered");
    Measurement::timed(n, elapsed)
}

enum CounterMsg {
    Increment,
    Retrieve(oneshot::Sender<u64>),
}

async fn count(n: u64) -> Measurement {
    let mut total = 0;
    let counter = actor(move |msg| match msg {
        CounterMsg::Increment => total += 1,
        CounterMsg::Retrieve(reply) => {
            let _ = reply.send(total);
        }
    });
    let start = Instant::now();
    let producer = tokio::spawn(async move {
        for _ in 0..n {
            let _ = counter.send(CounterMsg::Increment);
        }
        ask(&counter, CounterMsg::Retrieve).await
    });
    let counted = producer.await.ok().flatten();
    let elapsed = start.elapsed();
    check(counted == Some(n), "savina-count: the count equals n");
    Measurement::timed(n, elapsed)
}

async fn thread_ring(n: u64) -> Measurement {
    let size = ring_size(n);
    let (done, finished) = unbounded_channel();
    let channels: Vec<_> = (0..size).map(|_| unbounded_channel::<u64>()).collect();
    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
    for (index, (_, mut rx)) in channels.into_iter().enumerate() {
        let next = senders[(index + 1) % size].clone();
        let done = done.clone();
        tokio::spawn(async move {
            while let Some(hops_left) = rx.recv().await {
                if hops_left == 0 {
                    let _ = done.send(index as u64);
                } else {
                    let _ = next.send(hops_left - 1);
                }
            }
        });
    }
    let start = Instant::now();
    let _ = senders[0].send(n);
    let last = reports(finished, 1).await;
    let elapsed = start.elapsed();
    check(
        last == [n % size as u64],
        "savina-threadring: the token stops where n hops lead",
    );
    Measurement::timed(n, elapsed)
}

async fn fj_throughput(n: u64) -> Measurement {
    let (actors, per) = fjthrput_shape(n);
    let (done, finished) = unbounded_channel();
    let workers: Vec<Mailbox<()>> = (0..actors)
        .map(|_| {
            let done = done.clone();
            let mut received = 0;
            actor(move |()| {
                compute(37.2);
                received += 1;
                if received == per {
                    let _ = done.send(received);
                }
            })
        })
        .collect();
    let start = Instant::now();
    for _ in 0..per {
        for worker in &workers {
            let _ = worker.send(());
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

async fn fj_create(n: u64) -> Measurement {
    let (done, finished) = unbounded_channel();
    let start = Instant::now();
    for _ in 0..n {
        let (tx, mut rx) = unbounded_channel::<()>();
        let done = done.clone();
        // The worker stops after its one message.
        tokio::spawn(async move {
            if rx.recv().await.is_some() {
                compute(37.2);
                let _ = done.send(1);
            }
        });
        let _ = tx.send(());
    }
    let answered = reports(finished, n as usize).await;
    let elapsed = start.elapsed();
    check(
        answered.len() as u64 == n,
        "savina-fjcreate: all n actors answered",
    );
    Measurement::timed(n, elapsed)
}

enum MallMsg {
    Meet(usize, Colour),
    Faded(u64),
}

enum ChameneoMsg {
    MeetWith(usize, Colour),
    Changed(Colour),
    Exit,
}

async fn chameneos(n: u64) -> Measurement {
    let count = chameneos_count(n);
    let (done, finished) = unbounded_channel();
    let (mall_tx, mut mall_rx) = unbounded_channel::<MallMsg>();
    let channels: Vec<_> = (0..count)
        .map(|_| unbounded_channel::<ChameneoMsg>())
        .collect();
    let all: Arc<Vec<_>> = Arc::new(channels.iter().map(|(tx, _)| tx.clone()).collect());
    for (me, (_, mut rx)) in channels.into_iter().enumerate() {
        let (mall, all) = (mall_tx.clone(), all.clone());
        tokio::spawn(async move {
            let (mut colour, mut meetings) = (Colour::initial(me), 0);
            let _ = mall.send(MallMsg::Meet(me, colour));
            while let Some(msg) = rx.recv().await {
                match msg {
                    ChameneoMsg::MeetWith(other, theirs) => {
                        colour = colour.complement(theirs);
                        let _ = all[other].send(ChameneoMsg::Changed(colour));
                    }
                    ChameneoMsg::Changed(new) => colour = new,
                    ChameneoMsg::Exit => {
                        let _ = mall.send(MallMsg::Faded(meetings));
                        break;
                    }
                }
                meetings += 1;
                let _ = mall.send(MallMsg::Meet(me, colour));
            }
        });
    }
    let start = Instant::now();
    let mall = tokio::spawn(async move {
        let mut waiting: Option<(usize, Colour)> = None;
        let (mut left, mut faded, mut total) = (n, 0, 0);
        while let Some(msg) = mall_rx.recv().await {
            match msg {
                MallMsg::Meet(from, _) if left == 0 => {
                    let _ = all[from].send(ChameneoMsg::Exit);
                    if let Some((first, _)) = waiting.take() {
                        let _ = all[first].send(ChameneoMsg::Exit);
                    }
                }
                MallMsg::Meet(from, colour) => match waiting.take() {
                    Some((first, _)) => {
                        left -= 1;
                        let _ = all[first].send(ChameneoMsg::MeetWith(from, colour));
                    }
                    None => waiting = Some((from, colour)),
                },
                MallMsg::Faded(meetings) => {
                    total += meetings;
                    faded += 1;
                    if faded == count {
                        let _ = done.send(total);
                        break;
                    }
                }
            }
        }
    });
    let meetings = reports(finished, 1).await;
    let elapsed = start.elapsed();
    let _ = mall.await;
    check(meetings == [2 * n], "savina-chameneos: meetings sum to 2n");
    Measurement::timed(n, elapsed)
}

enum BigMsg {
    Ping(usize),
    Pong,
}

async fn big(n: u64) -> Measurement {
    let (workers, per) = big_shape(n);
    let (done, finished) = unbounded_channel();
    let channels: Vec<_> = (0..workers)
        .map(|_| unbounded_channel::<BigMsg>())
        .collect();
    let all: Arc<Vec<_>> = Arc::new(channels.iter().map(|(tx, _)| tx.clone()).collect());
    let start = Instant::now();
    for (me, (_, mut rx)) in channels.into_iter().enumerate() {
        let (all, done) = (all.clone(), done.clone());
        tokio::spawn(async move {
            let mut rng = Rng::new(me as u64);
            let (mut pings_left, mut pongs) = (per - 1, 0);
            let _ = all[rng.other(me, workers)].send(BigMsg::Ping(me));
            while let Some(msg) = rx.recv().await {
                match msg {
                    BigMsg::Ping(from) => {
                        let _ = all[from].send(BigMsg::Pong);
                    }
                    BigMsg::Pong => {
                        pongs += 1;
                        if pings_left == 0 {
                            let _ = done.send(pongs);
                        } else {
                            pings_left -= 1;
                            let _ = all[rng.other(me, workers)].send(BigMsg::Ping(me));
                        }
                    }
                }
            }
        });
    }
    let pongs = reports(finished, workers).await;
    let elapsed = start.elapsed();
    check(
        pongs.len() == workers && pongs.iter().sum::<u64>() == workers as u64 * per,
        "savina-big: every ping answered",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}

enum DictMsg {
    Write(u64, u64, oneshot::Sender<()>),
    Read(u64, oneshot::Sender<Option<u64>>),
    Summary(oneshot::Sender<(u64, u64)>),
}

async fn concurrent_dictionary(n: u64) -> Measurement {
    let (workers, per) = dict_shape(n);
    let mut map = HashMap::new();
    let dictionary = actor(move |msg| match msg {
        DictMsg::Write(key, value, reply) => {
            map.insert(key, value);
            let _ = reply.send(());
        }
        DictMsg::Read(key, reply) => {
            let _ = reply.send(map.get(&key).copied());
        }
        DictMsg::Summary(reply) => {
            let sum = map.values().fold(0_u64, |s, v| s.wrapping_add(*v));
            let _ = reply.send((map.len() as u64, sum));
        }
    });
    let start = Instant::now();
    let tasks = (0..workers).map(|index| {
        let dictionary = dictionary.clone();
        tokio::spawn(async move {
            let mut misses = 0;
            for i in 0..per {
                let (write, key, value) = dict_request(index, per, i);
                if write {
                    ask(&dictionary, |r| DictMsg::Write(key, value, r)).await;
                } else if ask(&dictionary, |r| DictMsg::Read(key, r)).await != Some(Some(value)) {
                    misses += 1;
                }
            }
            misses
        })
    });
    let misses = gather(tasks.collect::<Vec<_>>()).await;
    let elapsed = start.elapsed();
    check(
        misses.iter().all(|m| matches!(m, Ok(0))),
        "savina-concdict: every read found its write",
    );
    check(
        ask(&dictionary, DictMsg::Summary).await == Some(dict_expected(workers, per)),
        "savina-concdict: the final map holds every write",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}

enum AccountMsg {
    Credit(i64, Mailbox<AccountMsg>, oneshot::Sender<()>),
    Debit(i64, oneshot::Sender<()>),
    Balance(oneshot::Sender<i64>),
}

async fn banking(n: u64) -> Measurement {
    let accounts: Vec<Mailbox<AccountMsg>> = (0..bank_accounts(n))
        .map(|_| {
            let mut balance = OPENING_BALANCE;
            actor(move |msg| match msg {
                AccountMsg::Credit(amount, to, reply) => {
                    balance -= amount;
                    // Awaits the destination without blocking this mailbox.
                    tokio::spawn(async move {
                        if ask(&to, |r| AccountMsg::Debit(amount, r)).await.is_some() {
                            let _ = reply.send(());
                        }
                    });
                }
                AccountMsg::Debit(amount, reply) => {
                    balance += amount;
                    let _ = reply.send(());
                }
                AccountMsg::Balance(reply) => {
                    let _ = reply.send(balance);
                }
            })
        })
        .collect();
    let start = Instant::now();
    let teller_accounts = accounts.clone();
    let teller = tokio::spawn(async move {
        let mut rng = Rng::new(17);
        let confirmations = gather((0..n).map(|_| {
            let (from, to, amount) = transfer(&mut rng, teller_accounts.len());
            let to = teller_accounts[to].clone();
            ask(&teller_accounts[from], move |r| {
                AccountMsg::Credit(amount, to, r)
            })
        }))
        .await;
        confirmations.iter().filter(|c| c.is_some()).count() as u64
    });
    let confirmed = teller.await.unwrap_or(0);
    let elapsed = start.elapsed();
    check(confirmed == n, "savina-banking: every transfer confirmed");
    let mut total = 0;
    for account in &accounts {
        total += ask(account, AccountMsg::Balance).await.unwrap_or(0);
    }
    check(
        total == OPENING_BALANCE * accounts.len() as i64,
        "savina-banking: the total balance is preserved",
    );
    Measurement::timed(n, elapsed)
}

enum ArbitratorMsg {
    Hungry(usize, oneshot::Sender<bool>),
    Done(usize),
    AllFree(oneshot::Sender<bool>),
}

async fn philosophers(n: u64) -> Measurement {
    let (seats, meals) = table_shape(n);
    let mut forks = Forks::new(seats);
    let arbitrator = actor(move |msg| match msg {
        ArbitratorMsg::Hungry(seat, reply) => {
            let _ = reply.send(forks.take(seat));
        }
        ArbitratorMsg::Done(seat) => forks.put_back(seat),
        ArbitratorMsg::AllFree(reply) => {
            let _ = reply.send(forks.all_free());
        }
    });
    let start = Instant::now();
    let table = (0..seats).map(|seat| {
        let arbitrator = arbitrator.clone();
        tokio::spawn(async move {
            let mut eaten = 0;
            while eaten < meals {
                match ask(&arbitrator, |r| ArbitratorMsg::Hungry(seat, r)).await {
                    Some(true) => {
                        eaten += 1;
                        let _ = arbitrator.send(ArbitratorMsg::Done(seat));
                    }
                    Some(false) => {}
                    None => break,
                }
            }
            eaten
        })
    });
    let eaten = gather(table.collect::<Vec<_>>()).await;
    let elapsed = start.elapsed();
    check(
        eaten.iter().all(|e| matches!(e, Ok(m) if *m == meals)),
        "savina-philosophers: everyone ate every meal",
    );
    check(
        ask(&arbitrator, ArbitratorMsg::AllFree).await == Some(true),
        "savina-philosophers: every fork is back",
    );
    Measurement::timed(seats as u64 * meals, elapsed)
}
