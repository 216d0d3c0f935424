//! A mailbox actor's [`Inbox`]: receiving (in order, selectively, by type,
//! with a deadline), and the process's view of itself — its reference,
//! links, monitors and linked children.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::time::Duration;

use super::process::{Message, Process, ProcessResult};
use crate::actor::{ActorRef, AsAnyRef, Cell, Handler};
use crate::base::{Error, ExitReason, Signal};
use crate::cell::{CellCore, ErasedCell, Monitor};
use crate::mailbox::{Envelope, Taken};
use crate::runtime::SystemHandle;

/// A process's mailbox and its view of itself.
pub struct Inbox {
    cell: Arc<Cell<Process>>,
    batch: VecDeque<Envelope<Message>>,
    /// Messages passed over by a selective receive, oldest first.
    saved: VecDeque<Message>,
}

impl Inbox {
    pub(super) fn new(cell: Arc<Cell<Process>>) -> Self {
        Inbox {
            cell,
            batch: VecDeque::new(),
            saved: VecDeque::new(),
        }
    }

    /// A reference to this process.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let process = actium::spawn(|inbox: Inbox| async move {
    ///     println!("I am {}", inbox.me());
    /// });
    /// process.stopped().await;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn me(&self) -> ActorRef<Process> {
        ActorRef::from_cell(self.cell.clone())
    }

    /// The next message, oldest first; `None` once the process is asked to
    /// stop (then the function should return).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let printer = actium::spawn(|mut inbox: Inbox| async move {
    ///     while let Some(message) = inbox.recv().await {
    ///         if let Some(line) = message.downcast_ref::<String>() {
    ///             println!("{line}");
    ///         }
    ///     }
    /// });
    /// printer.send(String::from("hello"))?;
    /// printer.stop();
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it resolves (in a
    /// `select!`, under a timeout), no message is lost; the next receive sees it.
    pub async fn recv(&mut self) -> Option<Message> {
        loop {
            let message = match self.saved.pop_front() {
                Some(message) => message,
                None => self.next().await?,
            };
            if self.take(&message) {
                return Some(message);
            }
        }
    }

    /// The next message, or an error once `timeout` has passed.
    ///
    /// # Errors
    ///
    /// [`Error::RecvTimeout`] after `timeout`, [`Error::ActorStopped`] once
    /// the process is asked to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let waiter = actium::spawn(|mut inbox: Inbox| async move {
    ///     let error = inbox.recv_timeout(Duration::from_millis(10)).await.unwrap_err();
    ///     assert!(matches!(error, actium::Error::RecvTimeout { .. }));
    /// });
    /// assert_eq!(waiter.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it resolves (in a
    /// `select!`, under a timeout), no message is lost; the next receive sees it.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Message, Error> {
        self.recv_match(|_| true, timeout).await
    }

    /// Selective receive: the oldest message for which `matches` is true,
    /// leaving the others in the mailbox, in order, for later receives.
    ///
    /// To wait without a deadline (Erlang's `receive` with no `after`),
    /// pass `Duration::MAX`: a wait past the end of time never times out.
    /// [`recv`](Inbox::recv) is the plain receive without one.
    ///
    /// # Errors
    ///
    /// [`Error::RecvTimeout`] if no matching message arrives within
    /// `timeout`, [`Error::ActorStopped`] once the process is asked to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let sorter = actium::spawn(|mut inbox: Inbox| async move {
    ///     let big = |m: &Message| m.downcast_ref::<u32>().is_some_and(|n| *n > 10);
    ///     let first = inbox.recv_match(big, Duration::from_secs(5)).await?;
    ///     assert_eq!(first.downcast::<u32>().ok(), Some(42));
    ///     assert_eq!(inbox.pending(), 1); // the 1, passed over and kept
    ///     Ok::<(), actium::Error>(())
    /// });
    /// sorter.send(1_u32)?;
    /// sorter.send(42_u32)?;
    /// assert_eq!(sorter.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it resolves (in a
    /// `select!`, under a timeout), no message is lost; the next receive sees it.
    pub async fn recv_match(
        &mut self,
        mut matches: impl FnMut(&Message) -> bool,
        timeout: Duration,
    ) -> Result<Message, Error> {
        let core = &self.cell.core;
        self.saved.retain(|message| waits(core, message));
        while let Some(index) = self.saved.iter().position(&mut matches) {
            if let Some(message) = self.saved.remove(index) {
                if self.take(&message) {
                    return Ok(message);
                }
            }
        }
        let clock = self.cell.core.system.clock().clone();
        let search = async {
            loop {
                let Some(message) = self.next().await else {
                    return Err(Error::ActorStopped {
                        actor: self.cell.core.label,
                        method: "recv",
                    });
                };
                if !waits(&self.cell.core, &message) {
                    continue;
                }
                if matches(&message) && self.take(&message) {
                    return Ok(message);
                }
                self.saved.push_back(message);
            }
        };
        match clock.timeout(timeout, search).await {
            Ok(found) => found,
            Err(_) => Err(Error::RecvTimeout { timeout }),
        }
    }

    /// Selective receive by type: the oldest message holding a `T`.
    ///
    /// # Errors
    ///
    /// As [`recv_match`](Inbox::recv_match).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let adder = actium::spawn(|mut inbox: Inbox| async move {
    ///     let n = inbox.recv_as::<u32>(Duration::from_secs(5)).await?;
    ///     assert_eq!(n, 7);
    ///     Ok::<(), actium::Error>(())
    /// });
    /// adder.send("skipped")?;
    /// adder.send(7_u32)?;
    /// assert_eq!(adder.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it resolves (in a
    /// `select!`, under a timeout), no message is lost; the next receive sees it.
    pub async fn recv_as<T: Send + 'static>(&mut self, timeout: Duration) -> Result<T, Error> {
        let message = self.recv_match(Message::is::<T>, timeout).await?;
        message.downcast::<T>().map_err(|_| Error::ActorStopped {
            actor: self.cell.core.label,
            method: "recv_as",
        })
    }

    /// How many messages wait in the mailbox (including those passed over
    /// by selective receives).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let process = actium::spawn(|inbox: Inbox| async move {
    ///     println!("{} messages wait", inbox.pending());
    /// });
    /// process.stopped().await;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn pending(&self) -> usize {
        self.saved.len() + self.batch.len()
    }

    async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(envelope) = self.batch.pop_front() {
                self.cell.stats.handled();
                return Some(match envelope {
                    Envelope::Message { msg, .. } => msg,
                    Envelope::Traced(traced) => traced.msg,
                    Envelope::Signal(signal) => match *signal {
                        Signal::Exit(exit) => Message::new(exit),
                        Signal::Down(down) => Message::down(down),
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

    /// Hands `message` to the process: false for a `Down` flushed by
    /// [`Monitor::cancel_and_flush`], which must be dropped unseen.
    fn take(&self, message: &Message) -> bool {
        message
            .monitor()
            .is_none_or(|monitor| self.cell.core.take_down(monitor))
    }

    fn erased(&self) -> Arc<dyn ErasedCell> {
        self.cell.clone()
    }

    /// Links this process with `other`, an [`ActorRef`] or an [`AnyRef`](crate::AnyRef);
    /// see [`Context::link`](crate::actor::Context::link).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let peer = Peer.spawn();
    /// let target = peer.clone();
    /// let process = actium::spawn(move |mut inbox: Inbox| async move {
    ///     inbox.link(&target);
    ///     // Killed after the link: a peer already gone when linked to
    ///     // would end this process with `NoProc` instead.
    ///     target.kill();
    ///     inbox.recv().await; // killed with the peer before anything comes
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Killed);
    /// assert_eq!(peer.stopped().await, ExitReason::Killed);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn link(&self, other: &impl AsAnyRef) {
        self.cell.link(&other.as_any_ref());
    }

    /// Removes the link with `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let peer = Peer.spawn();
    /// let target = peer.clone();
    /// let process = actium::spawn(move |inbox: Inbox| async move {
    ///     inbox.link(&target);
    ///     inbox.unlink(&target);
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn unlink(&self, other: &impl AsAnyRef) {
        self.cell.unlink(&other.as_any_ref());
    }

    /// Monitors `other`: its exit arrives as a [`Down`](crate::base::Down) message.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let peer = Peer.spawn();
    /// let target = peer.clone();
    /// let process = actium::spawn(move |mut inbox: Inbox| async move {
    ///     inbox.monitor(&target);
    ///     target.stop();
    ///     let down = inbox.recv_as::<Down>(Duration::from_secs(5)).await?;
    ///     assert_eq!(down.reason, ExitReason::Stopped);
    ///     Ok::<(), actium::Error>(())
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn monitor(&self, other: &impl AsAnyRef) -> Monitor {
        self.cell.monitor(&other.as_any_ref())
    }

    /// Monitors the actor registered as `name` now; see
    /// [`Context::monitor_name`](crate::actor::Context::monitor_name). If no
    /// actor holds the name, the `Down` comes at once with `noproc`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Store;
    /// # #[actor] impl Store { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let store = Store.spawn();
    /// actium::register("store", &store)?;
    /// let process = actium::spawn(|mut inbox: Inbox| async move {
    ///     inbox.monitor_name("nobody");
    ///     let down = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
    ///     assert_eq!(down.reason, ExitReason::NoProc);
    ///     inbox.monitor_name("store");
    ///     actium::whereis::<Store>("store").expect("registered").kill();
    ///     let down = inbox.recv_as::<Down>(Duration::MAX).await.expect("a Down");
    ///     assert_eq!(down.reason, ExitReason::Killed);
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn monitor_name(&self, name: &str) -> Monitor {
        self.cell.monitor_name(name)
    }

    /// Sends `other` an exit signal with `reason`; see
    /// [`Context::exit`](crate::actor::Context::exit).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let peer = Peer.spawn();
    /// let target = peer.clone();
    /// actium::spawn(move |inbox: Inbox| async move {
    ///     inbox.exit(&target, ExitReason::Error("done".into()));
    /// });
    /// assert_eq!(peer.stopped().await, ExitReason::Error("done".into()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn exit(&self, other: &impl AsAnyRef, reason: ExitReason) {
        self.cell.send_exit(&other.as_any_ref(), reason);
    }

    /// Turns exit signals from linked actors into [`Exit`](crate::base::Exit)
    /// messages instead of killing this process.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let process = actium::spawn(|mut inbox: Inbox| async move {
    ///     inbox.trap_exit(true);
    ///     let failing = actium::spawn(|_: Inbox| async { Err::<(), _>("crashed") });
    ///     inbox.link(&failing);
    ///     let exit = inbox.recv_as::<Exit>(Duration::from_secs(5)).await?;
    ///     assert_eq!(exit.reason, ExitReason::Error("crashed".into()));
    ///     Ok::<(), actium::Error>(())
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn trap_exit(&self, trap: bool) {
        self.cell.trap_exit(trap);
    }

    /// Spawns a method actor linked to this process.
    ///
    /// # Errors
    ///
    /// As [`Spawner::try_spawn`](crate::actor::Spawner::try_spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Peer;
    /// # #[actor] impl Peer { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let process = actium::spawn(|inbox: Inbox| async move {
    ///     let peer = inbox.spawn_link(Peer)?;
    ///     peer.ping().await?;
    ///     Ok::<(), actium::Error>(())
    /// });
    /// assert_eq!(process.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let parent = actium::spawn(|mut inbox: Inbox| async move {
    ///     inbox.trap_exit(true);
    ///     inbox.spawn_link_process(|_child: Inbox| async { Err::<(), _>("crashed") })?;
    ///     let exit = inbox.recv_as::<Exit>(Duration::from_secs(5)).await?;
    ///     assert_eq!(exit.reason, ExitReason::Error("crashed".into()));
    ///     Ok::<(), actium::Error>(())
    /// });
    /// assert_eq!(parent.stopped().await, ExitReason::Normal);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
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

/// Whether `message` is still to be received: not a flushed `Down`.
fn waits(core: &CellCore, message: &Message) -> bool {
    message
        .monitor()
        .is_none_or(|monitor| core.down_waits(monitor))
}
