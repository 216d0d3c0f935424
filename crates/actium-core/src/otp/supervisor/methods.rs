//! The supervisor as an actor: its messages, its loop hooks, and the
//! methods of an `ActorRef<Supervisor>`.

use std::future::Future;
use std::marker::PhantomData;

use super::{ChildSpec, Children, Supervisor};
use crate::__private::describe;
use crate::actor::{Actor, Context, Dispatch, Handled, Handler, MethodInfo, Methods, Outcome};
use crate::base::{Error, Exit, ExitReason};
use crate::call::Reply;

#[doc(hidden)]
pub enum SupervisorMsg {
    Children(Reply<Children>),
    StartChild(ChildSpec, Reply<Result<(), Error>>),
    RestartChild(String, Reply<Result<(), Error>>),
    TerminateChild(String, Reply<Result<(), Error>>),
    DeleteChild(String, Reply<Result<(), Error>>),
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type Methods<D: Dispatch<Self>> = SupervisorMethods<D>;
    const NAME: &'static str = "Supervisor";
}

impl Handler for Supervisor {
    const PANIC_POLICY: Option<crate::actor::PanicPolicy> = Some(crate::actor::PanicPolicy::Stop);
    const HAS_ON_START: bool = true;
    const HAS_ON_STOP: bool = true;
    const TRAPS_EXITS: bool = true;

    fn handle<'a>(&'a mut self, msg: SupervisorMsg, ctx: &'a mut Context<Self>) -> Handled<'a> {
        Handled::Pending(Box::pin(self.serve(msg, ctx)))
    }

    fn on_start(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), String>> + Send {
        self.start_all(ctx)
    }

    fn on_stop(
        &mut self,
        _ctx: &mut Context<Self>,
        _reason: &ExitReason,
    ) -> impl Future<Output = ()> + Send {
        self.terminate_all()
    }

    fn on_exit(&mut self, ctx: &mut Context<Self>, exit: Exit) -> impl Future<Output = ()> + Send {
        self.exited(ctx, exit)
    }
}

impl Supervisor {
    async fn serve(&mut self, msg: SupervisorMsg, ctx: &mut Context<Self>) -> Outcome {
        match msg {
            SupervisorMsg::Children(reply) => {
                let children = self.children_view();
                crate::__private::ask("children", reply, describe::opaque, || children)
            }
            SupervisorMsg::StartChild(spec, reply) => {
                let result = self.start_child(spec, ctx).await;
                crate::__private::ask("start_child", reply, describe::result, || result)
            }
            SupervisorMsg::RestartChild(name, reply) => {
                let result = self.restart_child(&name, ctx).await;
                crate::__private::ask("restart_child", reply, describe::result, || result)
            }
            SupervisorMsg::TerminateChild(name, reply) => {
                let result = self.terminate_child(&name).await;
                crate::__private::ask("terminate_child", reply, describe::result, || result)
            }
            SupervisorMsg::DeleteChild(name, reply) => {
                let result = self.delete_child(&name);
                crate::__private::ask("delete_child", reply, describe::result, || result)
            }
        }
    }
}

/// The methods of an `ActorRef<Supervisor>`.
pub struct SupervisorMethods<D> {
    dispatch: D,
    _not_constructible: PhantomData<()>,
}

impl<D: Dispatch<Supervisor>> Methods<Supervisor, D> for SupervisorMethods<D> {
    fn new(dispatch: D) -> Self {
        SupervisorMethods {
            dispatch,
            _not_constructible: PhantomData,
        }
    }

    fn dispatch(&self) -> &D {
        &self.dispatch
    }
}

const fn method(name: &'static str) -> MethodInfo {
    MethodInfo {
        name,
        timeout: None,
        blocking: false,
    }
}

impl<D: Dispatch<Supervisor>> SupervisorMethods<D> {
    /// The children, in start order (OTP's `which_children/1`);
    /// [`Children::get`] gives a typed reference.
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
    /// for child in supervisor.children().await?.iter() {
    ///     println!("{}: running {}", child.name(), child.is_running());
    /// }
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn children(&self) -> D::Ask<(), Children> {
        self.dispatch.ask(method("children"), (), |(), reply| {
            SupervisorMsg::Children(reply)
        })
    }

    /// Adds and starts a child (OTP's `start_child/2`); it is last in the
    /// start order. Answers once the child got past its `on_start`.
    ///
    /// # Errors
    ///
    /// The answer is [`Error::NameTaken`] if a child of that name exists,
    /// and [`Error::ChildStart`] if the child fails to start (it is then not
    /// added); the call itself fails as any ask does.
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
    /// supervisor.start_child(ChildSpec::new("late", Worker::default)).await??;
    /// supervisor.children().await?.get::<Worker>("late")?.ping().await?;
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn start_child(&self, spec: ChildSpec) -> D::Ask<(ChildSpec,), Result<(), Error>> {
        self.dispatch
            .ask(method("start_child"), (spec,), |(spec,), reply| {
                SupervisorMsg::StartChild(spec, reply)
            })
    }

    /// Starts again the terminated child named `name` (OTP's
    /// `restart_child/2`), as a new actor. Manual restarts do not count
    /// toward the intensity.
    ///
    /// # Errors
    ///
    /// The answer is [`Error::ChildRunning`] if it runs,
    /// [`Error::NoSuchChild`] if there is no such child,
    /// [`Error::ChildStart`] if it fails to start.
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
    /// supervisor.terminate_child("worker".into()).await??;
    /// supervisor.restart_child("worker".into()).await??;
    /// assert!(supervisor.children().await?.iter().all(|child| child.is_running()));
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn restart_child(&self, name: String) -> D::Ask<(String,), Result<(), Error>> {
        self.dispatch
            .ask(method("restart_child"), (name,), |(name,), reply| {
                SupervisorMsg::RestartChild(name, reply)
            })
    }

    /// Terminates the child named `name` (OTP's `terminate_child/2`): it
    /// stays terminated until `restart_child`, and a temporary child is
    /// forgotten.
    ///
    /// # Errors
    ///
    /// The answer is [`Error::NoSuchChild`] if there is no such child.
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
    /// supervisor.terminate_child("worker".into()).await??;
    /// assert!(supervisor.children().await?.get::<Worker>("worker").is_err());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn terminate_child(&self, name: String) -> D::Ask<(String,), Result<(), Error>> {
        self.dispatch
            .ask(method("terminate_child"), (name,), |(name,), reply| {
                SupervisorMsg::TerminateChild(name, reply)
            })
    }

    /// Forgets the terminated child named `name` (OTP's `delete_child/2`).
    ///
    /// # Errors
    ///
    /// The answer is [`Error::ChildRunning`] if it runs,
    /// [`Error::NoSuchChild`] if there is no such child.
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
    /// supervisor.terminate_child("worker".into()).await??;
    /// supervisor.delete_child("worker".into()).await??;
    /// assert!(supervisor.children().await?.is_empty());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn delete_child(&self, name: String) -> D::Ask<(String,), Result<(), Error>> {
        self.dispatch
            .ask(method("delete_child"), (name,), |(name,), reply| {
                SupervisorMsg::DeleteChild(name, reply)
            })
    }
}
