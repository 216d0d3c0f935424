//! Savina's concurrency benchmarks on Actium: the concurrent dictionary,
//! bank transactions, dining philosophers.

use std::collections::HashMap;
use std::time::Instant;

use actium::prelude::*;

use crate::savina::{
    Forks, OPENING_BALANCE, Rng, bank_accounts, dict_expected, dict_request, dict_shape,
    table_shape, transfer,
};
use crate::workload::{Measurement, check, gather};

#[derive(Default)]
pub struct Dictionary {
    map: HashMap<u64, u64>,
}

#[actor]
impl Dictionary {
    #[ask]
    pub fn write(&mut self, key: u64, value: u64) {
        self.map.insert(key, value);
    }

    #[ask]
    pub fn read(&self, key: u64) -> Option<u64> {
        self.map.get(&key).copied()
    }

    /// The number of entries and the sum of the values.
    #[ask]
    pub fn summary(&self) -> (u64, u64) {
        let sum = self.map.values().fold(0_u64, |s, v| s.wrapping_add(*v));
        (self.map.len() as u64, sum)
    }
}

pub struct DictionaryWorker {
    index: usize,
    requests: u64,
    dictionary: ActorRef<Dictionary>,
}

#[actor]
impl DictionaryWorker {
    /// Makes every request in turn; answers how many reads missed.
    #[ask]
    pub async fn work(&self) -> Result<u64, Error> {
        let mut misses = 0;
        for i in 0..self.requests {
            let (write, key, value) = dict_request(self.index, self.requests, i);
            if write {
                self.dictionary.write(key, value).await?;
            } else if self.dictionary.read(key).await? != Some(value) {
                misses += 1;
            }
        }
        Ok(misses)
    }
}

pub(super) async fn concurrent_dictionary(n: u64) -> Result<Measurement, Error> {
    let (workers, per) = dict_shape(n);
    let dictionary = Dictionary::default().spawn();
    let all: Vec<ActorRef<DictionaryWorker>> = (0..workers)
        .map(|index| {
            DictionaryWorker {
                index,
                requests: per,
                dictionary: dictionary.clone(),
            }
            .spawn()
        })
        .collect();
    let start = Instant::now();
    let misses = gather(all.iter().map(|worker| worker.work())).await;
    let elapsed = start.elapsed();
    check(
        misses.iter().all(|m| matches!(m, Ok(Ok(0)))),
        "savina-concdict: every read found its write",
    );
    check(
        dictionary.summary().await? == dict_expected(workers, per),
        "savina-concdict: the final map holds every write",
    );
    Ok(Measurement::timed(workers as u64 * per, elapsed))
}

pub struct Account {
    balance: i64,
}

#[actor]
impl Account {
    /// Takes `amount` from this account and awaits its arrival at `to`,
    /// taking other messages meanwhile.
    #[ask(parallel)]
    pub async fn credit(
        mut this: Reentrant<Self>,
        amount: i64,
        to: ActorRef<Account>,
    ) -> Result<(), Error> {
        this.with(|account| account.balance -= amount);
        to.debit(amount).await
    }

    #[ask]
    pub fn debit(&mut self, amount: i64) {
        self.balance += amount;
    }

    #[ask]
    pub fn balance(&self) -> i64 {
        self.balance
    }
}

pub struct Teller {
    accounts: Vec<ActorRef<Account>>,
}

#[actor]
impl Teller {
    /// Makes `n` transfers at once; answers how many were confirmed.
    #[ask]
    pub async fn transfers(&self, n: u64) -> u64 {
        let mut rng = Rng::new(17);
        let confirmations = gather((0..n).map(|_| {
            let (from, to, amount) = transfer(&mut rng, self.accounts.len());
            self.accounts[from].credit(amount, self.accounts[to].clone())
        }))
        .await;
        confirmations
            .iter()
            .filter(|c| matches!(c, Ok(Ok(()))))
            .count() as u64
    }
}

pub(super) async fn banking(n: u64) -> Result<Measurement, Error> {
    let accounts: Vec<ActorRef<Account>> = (0..bank_accounts(n))
        .map(|_| {
            Account {
                balance: OPENING_BALANCE,
            }
            .spawn()
        })
        .collect();
    let teller = Teller {
        accounts: accounts.clone(),
    }
    .spawn();
    let start = Instant::now();
    let confirmed = teller.transfers(n).await?;
    let elapsed = start.elapsed();
    check(confirmed == n, "savina-banking: every transfer confirmed");
    let mut total = 0;
    for account in &accounts {
        total += account.balance().await?;
    }
    check(
        total == OPENING_BALANCE * accounts.len() as i64,
        "savina-banking: the total balance is preserved",
    );
    Ok(Measurement::timed(n, elapsed))
}

pub struct Arbitrator {
    forks: Forks,
}

#[actor]
impl Arbitrator {
    /// Hands seat `seat` both its forks if both are free.
    #[ask]
    pub fn hungry(&mut self, seat: usize) -> bool {
        self.forks.take(seat)
    }

    #[tell]
    pub fn done(&mut self, seat: usize) {
        self.forks.put_back(seat);
    }

    #[ask]
    pub fn all_free(&self) -> bool {
        self.forks.all_free()
    }
}

pub struct Philosopher {
    seat: usize,
    arbitrator: ActorRef<Arbitrator>,
}

#[actor]
impl Philosopher {
    /// Eats `meals` meals; answers how many were eaten.
    #[ask]
    pub async fn dine(&self, meals: u64) -> Result<u64, Error> {
        let mut eaten = 0;
        while eaten < meals {
            if self.arbitrator.hungry(self.seat).await? {
                eaten += 1;
                self.arbitrator.done(self.seat)?;
            }
        }
        Ok(eaten)
    }
}

pub(super) async fn philosophers(n: u64) -> Result<Measurement, Error> {
    let (seats, meals) = table_shape(n);
    let arbitrator = Arbitrator {
        forks: Forks::new(seats),
    }
    .spawn();
    let table: Vec<ActorRef<Philosopher>> = (0..seats)
        .map(|seat| {
            Philosopher {
                seat,
                arbitrator: arbitrator.clone(),
            }
            .spawn()
        })
        .collect();
    let start = Instant::now();
    let eaten = gather(table.iter().map(|p| p.dine(meals))).await;
    let elapsed = start.elapsed();
    check(
        eaten.iter().all(|e| matches!(e, Ok(Ok(m)) if *m == meals)),
        "savina-philosophers: everyone ate every meal",
    );
    check(
        arbitrator.all_free().await?,
        "savina-philosophers: every fork is back",
    );
    Ok(Measurement::timed(seats as u64 * meals, elapsed))
}
