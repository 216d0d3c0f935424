//! Clients of the store, and the history they record for the
//! linearizability checker.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actium::SystemHandle;

use super::{Command, Network, Op, Output, Response};

/// One operation of a recorded history: who invoked what, when, and what
/// came back when — or that nothing came back.
///
/// Times are positions in one total order of all invocations and answers
/// (a logical clock every client shares), so "answered before invoked"
/// compares what happened in real time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The client that invoked it.
    pub client: u64,
    /// What it asked.
    pub op: Op,
    /// When it was invoked.
    pub invoked: u64,
    /// When it was answered and what with; `None` if the client gave up —
    /// the operation may then have taken effect, or not.
    pub answered: Option<(u64, Output)>,
}

/// Records the operations of many clients, with one clock. Cloning gives
/// another handle to the same record.
#[derive(Clone, Default)]
pub struct Recorder {
    history: Arc<Mutex<History>>,
}

#[derive(Default)]
struct History {
    clock: u64,
    operations: Vec<Operation>,
}

impl Recorder {
    /// An empty record.
    pub fn new() -> Self {
        Recorder::default()
    }

    fn history(&self) -> MutexGuard<'_, History> {
        // Every update is one push or one assignment: a poisoned lock still
        // guards a consistent record.
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that `client` invokes `op` now; returns the operation's index
    /// for [`answer`](Recorder::answer).
    pub fn invoke(&self, client: u64, op: Op) -> usize {
        let mut history = self.history();
        history.clock += 1;
        let invoked = history.clock;
        history.operations.push(Operation {
            client,
            op,
            invoked,
            answered: None,
        });
        history.operations.len() - 1
    }

    /// Notes that operation `index` was answered now with `output`.
    pub fn answer(&self, index: usize, output: Output) {
        let mut history = self.history();
        history.clock += 1;
        let now = history.clock;
        if let Some(operation) = history.operations.get_mut(index) {
            operation.answered = Some((now, output));
        }
    }

    /// Every operation recorded so far, in the order invoked.
    pub fn operations(&self) -> Vec<Operation> {
        self.history().operations.clone()
    }
}

/// A client of the store: one operation at a time, each sent to the
/// replica it believes leads, with a deadline, and retried — with the
/// same request number, so that it takes effect once — at the replica a
/// `NotLeader` answer names, or at the next one.
pub struct Client {
    id: u64,
    network: Network,
    recorder: Recorder,
    request: u64,
    target: usize,
    deadline: Duration,
    patience: Duration,
    backoff: Duration,
}

impl Client {
    /// Client `id` (distinct per client) of the store behind `network`,
    /// recording into `recorder`. It tries each operation for up to 5 s,
    /// with a deadline of 200 ms per attempt and a pause of 10 ms after a
    /// failure.
    pub fn new(id: u64, network: Network, recorder: Recorder) -> Self {
        Client {
            id,
            network,
            recorder,
            request: 0,
            target: 0,
            deadline: Duration::from_millis(200),
            patience: Duration::from_secs(5),
            backoff: Duration::from_millis(10),
        }
    }

    /// How long one attempt waits for an answer.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long the client tries an operation before it gives up. An
    /// operation given up on stays unanswered in the history, and a
    /// checker must consider every instant after its invocation for it:
    /// the fewer there are, the faster the check.
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// Runs `op` on the store and returns its output, or `None` if no
    /// replica answered within the client's patience; then it may or may
    /// not have taken effect. Both are recorded.
    pub async fn execute(&mut self, op: Op) -> Option<Output> {
        self.request += 1;
        let command = Command {
            client: self.id,
            request: self.request,
            op: op.clone(),
        };
        let index = self.recorder.invoke(self.id, op);
        let replicas = self.network.size().max(1);
        let clock = SystemHandle::current().clock();
        let give_up = clock.now() + self.patience;
        while clock.now() < give_up {
            let target = self.target;
            let answer = match self.network.replica(target) {
                Some(replica) => {
                    let call = replica.request(command.clone()).timeout(self.deadline);
                    call.await.ok()
                }
                None => None,
            };
            match answer {
                Some(Response::Done(output)) => {
                    self.recorder.answer(index, output.clone());
                    return Some(output);
                }
                Some(Response::NotLeader(Some(leader))) if leader != target => {
                    // Two replicas may name each other for a while: a short
                    // pause keeps the client from spinning between them.
                    self.target = leader;
                    actium::sleep(self.backoff / 5).await;
                }
                _ => {
                    self.target = (target + 1) % replicas;
                    actium::sleep(self.backoff).await;
                }
            }
        }
        None
    }
}
