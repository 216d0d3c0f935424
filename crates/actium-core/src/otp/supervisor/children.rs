//! What a supervisor reports about its children.

use std::sync::Arc;

use super::{Child, ChildSpec, Restart, Supervisor};
use crate::actor::{Actor, ActorRef, AnyRef, Cell, Context};
use crate::base::{ActorId, Error, ExitReason};
use crate::cell::ErasedCell;

/// The children of a supervisor, from
/// [`children`](super::SupervisorMethods::children) (OTP's
/// `which_children/1`).
#[derive(Clone)]
pub struct Children {
    children: Vec<ChildInfo>,
}

impl Children {
    pub(super) fn new(children: Vec<ChildInfo>) -> Self {
        Children { children }
    }

    /// The running child named `name`, as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchChild`] if no child of that name runs,
    /// [`Error::WrongType`] if it is not an `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let worker: ActorRef<Worker> = supervisor.children().await?.get("worker")?;
    /// worker.ping().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn get<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, Error> {
        let child = self
            .children
            .iter()
            .find(|child| child.name == name)
            .ok_or_else(|| Error::NoSuchChild {
                name: name.to_owned(),
            })?;
        child.actor()
    }

    /// Every child, in start order.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let names: Vec<String> = supervisor.children().await?.iter().map(|c| c.name().to_owned()).collect();
    /// assert_eq!(names, ["worker"]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, ChildInfo> {
        self.children.iter()
    }

    /// How many children the supervisor has (running or not; temporary
    /// children are forgotten once they end).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// assert_eq!(supervisor.children().await?.len(), 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// Whether it has none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder().spawn();
    /// assert!(supervisor.children().await?.is_empty());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

/// One child of a supervisor.
#[derive(Clone)]
pub struct ChildInfo {
    name: String,
    cell: Option<Arc<dyn ErasedCell>>,
    restarts: u32,
    last_exit: Option<ExitReason>,
}

impl ChildInfo {
    /// What `children()` reports about `child`.
    pub(super) fn of(child: &Child) -> Self {
        ChildInfo {
            name: child.spec.name.clone(),
            cell: child.cell.clone(),
            restarts: child.restarts,
            last_exit: child.last_exit.clone(),
        }
    }

    /// How many times the supervisor has restarted this child (as its
    /// restart intensity counts them; Erlang's `which_children` and
    /// `count_children` do not report this): each restart of a strategy's
    /// group counts once for every child of it restarted. A restart
    /// usually keeps the child's reference, so this is how one sees that
    /// it happened.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Supervisor};
    /// #[derive(Default)]
    /// struct Worker;
    ///
    /// #[actor]
    /// impl Worker {
    ///     #[ask]
    ///     fn crash(&self) {
    ///         panic!("boom");
    ///     }
    ///
    ///     #[ask]
    ///     fn ping(&self) {}
    /// }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let worker = supervisor.children().await?.get::<Worker>("worker")?;
    /// assert!(worker.crash().await.is_err());
    /// worker.ping().await?; // answered by the restarted worker
    /// let children = supervisor.children().await?;
    /// let child = children.iter().next().expect("one child");
    /// assert_eq!(child.restarts(), 1);
    /// assert_eq!(
    ///     child.last_exit(),
    ///     Some(&ExitReason::Panicked("boom (in `crash`)".into()))
    /// );
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Its current reference, whatever its type, if it runs: the same
    /// across restarts, except after a child that would not stop was
    /// abandoned and started in a new cell, or was terminated and started
    /// again by hand; [`actor`](ChildInfo::actor) gives it typed.
    pub fn reference(&self) -> Option<AnyRef> {
        self.cell.clone().map(AnyRef::local)
    }

    /// Why the child's last incarnation ended (a failure the supervisor
    /// restarted it after, or its final exit), or `None` if it has never
    /// ended. See [`restarts`](ChildInfo::restarts) for an example.
    pub fn last_exit(&self) -> Option<&ExitReason> {
        self.last_exit.as_ref()
    }

    /// The child's name in its spec.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let children = supervisor.children().await?;
    /// let child = children.iter().next().expect("one child");
    /// assert_eq!(child.name(), "worker");
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its id, if it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let children = supervisor.children().await?;
    /// let child = children.iter().next().expect("one child");
    /// assert_eq!(child.id(), Some(children.get::<Worker>("worker")?.id()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn id(&self) -> Option<ActorId> {
        self.cell.as_ref().map(|cell| cell.core().id())
    }

    /// Whether it runs (a restarting child counts as running).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let children = supervisor.children().await?;
    /// let child = children.iter().next().expect("one child");
    /// assert!(child.is_running());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_running(&self) -> bool {
        self.cell
            .as_ref()
            .is_some_and(|cell| cell.core().exit_reason().is_none())
    }

    /// The child as an `ActorRef<A>`.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchChild`] if it does not run, [`Error::WrongType`] if
    /// it is not an `A`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # use actium::supervisor::{ChildSpec, Restart, Strategy, Supervisor};
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Worker;
    /// # #[actor] impl Worker { #[ask] fn ping(&self) {} }
    /// # actium::launch(Mode::Tasks, async {
    /// let supervisor = Supervisor::builder()
    ///     .child(ChildSpec::new("worker", Worker::default))
    ///     .spawn();
    /// let children = supervisor.children().await?;
    /// let child = children.iter().next().expect("one child");
    /// child.actor::<Worker>()?.ping().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn actor<A: Actor>(&self) -> Result<ActorRef<A>, Error> {
        let Some(cell) = self.cell.clone() else {
            return Err(Error::NoSuchChild {
                name: self.name.clone(),
            });
        };
        let found = cell.core().label.type_name();
        cell.into_any()
            .downcast::<Cell<A>>()
            .map(ActorRef::from_cell)
            .map_err(|_| Error::WrongType {
                name: self.name.clone(),
                expected: A::NAME,
                found,
            })
    }
}

impl std::fmt::Debug for ChildInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildInfo")
            .field("name", &self.name)
            .field("id", &self.id())
            .field("running", &self.is_running())
            .field("restarts", &self.restarts)
            .field("last_exit", &self.last_exit)
            .finish()
    }
}

impl Supervisor {
    /// Adds and starts a child (OTP's `start_child/2`).
    pub(super) async fn start_child(
        &mut self,
        spec: ChildSpec,
        ctx: &Context<Self>,
    ) -> Result<(), Error> {
        if self.index_named(&spec.name).is_ok() {
            return Err(Error::NameTaken {
                name: spec.name,
                holder: ctx.myself_label(),
            });
        }
        self.children.push(Child::new(spec));
        let index = self.children.len() - 1;
        match self.start(index, ctx).await {
            Ok(()) => Ok(()),
            Err(reason) => {
                let child = self.children.remove(index);
                Err(Error::ChildStart {
                    name: child.spec.name,
                    reason,
                })
            }
        }
    }

    /// Starts a terminated child again (OTP's `restart_child/2`).
    pub(super) async fn restart_child(
        &mut self,
        name: &str,
        ctx: &Context<Self>,
    ) -> Result<(), Error> {
        let index = self.index_named(name)?;
        if self.children[index].cell.is_some() {
            return Err(Error::ChildRunning {
                name: name.to_owned(),
            });
        }
        self.start(index, ctx)
            .await
            .map_err(|reason| Error::ChildStart {
                name: name.to_owned(),
                reason,
            })
    }

    /// Terminates a child (OTP's `terminate_child/2`); a temporary one is
    /// forgotten.
    pub(super) async fn terminate_child(&mut self, name: &str) -> Result<(), Error> {
        let index = self.index_named(name)?;
        self.terminate(index).await;
        if self.children[index].spec.restart == Restart::Temporary {
            self.children.remove(index);
        }
        Ok(())
    }

    /// Forgets a terminated child (OTP's `delete_child/2`).
    pub(super) fn delete_child(&mut self, name: &str) -> Result<(), Error> {
        let index = self.index_named(name)?;
        if self.children[index].cell.is_some() {
            return Err(Error::ChildRunning {
                name: name.to_owned(),
            });
        }
        self.children.remove(index);
        Ok(())
    }

    pub(super) fn children_view(&self) -> Children {
        Children::new(self.children.iter().map(ChildInfo::of).collect())
    }
}
