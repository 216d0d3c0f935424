//! Savina's concurrency benchmarks on kameo: the concurrent dictionary,
//! bank transactions, dining philosophers.

use std::collections::HashMap;
use std::time::Instant;

use kameo::Actor;
use kameo::actor::ActorRef;
use kameo::message::{Context, Message};
use kameo::reply::DelegatedReply;

use super::spawn;
use crate::savina::{
    Forks, OPENING_BALANCE, Rng, bank_accounts, dict_expected, dict_request, dict_shape,
    table_shape, transfer,
};
use crate::workload::{Measurement, check, gather};

#[derive(Actor, Default)]
struct Dictionary {
    map: HashMap<u64, u64>,
}

struct Write(u64, u64);
struct Read(u64);
struct Summary;

impl Message<Write> for Dictionary {
    type Reply = ();

    async fn handle(&mut self, Write(key, value): Write, _: &mut Context<Self, ()>) {
        self.map.insert(key, value);
    }
}

impl Message<Read> for Dictionary {
    type Reply = Option<u64>;

    async fn handle(&mut self, Read(key): Read, _: &mut Context<Self, Self::Reply>) -> Option<u64> {
        self.map.get(&key).copied()
    }
}

impl Message<Summary> for Dictionary {
    type Reply = (u64, u64);

    async fn handle(&mut self, _: Summary, _: &mut Context<Self, Self::Reply>) -> (u64, u64) {
        let sum = self.map.values().fold(0_u64, |s, v| s.wrapping_add(*v));
        (self.map.len() as u64, sum)
    }
}

#[derive(Actor)]
struct DictionaryWorker {
    index: usize,
    requests: u64,
    dictionary: ActorRef<Dictionary>,
}

/// Makes every request in turn; answers how many reads missed.
struct Work;

impl Message<Work> for DictionaryWorker {
    type Reply = u64;

    async fn handle(&mut self, _: Work, _: &mut Context<Self, u64>) -> u64 {
        let mut misses = 0;
        for i in 0..self.requests {
            let (write, key, value) = dict_request(self.index, self.requests, i);
            if write {
                let _ = self.dictionary.ask(Write(key, value)).await;
            } else if self.dictionary.ask(Read(key)).await.ok() != Some(Some(value)) {
                misses += 1;
            }
        }
        misses
    }
}

pub(super) async fn concurrent_dictionary(n: u64) -> Measurement {
    let (workers, per) = dict_shape(n);
    let dictionary = spawn(Dictionary::default());
    let all: Vec<ActorRef<DictionaryWorker>> = (0..workers)
        .map(|index| {
            spawn(DictionaryWorker {
                index,
                requests: per,
                dictionary: dictionary.clone(),
            })
        })
        .collect();
    let start = Instant::now();
    let misses = gather(all.iter().map(|w| async move { w.ask(Work).await.ok() })).await;
    let elapsed = start.elapsed();
    check(
        misses.iter().all(|m| *m == Some(0)),
        "savina-concdict: every read found its write",
    );
    check(
        dictionary.ask(Summary).await.ok() == Some(dict_expected(workers, per)),
        "savina-concdict: the final map holds every write",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}

#[derive(Actor)]
struct Account {
    balance: i64,
}

struct Credit(i64, ActorRef<Account>);
struct Debit(i64);
struct Balance;

impl Message<Credit> for Account {
    type Reply = DelegatedReply<bool>;

    /// Takes `amount` from this account and awaits its arrival at `to`,
    /// the mailbox served meanwhile.
    async fn handle(
        &mut self,
        Credit(amount, to): Credit,
        ctx: &mut Context<Self, Self::Reply>,
    ) -> Self::Reply {
        self.balance -= amount;
        ctx.spawn(async move { to.ask(Debit(amount)).await.is_ok() })
    }
}

impl Message<Debit> for Account {
    type Reply = ();

    async fn handle(&mut self, Debit(amount): Debit, _: &mut Context<Self, ()>) {
        self.balance += amount;
    }
}

impl Message<Balance> for Account {
    type Reply = i64;

    async fn handle(&mut self, _: Balance, _: &mut Context<Self, i64>) -> i64 {
        self.balance
    }
}

#[derive(Actor)]
struct Teller {
    accounts: Vec<ActorRef<Account>>,
}

/// Makes this many transfers at once; answers how many were confirmed.
struct Transfers(u64);

impl Message<Transfers> for Teller {
    type Reply = u64;

    async fn handle(&mut self, Transfers(n): Transfers, _: &mut Context<Self, u64>) -> u64 {
        let mut rng = Rng::new(17);
        let accounts = &self.accounts;
        let confirmations = gather((0..n).map(|_| {
            let (from, to, amount) = transfer(&mut rng, accounts.len());
            let credit = Credit(amount, accounts[to].clone());
            async move { accounts[from].ask(credit).await }
        }))
        .await;
        confirmations
            .iter()
            .filter(|c| matches!(c, Ok(true)))
            .count() as u64
    }
}

pub(super) async fn banking(n: u64) -> Measurement {
    let accounts: Vec<ActorRef<Account>> = (0..bank_accounts(n))
        .map(|_| {
            spawn(Account {
                balance: OPENING_BALANCE,
            })
        })
        .collect();
    let teller = spawn(Teller {
        accounts: accounts.clone(),
    });
    let start = Instant::now();
    let confirmed = teller.ask(Transfers(n)).await.ok();
    let elapsed = start.elapsed();
    check(
        confirmed == Some(n),
        "savina-banking: every transfer confirmed",
    );
    let mut total = 0;
    for account in &accounts {
        total += account.ask(Balance).await.unwrap_or(0);
    }
    check(
        total == OPENING_BALANCE * accounts.len() as i64,
        "savina-banking: the total balance is preserved",
    );
    Measurement::timed(n, elapsed)
}

#[derive(Actor)]
struct Arbitrator {
    forks: Forks,
}

struct Hungry(usize);
struct Done(usize);
struct AllFree;

impl Message<Hungry> for Arbitrator {
    type Reply = bool;

    /// Hands seat `seat` both its forks if both are free.
    async fn handle(&mut self, Hungry(seat): Hungry, _: &mut Context<Self, bool>) -> bool {
        self.forks.take(seat)
    }
}

impl Message<Done> for Arbitrator {
    type Reply = ();

    async fn handle(&mut self, Done(seat): Done, _: &mut Context<Self, ()>) {
        self.forks.put_back(seat);
    }
}

impl Message<AllFree> for Arbitrator {
    type Reply = bool;

    async fn handle(&mut self, _: AllFree, _: &mut Context<Self, bool>) -> bool {
        self.forks.all_free()
    }
}

#[derive(Actor)]
struct Philosopher {
    seat: usize,
    arbitrator: ActorRef<Arbitrator>,
}

/// Eats this many meals; answers how many were eaten.
struct Dine(u64);

impl Message<Dine> for Philosopher {
    type Reply = u64;

    async fn handle(&mut self, Dine(meals): Dine, _: &mut Context<Self, u64>) -> u64 {
        let mut eaten = 0;
        while eaten < meals {
            match self.arbitrator.ask(Hungry(self.seat)).await {
                Ok(true) => {
                    eaten += 1;
                    let _ = self.arbitrator.tell(Done(self.seat)).try_send();
                }
                Ok(false) => {}
                Err(_) => break,
            }
        }
        eaten
    }
}

pub(super) async fn philosophers(n: u64) -> Measurement {
    let (seats, meals) = table_shape(n);
    let arbitrator = spawn(Arbitrator {
        forks: Forks::new(seats),
    });
    let table: Vec<ActorRef<Philosopher>> = (0..seats)
        .map(|seat| {
            spawn(Philosopher {
                seat,
                arbitrator: arbitrator.clone(),
            })
        })
        .collect();
    let start = Instant::now();
    let eaten = gather(
        table
            .iter()
            .map(|p| async move { p.ask(Dine(meals)).await.ok() }),
    )
    .await;
    let elapsed = start.elapsed();
    check(
        eaten.iter().all(|e| *e == Some(meals)),
        "savina-philosophers: everyone ate every meal",
    );
    check(
        arbitrator.ask(AllFree).await.ok() == Some(true),
        "savina-philosophers: every fork is back",
    );
    Measurement::timed(seats as u64 * meals, elapsed)
}
