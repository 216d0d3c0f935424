//! Mailbox actors, PARLEY style: a function with an explicit receive loop.
//!
//! Method actors map messages to methods. Some code reads better as a loop
//! over a mailbox — protocols with states, selective receive, Erlang ports.
//! [`spawn`] runs an async function that gets an [`Inbox`]; its reference
//! is an [`ActorRef<Process>`] whose one method, `send`, takes any
//! `Send + 'static` value.
//!
//! ```
//! use std::time::Duration;
//!
//! use actium::prelude::*;
//!
//! struct Add(i64, i64, ActorRef<Process>);
//!
//! actium::launch(Mode::Tasks, async {
//!     // A server: answers every `Add` with the sum.
//!     let adder = actium::spawn(|mut inbox: Inbox| async move {
//!         while let Some(message) = inbox.recv().await {
//!             if let Ok(Add(a, b, reply_to)) = message.downcast::<Add>() {
//!                 reply_to.send(a + b)?;
//!             }
//!         }
//!         Ok::<(), actium::Error>(())
//!     });
//!     // A client: sends, then waits selectively for an `i64`.
//!     let client = actium::spawn(move |mut inbox: Inbox| async move {
//!         adder.send(Add(2, 3, inbox.me()))?;
//!         let sum = inbox.recv_as::<i64>(Duration::from_secs(1)).await?;
//!         assert_eq!(sum, 5);
//!         Ok::<(), actium::Error>(())
//!     });
//!     assert_eq!(client.stopped().await, ExitReason::Normal);
//!     Ok::<(), actium::Error>(())
//! })?;
//! # Ok::<(), actium::Error>(())
//! ```
//!
//! Signals reach a process as messages: a trapped [`Exit`](crate::base::Exit) or
//! a [`Down`](crate::base::Down), to be received like any other value.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use crate::actor::{Actor, ActorRef, Cell, Dispatch, Handler, MethodInfo, Methods, SpawnOptions};
use crate::base::{Error, ExitReason, Signal, panic_message};
use crate::call::{Frame, current};
use crate::cell::{ErasedCell, Monitor};
use crate::mailbox::{Envelope, Taken};
use crate::runtime::{ExitGuard, SystemHandle, guarded};

/// The actor type of mailbox actors: `ActorRef<Process>`.
pub struct Process {
    _private: (),
}

impl Actor for Process {
    type Msg = Message;
    type Methods<D: Dispatch<Self>> = ProcessMethods<D>;
    const NAME: &'static str = "Process";

    fn describe(msg: &Message, out: &mut String) {
        out.push_str(msg.type_name);
    }
}

/// The methods of an [`ActorRef<Process>`].
pub struct ProcessMethods<D> {
    dispatch: D,
}

impl<D: Dispatch<Process>> Methods<Process, D> for ProcessMethods<D> {
    fn new(dispatch: D) -> Self {
        ProcessMethods { dispatch }
    }

    fn dispatch(&self) -> &D {
        &self.dispatch
    }
}

impl<D: Dispatch<Process>> ProcessMethods<D> {
    /// Sends `value` to the process's mailbox. On a reference this returns
    /// `Result<(), Error>` at once: an error if the process has stopped or
    /// its bounded mailbox is full.
    pub fn send<T: Send + 'static>(&self, value: T) -> D::Tell<(Message,)> {
        const SEND: MethodInfo = MethodInfo {
            name: "send",
            timeout: None,
        };
        self.dispatch
            .tell(SEND, (Message::new(value),), |(message,)| message)
    }
}

/// A value in a process's mailbox: anything `Send + 'static`.
pub struct Message {
    value: Box<dyn Any + Send>,
    type_name: &'static str,
}

impl Message {
    /// Wraps a value.
    pub fn new<T: Send + 'static>(value: T) -> Self {
        Message {
            value: Box::new(value),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// Whether the value is a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.value.is::<T>()
    }

    /// The value, if it is a `T`; otherwise the message back.
    ///
    /// # Errors
    ///
    /// The message itself, untouched, when it holds another type.
    pub fn downcast<T: 'static>(self) -> Result<T, Message> {
        let type_name = self.type_name;
        self.value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|value| Message { value, type_name })
    }

    /// A reference to the value, if it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }

    /// The name of the value's type, for logs.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Message({})", self.type_name)
    }
}

/// What a process function may return: `()` (a normal exit) or
/// `Result<(), E: Display>` (an `Err` exits with [`ExitReason::Error`]).
pub trait ProcessResult {
    /// The exit reason this return value means.
    fn into_exit_reason(self) -> ExitReason;
}

impl ProcessResult for () {
    fn into_exit_reason(self) -> ExitReason {
        ExitReason::Normal
    }
}

impl<E: fmt::Display> ProcessResult for Result<(), E> {
    fn into_exit_reason(self) -> ExitReason {
        match self {
            Ok(()) => ExitReason::Normal,
            Err(error) => ExitReason::Error(error.to_string()),
        }
    }
}

/// Spawns a mailbox actor in the current system.
///
/// # Panics
///
/// Panics if no Actium system runs on this thread; see [`try_spawn`].
pub fn spawn<F, Fut>(body: F) -> ActorRef<Process>
where
    F: FnOnce(Inbox) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ProcessResult,
{
    match try_spawn(body) {
        Ok(process) => process,
        Err(error) => panic!("{error}"),
    }
}

/// Spawns a mailbox actor in the current system.
///
/// # Errors
///
/// [`Error::NoSystem`] outside a system, and as
/// [`Spawner::try_spawn`](crate::actor::Spawner::try_spawn).
pub fn try_spawn<F, Fut>(body: F) -> Result<ActorRef<Process>, Error>
where
    F: FnOnce(Inbox) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ProcessResult,
{
    SystemHandle::try_current()?.spawn_process_linked(body, None)
}

impl SystemHandle {
    pub(crate) fn spawn_process_linked<F, Fut>(
        &self,
        body: F,
        linked_to: Option<Arc<dyn ErasedCell>>,
    ) -> Result<ActorRef<Process>, Error>
    where
        F: FnOnce(Inbox) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ProcessResult,
    {
        let options = SpawnOptions {
            linked_to,
            ..SpawnOptions::default()
        };
        self.shared()
            .spawn_with(options, move |cell| Some(run_process(cell.clone(), body)))
            .map_err(|(_, error)| error)
    }
}

fn run_process<F, Fut>(cell: Arc<Cell<Process>>, body: F) -> impl Future<Output = ()> + Send
where
    F: FnOnce(Inbox) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ProcessResult,
{
    let frame = Frame::new(cell.core.label, true, None);
    current::scope(frame, async move {
        let guard = ExitGuard::new(cell.clone());
        let inbox = Inbox {
            cell: cell.clone(),
            batch: VecDeque::new(),
            saved: VecDeque::new(),
        };
        let ran = guarded(&cell.mailbox, AssertUnwindSafe(body(inbox)).catch_unwind()).await;
        let reason = match ran {
            Some(Ok(output)) => output.into_exit_reason(),
            Some(Err(payload)) => ExitReason::Panicked(panic_message(&*payload)),
            None => cell.core.requested_reason(),
        };
        guard.exit(reason);
    })
}

/// A process's mailbox and its view of itself.
pub struct Inbox {
    cell: Arc<Cell<Process>>,
    batch: VecDeque<Envelope<Message>>,
    /// Messages passed over by a selective receive, oldest first.
    saved: VecDeque<Message>,
}

impl Inbox {
    /// A reference to this process.
    pub fn me(&self) -> ActorRef<Process> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// The next message, oldest first; `None` once the process is asked to
    /// stop (then the function should return).
    pub async fn recv(&mut self) -> Option<Message> {
        if let Some(message) = self.saved.pop_front() {
            return Some(message);
        }
        self.next().await
    }

    /// The next message, or an error once `timeout` has passed.
    ///
    /// # Errors
    ///
    /// [`Error::RecvTimeout`] after `timeout`, [`Error::ActorStopped`] once
    /// the process is asked to stop.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Message, Error> {
        self.recv_match(|_| true, timeout).await
    }

    /// Selective receive: the oldest message for which `matches` is true,
    /// leaving the others in the mailbox, in order, for later receives.
    ///
    /// # Errors
    ///
    /// [`Error::RecvTimeout`] if no matching message arrives within
    /// `timeout`, [`Error::ActorStopped`] once the process is asked to stop.
    pub async fn recv_match(
        &mut self,
        mut matches: impl FnMut(&Message) -> bool,
        timeout: Duration,
    ) -> Result<Message, Error> {
        if let Some(index) = self.saved.iter().position(&mut matches) {
            if let Some(message) = self.saved.remove(index) {
                return Ok(message);
            }
        }
        let search = async {
            loop {
                let Some(message) = self.next().await else {
                    return Err(Error::ActorStopped {
                        actor: self.cell.core.label,
                        method: "recv",
                    });
                };
                if matches(&message) {
                    return Ok(message);
                }
                self.saved.push_back(message);
            }
        };
        match tokio::time::timeout(timeout, search).await {
            Ok(found) => found,
            Err(_) => Err(Error::RecvTimeout { timeout }),
        }
    }

    /// Selective receive by type: the oldest message holding a `T`.
    ///
    /// # Errors
    ///
    /// As [`recv_match`](Inbox::recv_match).
    pub async fn recv_as<T: Send + 'static>(&mut self, timeout: Duration) -> Result<T, Error> {
        let message = self.recv_match(Message::is::<T>, timeout).await?;
        message.downcast::<T>().map_err(|_| Error::ActorStopped {
            actor: self.cell.core.label,
            method: "recv_as",
        })
    }

    /// How many messages wait in the mailbox (including those passed over
    /// by selective receives).
    pub fn pending(&self) -> usize {
        self.saved.len() + self.batch.len()
    }

    async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(envelope) = self.batch.pop_front() {
                return Some(match envelope {
                    Envelope::Message { msg, .. } => msg,
                    Envelope::Traced(traced) => traced.msg,
                    Envelope::Signal(signal) => match *signal {
                        Signal::Exit(exit) => Message::new(exit),
                        Signal::Down(down) => Message::new(down),
                    },
                });
            }
            let cell = &self.cell;
            let batch = &mut self.batch;
            match poll_fn(|cx| cell.mailbox.poll_take(batch, cx)).await {
                Taken::Messages => continue,
                Taken::Stop => return None,
            }
        }
    }

    fn erased(&self) -> Arc<dyn ErasedCell> {
        self.cell.clone()
    }

    /// Links this process with `other`; see
    /// [`Context::link`](crate::actor::Context::link).
    pub fn link<B: Actor>(&self, other: &ActorRef<B>) {
        self.cell.link(other);
    }

    /// Removes the link with `other`.
    pub fn unlink<B: Actor>(&self, other: &ActorRef<B>) {
        self.cell.unlink(other);
    }

    /// Monitors `other`: its exit arrives as a [`Down`](crate::base::Down) message.
    pub fn monitor<B: Actor>(&self, other: &ActorRef<B>) -> Monitor {
        self.cell.monitor(other)
    }

    /// Sends `other` an exit signal with `reason`; see
    /// [`Context::exit`](crate::actor::Context::exit).
    pub fn exit<B: Actor>(&self, other: &ActorRef<B>, reason: ExitReason) {
        self.cell.send_exit(other, reason);
    }

    /// Turns exit signals from linked actors into [`Exit`](crate::base::Exit)
    /// messages instead of killing this process.
    pub fn trap_exit(&self, trap: bool) {
        self.cell.trap_exit(trap);
    }

    /// Spawns a method actor linked to this process.
    ///
    /// # Errors
    ///
    /// As [`Spawner::try_spawn`](crate::actor::Spawner::try_spawn).
    pub fn spawn_link<B: Handler>(&self, actor: B) -> Result<ActorRef<B>, Error> {
        crate::actor::Spawner::new(actor)
            .system(&SystemHandle::from_shared(self.cell.core.system.clone()))
            .linked_to(self.erased())
            .try_spawn()
    }

    /// Spawns a mailbox actor linked to this process (PARLEY's
    /// `spawn_link`).
    ///
    /// # Errors
    ///
    /// As [`Spawner::try_spawn`](crate::actor::Spawner::try_spawn).
    pub fn spawn_link_process<F, Fut>(&self, body: F) -> Result<ActorRef<Process>, Error>
    where
        F: FnOnce(Inbox) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: ProcessResult,
    {
        SystemHandle::from_shared(self.cell.core.system.clone())
            .spawn_process_linked(body, Some(self.erased()))
    }
}
