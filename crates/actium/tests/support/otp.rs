//! What the OTP conformance tests (`otp_*.rs`) share: a bound on every
//! wait, a process in the Erlang sense that logs the signals it gets, and
//! a supervised child that journals its starts and stops.
// Each test file that includes this uses only a part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::Event;
use actium::prelude::*;
use actium::supervisor::{ChildSpec, Supervisor};
use actium::{Monitor, MonitorRef};

/// How long any one awaited event may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(10);

/// `future`, or a test failure after [`LIMIT`] instead of a hang.
pub async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("did not happen within {LIMIT:?}"),
    }
}

/// A process in the Erlang sense: it links, monitors, sends exit signals,
/// traps exits, and logs every signal it receives.
#[derive(Default)]
pub struct Proc {
    pub log: Vec<String>,
    pub downs: Vec<MonitorRef>,
}

#[actor(on_panic = "stop")]
impl Proc {
    #[ask]
    pub fn trap(&mut self, ctx: &mut Context<Self>, on: bool) {
        ctx.trap_exit(on);
    }

    #[ask]
    pub fn link(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) {
        ctx.link(&other);
    }

    #[ask]
    pub fn unlink(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) {
        ctx.unlink(&other);
    }

    #[ask]
    pub fn monitor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>) -> Monitor {
        ctx.monitor(&other)
    }

    #[ask]
    pub fn link_supervisor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Supervisor>) {
        ctx.link(&other);
    }

    #[ask]
    pub fn monitor_supervisor(&mut self, ctx: &mut Context<Self>, other: ActorRef<Supervisor>) {
        ctx.monitor(&other);
    }

    #[ask]
    pub fn link_member(&mut self, ctx: &mut Context<Self>, other: ActorRef<Member>) {
        ctx.link(&other);
    }

    #[ask]
    pub fn monitor_member(&mut self, ctx: &mut Context<Self>, other: ActorRef<Member>) {
        ctx.monitor(&other);
    }

    #[ask]
    pub fn exit(&mut self, ctx: &mut Context<Self>, other: ActorRef<Proc>, reason: ExitReason) {
        ctx.exit(&other, reason);
    }

    #[ask]
    pub fn exit_member(
        &mut self,
        ctx: &mut Context<Self>,
        other: ActorRef<Member>,
        reason: ExitReason,
    ) {
        ctx.exit(&other, reason);
    }

    /// `exit(self(), Reason)`.
    #[tell]
    pub fn exit_self(&mut self, ctx: &mut Context<Self>, reason: ExitReason) {
        ctx.exit(&ctx.myself(), reason);
    }

    /// Spawns a supervisor linked to this process (as `start_link` would).
    #[ask]
    pub fn start_supervisor(
        &mut self,
        ctx: &mut Context<Self>,
        supervisor: Supervisor,
    ) -> Result<ActorRef<Supervisor>, Error> {
        ctx.spawn_link(supervisor)
    }

    #[tell]
    pub fn crash(&mut self) {
        panic!("proc crashed");
    }

    #[tell]
    pub fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    #[tell]
    pub fn fail(&mut self, ctx: &mut Context<Self>, why: String) {
        ctx.fail(why);
    }

    #[ask]
    pub fn ping(&self) -> u8 {
        1
    }

    #[on_exit]
    pub fn exited(&mut self, exit: Exit) {
        self.log
            .push(format!("exit {} {}", exit.actor, exit.reason));
    }

    #[on_down]
    pub fn down(&mut self, down: Down) {
        self.downs.push(down.monitor);
        self.log
            .push(format!("down {} {}", down.actor, down.reason));
    }

    #[ask]
    pub fn log(&self) -> Vec<String> {
        self.log.clone()
    }

    #[ask]
    pub fn downs(&self) -> Vec<MonitorRef> {
        self.downs.clone()
    }
}

pub fn spawn_proc() -> ActorRef<Proc> {
    Proc::default().spawn()
}

pub async fn trapping() -> actium::Result<ActorRef<Proc>> {
    let proc = spawn_proc();
    proc.trap(true).await?;
    Ok(proc)
}

/// Waits until `proc`'s log holds `n` lines (signals are delivered
/// asynchronously), then returns it.
pub async fn log_of(proc: &ActorRef<Proc>, n: usize) -> actium::Result<Vec<String>> {
    bounded(async {
        loop {
            let log = proc.log().await?;
            if log.len() >= n {
                return Ok(log);
            }
            tokio::task::yield_now().await;
        }
    })
    .await
}

pub type Journal = Arc<Mutex<Vec<String>>>;

pub fn lines(journal: &Journal) -> Vec<String> {
    journal.lock().expect("journal").clone()
}

pub fn clear(journal: &Journal) {
    journal.lock().expect("journal").clear();
}

/// A supervised child that journals its starts and stops.
pub struct Member {
    pub name: &'static str,
    pub journal: Journal,
    pub jobs: u32,
}

#[actor]
impl Member {
    #[on_start]
    pub fn start(&mut self) {
        self.note("start");
    }

    #[on_stop]
    pub fn stop(&mut self) {
        self.note("stop");
    }

    /// Counts this incarnation's jobs: 1 means a fresh incarnation.
    #[ask]
    pub fn work(&mut self) -> u32 {
        self.jobs += 1;
        self.jobs
    }

    /// Waits until `release` fires.
    #[ask]
    pub async fn hold(&self, entered: Event, release: Event) {
        entered.fire();
        release.wait().await;
    }

    #[ask]
    pub fn trap(&mut self, ctx: &mut Context<Self>) {
        ctx.trap_exit(true);
    }

    #[tell]
    pub fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    #[tell]
    pub fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }

    pub fn note(&self, what: &str) {
        let line = format!("{what} {}", self.name);
        self.journal.lock().expect("journal").push(line);
    }
}

pub fn member(name: &'static str, journal: &Journal) -> ChildSpec {
    let journal = journal.clone();
    ChildSpec::new(name, move || Member {
        name,
        journal: journal.clone(),
        jobs: 0,
    })
}

pub async fn child(
    supervisor: &ActorRef<Supervisor>,
    name: &str,
) -> actium::Result<ActorRef<Member>> {
    supervisor.children().await?.get::<Member>(name)
}

/// The children named `names`, in that order: each looked up as
/// [`child`] does.
pub async fn children<const N: usize>(
    supervisor: &ActorRef<Supervisor>,
    names: [&str; N],
) -> actium::Result<[ActorRef<Member>; N]> {
    let mut found = Vec::with_capacity(N);
    for name in names {
        found.push(child(supervisor, name).await?);
    }
    match found.try_into() {
        Ok(children) => Ok(children),
        Err(_) => unreachable!("one child per name"),
    }
}

pub async fn names(supervisor: &ActorRef<Supervisor>) -> actium::Result<Vec<String>> {
    Ok(supervisor
        .children()
        .await?
        .iter()
        .map(|c| c.name().to_owned())
        .collect())
}

/// Crashes `member` and waits until its next incarnation answers.
pub async fn crash_and_recover(member: &ActorRef<Member>) -> actium::Result<()> {
    member.crash()?;
    assert_eq!(bounded(member.work()).await?, 1, "a fresh incarnation");
    Ok(())
}
