//! Savina's concurrency benchmarks on actix: the concurrent dictionary,
//! bank transactions, dining philosophers.

use std::collections::HashMap;
use std::time::Instant;

use actix::prelude::*;

use crate::savina::{
    Forks, OPENING_BALANCE, Rng, bank_accounts, dict_expected, dict_request, dict_shape,
    table_shape, transfer,
};
use crate::workload::{Measurement, check, gather};

#[derive(Default)]
struct Dictionary {
    map: HashMap<u64, u64>,
}

impl Actor for Dictionary {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Write(u64, u64);

#[derive(Message)]
#[rtype(result = "Option<u64>")]
struct Read(u64);

#[derive(Message)]
#[rtype(result = "(u64, u64)")]
struct Summary;

impl Handler<Write> for Dictionary {
    type Result = ();

    fn handle(&mut self, Write(key, value): Write, _: &mut Context<Self>) {
        self.map.insert(key, value);
    }
}

impl Handler<Read> for Dictionary {
    type Result = Option<u64>;

    fn handle(&mut self, Read(key): Read, _: &mut Context<Self>) -> Option<u64> {
        self.map.get(&key).copied()
    }
}

impl Handler<Summary> for Dictionary {
    type Result = MessageResult<Summary>;

    fn handle(&mut self, _: Summary, _: &mut Context<Self>) -> Self::Result {
        let sum = self.map.values().fold(0_u64, |s, v| s.wrapping_add(*v));
        MessageResult((self.map.len() as u64, sum))
    }
}

struct DictionaryWorker {
    index: usize,
    requests: u64,
    dictionary: Addr<Dictionary>,
}

impl Actor for DictionaryWorker {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "u64")]
struct Work;

impl Handler<Work> for DictionaryWorker {
    type Result = ResponseFuture<u64>;

    /// Makes every request in turn; answers how many reads missed.
    fn handle(&mut self, _: Work, _: &mut Context<Self>) -> Self::Result {
        let (index, requests, dictionary) = (self.index, self.requests, self.dictionary.clone());
        Box::pin(async move {
            let mut misses = 0;
            for i in 0..requests {
                let (write, key, value) = dict_request(index, requests, i);
                if write {
                    let _ = dictionary.send(Write(key, value)).await;
                } else if dictionary.send(Read(key)).await != Ok(Some(value)) {
                    misses += 1;
                }
            }
            misses
        })
    }
}

pub(super) async fn concurrent_dictionary(n: u64) -> Measurement {
    let (workers, per) = dict_shape(n);
    let dictionary = Dictionary::default().start();
    let all: Vec<Addr<DictionaryWorker>> = (0..workers)
        .map(|index| {
            DictionaryWorker {
                index,
                requests: per,
                dictionary: dictionary.clone(),
            }
            .start()
        })
        .collect();
    let start = Instant::now();
    let misses = gather(all.iter().map(|worker| worker.send(Work))).await;
    let elapsed = start.elapsed();
    check(
        misses.iter().all(|m| matches!(m, Ok(0))),
        "savina-concdict: every read found its write",
    );
    check(
        dictionary.send(Summary).await == Ok(dict_expected(workers, per)),
        "savina-concdict: the final map holds every write",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}

struct Account {
    balance: i64,
}

impl Actor for Account {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "bool")]
struct Credit(i64, Addr<Account>);

#[derive(Message)]
#[rtype(result = "()")]
struct Debit(i64);

#[derive(Message)]
#[rtype(result = "i64")]
struct Balance;

impl Handler<Credit> for Account {
    type Result = ResponseFuture<bool>;

    /// Takes `amount` from this account and awaits its arrival at `to`,
    /// the mailbox served meanwhile.
    fn handle(&mut self, Credit(amount, to): Credit, _: &mut Context<Self>) -> Self::Result {
        self.balance -= amount;
        let debit = to.send(Debit(amount));
        Box::pin(async move { debit.await.is_ok() })
    }
}

impl Handler<Debit> for Account {
    type Result = ();

    fn handle(&mut self, Debit(amount): Debit, _: &mut Context<Self>) {
        self.balance += amount;
    }
}

impl Handler<Balance> for Account {
    type Result = i64;

    fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> i64 {
        self.balance
    }
}

struct Teller {
    accounts: Vec<Addr<Account>>,
}

impl Actor for Teller {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "u64")]
struct Transfers(u64);

impl Handler<Transfers> for Teller {
    type Result = ResponseFuture<u64>;

    /// Makes `n` transfers at once; answers how many were confirmed.
    fn handle(&mut self, Transfers(n): Transfers, _: &mut Context<Self>) -> Self::Result {
        let mut rng = Rng::new(17);
        let credits: Vec<_> = (0..n)
            .map(|_| {
                let (from, to, amount) = transfer(&mut rng, self.accounts.len());
                self.accounts[from].send(Credit(amount, self.accounts[to].clone()))
            })
            .collect();
        Box::pin(async move {
            let confirmations = gather(credits).await;
            confirmations
                .iter()
                .filter(|c| matches!(c, Ok(true)))
                .count() as u64
        })
    }
}

pub(super) async fn banking(n: u64) -> Measurement {
    let accounts: Vec<Addr<Account>> = (0..bank_accounts(n))
        .map(|_| {
            Account {
                balance: OPENING_BALANCE,
            }
            .start()
        })
        .collect();
    let teller = Teller {
        accounts: accounts.clone(),
    }
    .start();
    let start = Instant::now();
    let confirmed = teller.send(Transfers(n)).await;
    let elapsed = start.elapsed();
    check(
        confirmed == Ok(n),
        "savina-banking: every transfer confirmed",
    );
    let mut total = 0;
    for account in &accounts {
        total += account.send(Balance).await.unwrap_or(0);
    }
    check(
        total == OPENING_BALANCE * accounts.len() as i64,
        "savina-banking: the total balance is preserved",
    );
    Measurement::timed(n, elapsed)
}

struct Arbitrator {
    forks: Forks,
}

impl Actor for Arbitrator {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "bool")]
struct Hungry(usize);

#[derive(Message)]
#[rtype(result = "()")]
struct Done(usize);

#[derive(Message)]
#[rtype(result = "bool")]
struct AllFree;

impl Handler<Hungry> for Arbitrator {
    type Result = bool;

    /// Hands seat `seat` both its forks if both are free.
    fn handle(&mut self, Hungry(seat): Hungry, _: &mut Context<Self>) -> bool {
        self.forks.take(seat)
    }
}

impl Handler<Done> for Arbitrator {
    type Result = ();

    fn handle(&mut self, Done(seat): Done, _: &mut Context<Self>) {
        self.forks.put_back(seat);
    }
}

impl Handler<AllFree> for Arbitrator {
    type Result = bool;

    fn handle(&mut self, _: AllFree, _: &mut Context<Self>) -> bool {
        self.forks.all_free()
    }
}

struct Philosopher {
    seat: usize,
    arbitrator: Addr<Arbitrator>,
}

impl Actor for Philosopher {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "u64")]
struct Dine(u64);

impl Handler<Dine> for Philosopher {
    type Result = ResponseFuture<u64>;

    /// Eats `meals` meals; answers how many were eaten.
    fn handle(&mut self, Dine(meals): Dine, _: &mut Context<Self>) -> Self::Result {
        let (seat, arbitrator) = (self.seat, self.arbitrator.clone());
        Box::pin(async move {
            let mut eaten = 0;
            while eaten < meals {
                match arbitrator.send(Hungry(seat)).await {
                    Ok(true) => {
                        eaten += 1;
                        arbitrator.do_send(Done(seat));
                    }
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
            eaten
        })
    }
}

pub(super) async fn philosophers(n: u64) -> Measurement {
    let (seats, meals) = table_shape(n);
    let arbitrator = Arbitrator {
        forks: Forks::new(seats),
    }
    .start();
    let table: Vec<Addr<Philosopher>> = (0..seats)
        .map(|seat| {
            Philosopher {
                seat,
                arbitrator: arbitrator.clone(),
            }
            .start()
        })
        .collect();
    let start = Instant::now();
    let eaten = gather(table.iter().map(|p| p.send(Dine(meals)))).await;
    let elapsed = start.elapsed();
    check(
        eaten.iter().all(|e| matches!(e, Ok(m) if *m == meals)),
        "savina-philosophers: everyone ate every meal",
    );
    check(
        arbitrator.send(AllFree).await == Ok(true),
        "savina-philosophers: every fork is back",
    );
    Measurement::timed(seats as u64 * meals, elapsed)
}
