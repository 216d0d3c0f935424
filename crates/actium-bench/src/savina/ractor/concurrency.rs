//! Savina's concurrency benchmarks on ractor: the concurrent dictionary,
//! bank transactions, dining philosophers.

use std::collections::HashMap;
use std::time::Instant;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{ask, spawn};
use crate::savina::{
    Forks, OPENING_BALANCE, Rng, bank_accounts, dict_expected, dict_request, dict_shape,
    table_shape, transfer,
};
use crate::workload::{Measurement, check, gather};

type Handled = Result<(), ActorProcessingErr>;

struct Dictionary;

enum DictMsg {
    Write(u64, u64, RpcReplyPort<()>),
    Read(u64, RpcReplyPort<Option<u64>>),
    Summary(RpcReplyPort<(u64, u64)>),
}

impl Actor for Dictionary {
    type Msg = DictMsg;
    type State = HashMap<u64, u64>;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ActorRef<DictMsg>,
        (): (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(HashMap::new())
    }

    async fn handle(&self, _: ActorRef<DictMsg>, msg: DictMsg, map: &mut Self::State) -> Handled {
        match msg {
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
        }
        Ok(())
    }
}

struct DictionaryWorker;

/// Makes every request in turn; answers how many reads missed.
struct Work(RpcReplyPort<u64>);

impl Actor for DictionaryWorker {
    type Msg = Work;
    type State = (usize, u64, ActorRef<DictMsg>);
    type Arguments = Self::State;

    async fn pre_start(
        &self,
        _: ActorRef<Work>,
        state: Self::State,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        _: ActorRef<Work>,
        Work(reply): Work,
        state: &mut Self::State,
    ) -> Handled {
        let (index, requests, dictionary) = state;
        let mut misses = 0;
        for i in 0..*requests {
            let (write, key, value) = dict_request(*index, *requests, i);
            if write {
                ask(dictionary, |r| DictMsg::Write(key, value, r)).await;
            } else if ask(dictionary, |r| DictMsg::Read(key, r)).await != Some(Some(value)) {
                misses += 1;
            }
        }
        let _ = reply.send(misses);
        Ok(())
    }
}

pub(super) async fn concurrent_dictionary(n: u64) -> Measurement {
    let (workers, per) = dict_shape(n);
    let dictionary = spawn(Dictionary, ()).await;
    let mut all = Vec::with_capacity(workers);
    for index in 0..workers {
        all.push(spawn(DictionaryWorker, (index, per, dictionary.clone())).await);
    }
    let start = Instant::now();
    let misses = gather(all.iter().map(|worker| ask(worker, Work))).await;
    let elapsed = start.elapsed();
    check(
        misses.iter().all(|m| *m == Some(0)),
        "savina-concdict: every read found its write",
    );
    check(
        ask(&dictionary, DictMsg::Summary).await == Some(dict_expected(workers, per)),
        "savina-concdict: the final map holds every write",
    );
    Measurement::timed(workers as u64 * per, elapsed)
}

struct Account;

enum AccountMsg {
    Credit(i64, ActorRef<AccountMsg>, RpcReplyPort<()>),
    Debit(i64, RpcReplyPort<()>),
    Balance(RpcReplyPort<i64>),
}

impl Actor for Account {
    type Msg = AccountMsg;
    type State = i64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<AccountMsg>, (): ()) -> Result<i64, ActorProcessingErr> {
        Ok(OPENING_BALANCE)
    }

    async fn handle(&self, _: ActorRef<AccountMsg>, msg: AccountMsg, balance: &mut i64) -> Handled {
        match msg {
            AccountMsg::Credit(amount, to, reply) => {
                *balance -= amount;
                // Awaits the destination without blocking this mailbox.
                tokio::spawn(async move {
                    if ask(&to, |r| AccountMsg::Debit(amount, r)).await.is_some() {
                        let _ = reply.send(());
                    }
                });
            }
            AccountMsg::Debit(amount, reply) => {
                *balance += amount;
                let _ = reply.send(());
            }
            AccountMsg::Balance(reply) => {
                let _ = reply.send(*balance);
            }
        }
        Ok(())
    }
}

struct Teller;

/// Makes `n` transfers at once; answers how many were confirmed.
struct Transfers(u64, RpcReplyPort<u64>);

impl Actor for Teller {
    type Msg = Transfers;
    type State = Vec<ActorRef<AccountMsg>>;
    type Arguments = Self::State;

    async fn pre_start(
        &self,
        _: ActorRef<Transfers>,
        accounts: Self::State,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(accounts)
    }

    async fn handle(
        &self,
        _: ActorRef<Transfers>,
        msg: Transfers,
        accounts: &mut Self::State,
    ) -> Handled {
        let Transfers(n, reply) = msg;
        let mut rng = Rng::new(17);
        let confirmations = gather((0..n).map(|_| {
            let (from, to, amount) = transfer(&mut rng, accounts.len());
            let to = accounts[to].clone();
            ask(&accounts[from], move |r| AccountMsg::Credit(amount, to, r))
        }))
        .await;
        let _ = reply.send(confirmations.iter().filter(|c| c.is_some()).count() as u64);
        Ok(())
    }
}

pub(super) async fn banking(n: u64) -> Measurement {
    let mut accounts = Vec::new();
    for _ in 0..bank_accounts(n) {
        accounts.push(spawn(Account, ()).await);
    }
    let teller = spawn(Teller, accounts.clone()).await;
    let start = Instant::now();
    let confirmed = ask(&teller, |r| Transfers(n, r)).await;
    let elapsed = start.elapsed();
    check(
        confirmed == Some(n),
        "savina-banking: every transfer confirmed",
    );
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

struct Arbitrator;

enum ArbitratorMsg {
    Hungry(usize, RpcReplyPort<bool>),
    Done(usize),
    AllFree(RpcReplyPort<bool>),
}

impl Actor for Arbitrator {
    type Msg = ArbitratorMsg;
    type State = Forks;
    type Arguments = usize;

    async fn pre_start(
        &self,
        _: ActorRef<ArbitratorMsg>,
        seats: usize,
    ) -> Result<Forks, ActorProcessingErr> {
        Ok(Forks::new(seats))
    }

    async fn handle(
        &self,
        _: ActorRef<ArbitratorMsg>,
        msg: ArbitratorMsg,
        forks: &mut Forks,
    ) -> Handled {
        match msg {
            ArbitratorMsg::Hungry(seat, reply) => {
                let _ = reply.send(forks.take(seat));
            }
            ArbitratorMsg::Done(seat) => forks.put_back(seat),
            ArbitratorMsg::AllFree(reply) => {
                let _ = reply.send(forks.all_free());
            }
        }
        Ok(())
    }
}

struct Philosopher;

/// Eats this many meals; answers how many were eaten.
struct Dine(u64, RpcReplyPort<u64>);

impl Actor for Philosopher {
    type Msg = Dine;
    type State = (usize, ActorRef<ArbitratorMsg>);
    type Arguments = Self::State;

    async fn pre_start(
        &self,
        _: ActorRef<Dine>,
        state: Self::State,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        _: ActorRef<Dine>,
        Dine(meals, reply): Dine,
        state: &mut Self::State,
    ) -> Handled {
        let (seat, arbitrator) = (state.0, &state.1);
        let mut eaten = 0;
        while eaten < meals {
            match ask(arbitrator, |r| ArbitratorMsg::Hungry(seat, r)).await {
                Some(true) => {
                    eaten += 1;
                    let _ = arbitrator.cast(ArbitratorMsg::Done(seat));
                }
                Some(false) => {}
                None => break,
            }
        }
        let _ = reply.send(eaten);
        Ok(())
    }
}

pub(super) async fn philosophers(n: u64) -> Measurement {
    let (seats, meals) = table_shape(n);
    let arbitrator = spawn(Arbitrator, seats).await;
    let mut table = Vec::with_capacity(seats);
    for seat in 0..seats {
        table.push(spawn(Philosopher, (seat, arbitrator.clone())).await);
    }
    let start = Instant::now();
    let eaten = gather(table.iter().map(|p| ask(p, |r| Dine(meals, r)))).await;
    let elapsed = start.elapsed();
    check(
        eaten.iter().all(|e| *e == Some(meals)),
        "savina-philosophers: everyone ate every meal",
    );
    check(
        ask(&arbitrator, ArbitratorMsg::AllFree).await == Some(true),
        "savina-philosophers: every fork is back",
    );
    Measurement::timed(seats as u64 * meals, elapsed)
}
