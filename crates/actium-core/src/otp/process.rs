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
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use super::inbox::Inbox;
use crate::actor::{Actor, ActorRef, Cell, Dispatch, MethodInfo, Methods, SpawnOptions};
use crate::base::{Error, ExitReason, panic_message};
use crate::call::{Frame, current};
use crate::cell::ErasedCell;
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
            blocking: false,
        };
        self.dispatch
            .tell(SEND, (Message::new(value),), |(message,)| message)
    }
}

/// A value in a process's mailbox: anything `Send + 'static`.
pub struct Message {
    value: Box<dyn Any + Send>,
    type_name: &'static str,
    /// For a `Down` a monitor of this process delivered (not one sent as
    /// a plain message): its monitor, which a flush can cancel.
    monitor: Option<crate::base::MonitorRef>,
}

impl Message {
    /// Wraps a value.
    pub fn new<T: Send + 'static>(value: T) -> Self {
        Message {
            value: Box::new(value),
            type_name: std::any::type_name::<T>(),
            monitor: None,
        }
    }

    /// A `Down` one of this process's monitors delivered.
    pub(super) fn down(down: crate::base::Down) -> Self {
        Message {
            monitor: Some(down.monitor),
            ..Message::new(down)
        }
    }

    /// The monitor whose `Down` this is, if a monitor delivered it.
    pub(super) fn monitor(&self) -> Option<crate::base::MonitorRef> {
        self.monitor
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
        let Message {
            value,
            type_name,
            monitor,
        } = self;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|value| Message {
                value,
                type_name,
                monitor,
            })
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
#[track_caller]
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
    pub(super) fn spawn_process_linked<F, Fut>(
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
        let guard = ExitGuard::new(&cell);
        let inbox = Inbox::new(cell.clone());
        let ran = guarded(&cell.mailbox, AssertUnwindSafe(body(inbox)).catch_unwind()).await;
        let reason = match ran {
            // A kill that came while the body was ending is its exit
            // (Erlang's `killed`): the guard looked before the poll, and
            // the body may have ended because of it, its receive finding
            // the mailbox stopping.
            Some(_) if cell.mailbox.is_killed() => cell.core.requested_reason(),
            Some(Ok(output)) => output.into_exit_reason(),
            Some(Err(payload)) => ExitReason::Panicked(panic_message(&*payload)),
            None => cell.core.requested_reason(),
        };
        guard.exit(reason, false);
    })
}
