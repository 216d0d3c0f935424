//! A replica: acceptor, learner, and — when it leads — proposer of the
//! replicated log, with the store the log drives.

use std::collections::{BTreeMap, BTreeSet};

use actium::prelude::*;
use tokio::sync::oneshot;

use super::cluster::{Disk, Flavor, Settings};
use super::{Ballot, Command, Entry, Network, Op, Output, Response, Store};

/// What replicas send each other. Each variant is one message of Multi-Paxos.
#[derive(Clone, Debug)]
pub enum Message {
    /// Phase 1a: promise `ballot`, and say what you accepted in slots from
    /// `from_slot` on.
    Prepare {
        /// The candidate's ballot.
        ballot: Ballot,
        /// The first slot the candidate has not applied.
        from_slot: u64,
    },
    /// Phase 1b: promised, with what this acceptor accepted there.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// Slot, ballot and entry of each accepted value.
        accepted: Vec<(u64, Ballot, Entry)>,
    },
    /// Phase 2a: accept `entry` in `slot`.
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: u64,
        /// What the leader proposes there.
        entry: Entry,
    },
    /// Phase 2b: accepted the leader's proposal for `slot`.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// The slot.
        slot: u64,
    },
    /// A prepare, accept or heartbeat came with a ballot below `promised`.
    Rejected {
        /// The ballot this acceptor promised.
        promised: Ballot,
    },
    /// `entry` is decided in `slot`.
    Decide {
        /// The slot.
        slot: u64,
        /// The entry chosen.
        entry: Entry,
    },
    /// The leader is alive, and has applied every slot below `applied`.
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// Its first slot not yet applied.
        applied: u64,
    },
    /// Send me the decided entries from `from_slot` on.
    Fetch {
        /// The first slot the asker has not applied.
        from_slot: u64,
    },
}

enum Role {
    Follower,
    Candidate {
        promises: BTreeMap<usize, Vec<(u64, Ballot, Entry)>>,
    },
    Leader,
}

/// A proposal of the leader waiting for a majority.
struct Proposal {
    entry: Entry,
    accepted: BTreeSet<usize>,
}

/// How many decided entries one fetch returns at most.
const FETCH: usize = 64;

/// One replica of the store.
pub struct Replica {
    id: usize,
    network: Network,
    disk: Disk,
    settings: Settings,
    myself: Option<ActorRef<Replica>>,
    /// Learner: every decided entry, and the first slot not applied.
    decided: BTreeMap<u64, Entry>,
    applied: u64,
    store: Store,
    /// Proposer: this replica's latest ballot and role in it.
    ballot: Ballot,
    role: Role,
    /// The highest ballot seen anywhere: the next election goes above it.
    seen: Ballot,
    next_slot: u64,
    proposals: BTreeMap<u64, Proposal>,
    /// Failure detector: the replica believed to lead, the ticks since it
    /// was last heard, and how many ticks of silence start an election.
    leader: Option<usize>,
    silent: u32,
    patience: u32,
    /// Clients waiting for their command to be applied.
    waiting: BTreeMap<(u64, u64), Vec<oneshot::Sender<Response>>>,
}

/// What a replica does with a client's command when it arrives.
enum Admission {
    Answer(Response),
    Wait,
}

impl Replica {
    /// Replica `id` of a cluster on `network`, with its acceptor state on
    /// `disk` (empty for a new replica, the old one after a restart).
    pub fn new(id: usize, network: Network, disk: Disk, settings: Settings) -> Self {
        Replica {
            id,
            network,
            disk,
            patience: settings.patience.0,
            settings,
            myself: None,
            decided: BTreeMap::new(),
            applied: 0,
            store: Store::new(),
            ballot: Ballot::default(),
            role: Role::Follower,
            seen: Ballot::default(),
            next_slot: 0,
            proposals: BTreeMap::new(),
            leader: None,
            silent: 0,
            waiting: BTreeMap::new(),
        }
    }

    fn majority(&self) -> usize {
        self.network.size() / 2 + 1
    }

    fn send(&self, ctx: &mut Context<Self>, to: usize, message: Message) {
        self.network.send(ctx, self.id, to, message);
    }

    fn broadcast(&self, ctx: &mut Context<Self>, message: &Message) {
        for to in 0..self.network.size() {
            self.send(ctx, to, message.clone());
        }
    }

    fn admit(&mut self, command: &Command, done: oneshot::Sender<Response>) -> Admission {
        if !matches!(self.role, Role::Leader) {
            return Admission::Answer(Response::NotLeader(self.leader));
        }
        if let (Flavor::LocalReads, Op::Get { key }) = (self.settings.flavor, &command.op) {
            // The bug this flavor plants: a leader answers reads from its
            // own state, though a newer leader may have taken writes since.
            return Admission::Answer(Response::Done(Output::Value(self.store.read(key))));
        }
        let (client, request) = (command.client, command.request);
        match self.store.answered(client, request) {
            Some(Some(output)) => Admission::Answer(Response::Done(output)),
            // A request the client gave up on: never answered.
            Some(None) => Admission::Answer(Response::NotLeader(None)),
            None => {
                self.waiting
                    .entry((client, request))
                    .or_default()
                    .push(done);
                Admission::Wait
            }
        }
    }

    fn start_election(&mut self, ctx: &mut Context<Self>) {
        let promised = self.disk.promised();
        let round = self.ballot.round.max(promised.round).max(self.seen.round) + 1;
        self.ballot = Ballot {
            round,
            proposer: self.id as u32,
        };
        self.role = Role::Candidate {
            promises: BTreeMap::new(),
        };
        self.silent = 0;
        let (low, high) = self.settings.patience;
        self.patience = ctx.rng().u32(low..=high.max(low));
        let prepare = Message::Prepare {
            ballot: self.ballot,
            from_slot: self.applied,
        };
        self.broadcast(ctx, &prepare);
    }

    /// A ballot above this replica's own: a candidate or leader steps down.
    fn saw(&mut self, ballot: Ballot) {
        self.seen = self.seen.max(ballot);
        if ballot > self.ballot && !matches!(self.role, Role::Follower) {
            self.role = Role::Follower;
            self.proposals.clear();
            // Dropping the senders answers every waiting client `NotLeader`:
            // its command may still be decided, and a retry finds it.
            self.waiting.clear();
        }
        if ballot > self.ballot {
            self.leader = usize::try_from(ballot.proposer).ok();
        }
    }

    fn become_leader(&mut self, ctx: &mut Context<Self>) {
        let Role::Candidate { promises } = std::mem::replace(&mut self.role, Role::Leader) else {
            return;
        };
        let mut highest: BTreeMap<u64, (Ballot, Entry)> = BTreeMap::new();
        for (slot, ballot, entry) in promises.into_values().flatten() {
            if highest.get(&slot).is_none_or(|(known, _)| *known < ballot) {
                highest.insert(slot, (ballot, entry));
            }
        }
        self.leader = Some(self.id);
        self.network.elected(self.ballot);
        let last = highest.keys().next_back().map_or(0, |slot| slot + 1);
        self.next_slot = last.max(self.applied);
        self.proposals.clear();
        for slot in self.applied..self.next_slot {
            let entry = match highest.remove(&slot) {
                Some((_, entry)) => entry,
                None => self.decided.get(&slot).cloned().unwrap_or(Entry::Noop),
            };
            self.propose(ctx, slot, entry);
        }
        self.heartbeat(ctx);
    }

    fn propose(&mut self, ctx: &mut Context<Self>, slot: u64, entry: Entry) {
        let accept = Message::Accept {
            ballot: self.ballot,
            slot,
            entry: entry.clone(),
        };
        self.proposals.insert(
            slot,
            Proposal {
                entry,
                accepted: BTreeSet::new(),
            },
        );
        self.broadcast(ctx, &accept);
    }

    fn heartbeat(&self, ctx: &mut Context<Self>) {
        let heartbeat = Message::Heartbeat {
            ballot: self.ballot,
            applied: self.applied,
        };
        for to in (0..self.network.size()).filter(|&to| to != self.id) {
            self.send(ctx, to, heartbeat.clone());
        }
    }

    /// Learns that `entry` is decided in `slot`, and applies what it can.
    fn learn(&mut self, slot: u64, entry: Entry) {
        if slot < self.applied {
            return;
        }
        self.proposals.remove(&slot);
        self.next_slot = self.next_slot.max(slot + 1);
        self.decided.insert(slot, entry);
        while let Some(entry) = self.decided.get(&self.applied) {
            if let Entry::Command(command) = entry {
                let output = self.store.apply(command);
                let waiters = self.waiting.remove(&(command.client, command.request));
                for waiter in waiters.into_iter().flatten() {
                    if let Some(output) = &output {
                        let _ = waiter.send(Response::Done(output.clone()));
                    }
                }
            }
            self.applied += 1;
        }
    }

    fn on_prepare(&mut self, ctx: &mut Context<Self>, from: usize, ballot: Ballot, from_slot: u64) {
        let Some(accepted) = self.disk.prepare(ballot, from_slot) else {
            let promised = self.disk.promised();
            return self.send(ctx, from, Message::Rejected { promised });
        };
        self.saw(ballot);
        // A candidate is running: give it time before running too.
        self.silent = 0;
        self.send(ctx, from, Message::Promise { ballot, accepted });
    }

    fn on_promise(
        &mut self,
        ctx: &mut Context<Self>,
        from: usize,
        ballot: Ballot,
        accepted: Vec<(u64, Ballot, Entry)>,
    ) {
        let majority = self.majority();
        let Role::Candidate { promises } = &mut self.role else {
            return;
        };
        if ballot != self.ballot {
            return;
        }
        promises.insert(from, accepted);
        if promises.len() >= majority {
            self.become_leader(ctx);
        }
    }

    fn on_accept(
        &mut self,
        ctx: &mut Context<Self>,
        from: usize,
        ballot: Ballot,
        slot: u64,
        entry: Entry,
    ) {
        if !self.disk.accept(ballot, slot, entry) {
            let promised = self.disk.promised();
            return self.send(ctx, from, Message::Rejected { promised });
        }
        self.saw(ballot);
        if ballot.proposer as usize == from {
            self.leader = Some(from);
            self.silent = 0;
        }
        self.send(ctx, from, Message::Accepted { ballot, slot });
    }

    fn on_accepted(&mut self, ctx: &mut Context<Self>, from: usize, ballot: Ballot, slot: u64) {
        if !matches!(self.role, Role::Leader) || ballot != self.ballot {
            return;
        }
        let majority = match self.settings.flavor {
            // The bug this flavor plants: one acceptance decides.
            Flavor::NoMajority => 1,
            Flavor::Correct | Flavor::LocalReads => self.majority(),
        };
        let Some(proposal) = self.proposals.get_mut(&slot) else {
            return;
        };
        proposal.accepted.insert(from);
        if proposal.accepted.len() < majority {
            return;
        }
        let entry = proposal.entry.clone();
        let decide = Message::Decide {
            slot,
            entry: entry.clone(),
        };
        for to in (0..self.network.size()).filter(|&to| to != self.id) {
            self.send(ctx, to, decide.clone());
        }
        self.learn(slot, entry);
    }

    fn on_heartbeat(&mut self, ctx: &mut Context<Self>, from: usize, ballot: Ballot, applied: u64) {
        let promised = self.disk.promised();
        if ballot < promised {
            // A deposed leader that has not heard: tell it.
            return self.send(ctx, from, Message::Rejected { promised });
        }
        self.saw(ballot);
        self.leader = Some(from);
        self.silent = 0;
        if applied > self.applied {
            let from_slot = self.applied;
            self.send(ctx, from, Message::Fetch { from_slot });
        }
    }

    fn on_fetch(&mut self, ctx: &mut Context<Self>, from: usize, from_slot: u64) {
        let decided: Vec<Message> = (self.decided.range(from_slot..).take(FETCH))
            .map(|(&slot, entry)| Message::Decide {
                slot,
                entry: entry.clone(),
            })
            .collect();
        for decide in decided {
            self.send(ctx, from, decide);
        }
    }
}

#[actor]
impl Replica {
    #[on_start]
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.myself = Some(ctx.myself());
        let (low, high) = self.settings.patience;
        self.patience = ctx.rng().u32(low..=high.max(low));
        ctx.interval(self.settings.tick, |me| me.tick());
    }

    /// A client's command: answered once it is decided and applied, or at
    /// once with [`Response::NotLeader`] by a replica that does not lead.
    /// The client's deadline bounds the wait; a leader that steps down
    /// answers `NotLeader` to everyone still waiting.
    #[ask(parallel)]
    pub async fn request(mut this: Reentrant<Self>, command: Command) -> Response {
        let lost = || std::future::pending();
        if this.with(|replica| replica.network.client_loses()) {
            return lost().await;
        }
        let (done, answer) = oneshot::channel();
        let admission = this.with(|replica| replica.admit(&command, done));
        let response = match admission {
            Admission::Answer(response) => response,
            Admission::Wait => {
                if let Some(myself) = this.with(|replica| replica.myself.clone()) {
                    let _ = myself.submit(command);
                }
                // A dropped sender: the leader stepped down.
                answer.await.unwrap_or(Response::NotLeader(None))
            }
        };
        if this.with(|replica| replica.network.client_loses()) {
            return lost().await;
        }
        response
    }

    /// Proposes a client's command in the next free slot, unless it is
    /// proposed or applied already.
    #[tell]
    pub fn submit(&mut self, command: Command, ctx: &mut Context<Self>) {
        if !matches!(self.role, Role::Leader) {
            return;
        }
        let proposed = self.proposals.values().any(|proposal| {
            matches!(&proposal.entry, Entry::Command(c) if c.client == command.client && c.request == command.request)
        });
        if proposed
            || self
                .store
                .answered(command.client, command.request)
                .is_some()
        {
            return;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.propose(ctx, slot, Entry::Command(command));
    }

    /// A message from replica `from`.
    #[tell]
    pub fn deliver(&mut self, from: usize, message: Message, ctx: &mut Context<Self>) {
        match message {
            Message::Prepare { ballot, from_slot } => self.on_prepare(ctx, from, ballot, from_slot),
            Message::Promise { ballot, accepted } => self.on_promise(ctx, from, ballot, accepted),
            Message::Accept {
                ballot,
                slot,
                entry,
            } => self.on_accept(ctx, from, ballot, slot, entry),
            Message::Accepted { ballot, slot } => self.on_accepted(ctx, from, ballot, slot),
            Message::Rejected { promised } => self.saw(promised),
            Message::Decide { slot, entry } => self.learn(slot, entry),
            Message::Heartbeat { ballot, applied } => self.on_heartbeat(ctx, from, ballot, applied),
            Message::Fetch { from_slot } => self.on_fetch(ctx, from, from_slot),
        }
    }

    /// The clock of the protocol: a leader heartbeats and sends again the
    /// accepts not yet answered; a candidate that got no majority in time,
    /// or a follower that stopped hearing its leader, runs an election.
    #[tell]
    pub fn tick(&mut self, ctx: &mut Context<Self>) {
        if matches!(self.role, Role::Leader) {
            self.heartbeat(ctx);
            let resend: Vec<(usize, Message)> = (self.proposals.iter())
                .flat_map(|(&slot, proposal)| {
                    let accept = Message::Accept {
                        ballot: self.ballot,
                        slot,
                        entry: proposal.entry.clone(),
                    };
                    (0..self.network.size())
                        .filter(|to| !proposal.accepted.contains(to))
                        .map(move |to| (to, accept.clone()))
                })
                .collect();
            for (to, accept) in resend {
                self.send(ctx, to, accept);
            }
            return;
        }
        self.silent += 1;
        if self.silent > self.patience {
            self.start_election(ctx);
        }
    }

    /// The entries this replica has decided, in slot order, from slot 0
    /// up to the first it has not applied: replicas must agree on them.
    #[ask]
    pub fn log(&self) -> Vec<Entry> {
        self.decided
            .range(..self.applied)
            .map(|(_, entry)| entry.clone())
            .collect()
    }
}
