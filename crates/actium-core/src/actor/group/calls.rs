//! The calls a [`Group`](super::Group) makes: [`TellAll`] (multicast),
//! [`AskAll`] (gather) and [`AskFirst`] (first `k` answers), and the
//! futures that collect their answers.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{GroupReplies, MemberReply};
use crate::actor::{Actor, ActorRef, Dispatch, MethodInfo};
use crate::base::{ActorId, Error};
use crate::call::{Ask, Reply};

/// Builds one member's message from the call's arguments.
type Make<A, Args> = Box<dyn Fn(Args) -> <A as Actor>::Msg + Send + Sync>;

/// A multicast from [`Group::tell_all`](super::Group::tell_all): one call
/// for every member, sent by [`send`](TellAll::send).
#[must_use = "nothing is sent until `send` is called"]
pub struct TellAll<A: Actor, Args> {
    members: Arc<[ActorRef<A>]>,
    method: MethodInfo,
    args: Args,
    make: Make<A, Args>,
}

impl<A: Actor, Args: Clone + Send + 'static> TellAll<A, Args> {
    /// Sends the call to every member; returns at once. The reply per member
    /// says whether it was delivered ([`Error::ActorStopped`],
    /// [`Error::MailboxFull`] otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # use actium::Group;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let delivered = group.tell_all().incr().send();
    /// assert_eq!(delivered.successes().count(), 3);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn send(self) -> GroupReplies<()> {
        let TellAll {
            members,
            method,
            args,
            make,
        } = self;
        let replies = members
            .iter()
            .map(|member| MemberReply {
                member: member.id(),
                result: member.endpoint().push(method.name, || make(args.clone())),
            })
            .collect();
        GroupReplies { replies }
    }
}

pub(super) fn multicast<A: Actor, Args: Send + 'static>(
    members: &Arc<[ActorRef<A>]>,
    method: MethodInfo,
    args: Args,
    make: Make<A, Args>,
) -> TellAll<A, Args> {
    TellAll {
        members: members.clone(),
        method,
        args,
        make,
    }
}

pub(super) fn tell_maker<A: Actor, Args: 'static>(make: fn(Args) -> A::Msg) -> Make<A, Args> {
    Box::new(make)
}

fn ask_maker<A: Actor, Args: 'static, R: Send + 'static>(
    make: fn(Args, Reply<R>) -> A::Msg,
) -> Make<A, Args> {
    Box::new(move |args| make(args, Reply::detached()))
}

/// A request-reply to every member, not sent yet: what a group's
/// dispatcher hands its [`Collect`](super::Collect) strategy. Public only
/// because that hidden trait names it; nothing outside `group` can build
/// one.
pub struct Call<A: Actor, Args, R: Send + 'static> {
    pub(super) members: Arc<[ActorRef<A>]>,
    pub(super) method: MethodInfo,
    pub(super) args: Args,
    pub(super) make: fn(Args, Reply<R>) -> A::Msg,
}

impl<A: Actor, Args: Send + 'static, R: Send + 'static> Call<A, Args, R> {
    /// The same call as a multicast whose answers are discarded.
    pub(super) fn into_tell_all(self) -> TellAll<A, Args> {
        multicast(
            &self.members,
            self.method,
            self.args,
            ask_maker::<A, Args, R>(self.make),
        )
    }
}

impl<A: Actor, Args: Clone + Send + 'static, R: Send + 'static> Call<A, Args, R> {
    /// Sends one request per member.
    fn send(self) -> Vec<(ActorId, Option<Ask<R>>)> {
        let Call {
            members,
            method,
            args,
            make,
        } = self;
        members
            .iter()
            .map(|member| {
                let ask = member.endpoint().ask(method, args.clone(), make);
                let ask = match method.timeout {
                    Some(timeout) => ask.timeout(timeout),
                    None => ask,
                };
                (member.id(), Some(ask))
            })
            .collect()
    }
}

/// A gather from [`Group::ask_all`](super::Group::ask_all): asks every
/// member when awaited, and resolves to one [`MemberReply`] per member, in
/// member order, once every member has answered, failed, or passed the
/// deadline.
#[must_use = "nothing is sent until the call is awaited"]
pub struct AskAll<A: Actor, Args, R: Send + 'static>(pub(super) Call<A, Args, R>);

impl<A: Actor, Args, R: Send + 'static> AskAll<A, Args, R> {
    /// Sets the one deadline shared by every member, overriding the
    /// method's and the system's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # use actium::Group;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let replies = group.ask_all().get().timeout(Duration::from_secs(1)).await;
    /// assert!(replies.all_succeeded());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.0.method.timeout = Some(timeout);
        self
    }
}

impl<A: Actor, Args: Clone + Send + 'static, R: Send + 'static> IntoFuture for AskAll<A, Args, R> {
    type Output = GroupReplies<R>;
    type IntoFuture = AskAllFuture<R>;

    fn into_future(self) -> AskAllFuture<R> {
        AskAllFuture(Answers::new(self.0.send()))
    }
}

/// A first-k call from [`Group::first`](super::Group::first) or
/// [`Group::quorum`](super::Group::quorum): asks every member when
/// awaited, and resolves with the first `k` successful answers (in the
/// order they came), or fails with [`Error::NotEnoughReplies`] as soon as
/// `k` can no longer be reached.
#[must_use = "nothing is sent until the call is awaited"]
pub struct AskFirst<A: Actor, Args, R: Send + 'static> {
    pub(super) call: Call<A, Args, R>,
    pub(super) needed: usize,
}

impl<A: Actor, Args, R: Send + 'static> AskFirst<A, Args, R> {
    /// Sets the one deadline shared by every member, overriding the
    /// method's and the system's.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actium::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[actor] impl Counter {
    /// #     #[tell] fn incr(&mut self) { self.n += 1; }
    /// #     #[ask] fn get(&self) -> u64 { self.n }
    /// # }
    /// # use actium::Group;
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let first = group.first(2).get().timeout(Duration::from_secs(1)).await?;
    /// assert_eq!(first.len(), 2);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.call.method.timeout = Some(timeout);
        self
    }
}

impl<A: Actor, Args: Clone + Send + 'static, R: Send + 'static> IntoFuture
    for AskFirst<A, Args, R>
{
    type Output = Result<GroupReplies<R>, Error>;
    type IntoFuture = AskFirstFuture<R>;

    fn into_future(self) -> AskFirstFuture<R> {
        AskFirstFuture {
            answers: Answers::new(self.call.send()),
            needed: self.needed,
        }
    }
}

/// Answers arriving from several members.
struct Answers<R: Send + 'static> {
    asks: Vec<(ActorId, Option<Ask<R>>)>,
    /// Answers in member order (gather) — filled as they come.
    by_member: Vec<Option<MemberReply<R>>>,
    /// Successful answers in arrival order (first-k).
    successes: Vec<MemberReply<R>>,
    failures: Vec<Error>,
}

impl<R: Send + 'static> Answers<R> {
    fn new(asks: Vec<(ActorId, Option<Ask<R>>)>) -> Self {
        let by_member = asks.iter().map(|_| None).collect();
        Answers {
            asks,
            by_member,
            successes: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Polls every pending ask; returns how many are still pending.
    /// `keep_successes` routes successful answers to `successes` (first-k)
    /// rather than `by_member` (gather).
    fn poll_all(&mut self, cx: &mut Context<'_>, keep_successes: bool) -> usize {
        let mut pending = 0;
        for (index, (member, slot)) in self.asks.iter_mut().enumerate() {
            let Some(ask) = slot else { continue };
            let Poll::Ready(result) = Pin::new(ask).poll(cx) else {
                pending += 1;
                continue;
            };
            *slot = None;
            let member = *member;
            match result {
                Ok(value) if keep_successes => self.successes.push(MemberReply {
                    member,
                    result: Ok(value),
                }),
                Err(error) if keep_successes => self.failures.push(error),
                result => self.by_member[index] = Some(MemberReply { member, result }),
            }
        }
        pending
    }
}

/// The future of an awaited [`AskAll`]: the answers coming in.
#[must_use = "futures do nothing unless awaited"]
pub struct AskAllFuture<R: Send + 'static>(Answers<R>);

impl<R: Send + 'static> Future for AskAllFuture<R> {
    type Output = GroupReplies<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<GroupReplies<R>> {
        let answers = &mut self.get_mut().0;
        if answers.poll_all(cx, false) > 0 {
            return Poll::Pending;
        }
        let replies = answers.by_member.drain(..).flatten().collect();
        Poll::Ready(GroupReplies { replies })
    }
}

// Neither future pins what it holds: answers are moved, never projected.
impl<R: Send + 'static> Unpin for AskAllFuture<R> {}
impl<R: Send + 'static> Unpin for AskFirstFuture<R> {}

/// The future of an awaited [`AskFirst`]: the answers coming in.
#[must_use = "futures do nothing unless awaited"]
pub struct AskFirstFuture<R: Send + 'static> {
    answers: Answers<R>,
    needed: usize,
}

impl<R: Send + 'static> Future for AskFirstFuture<R> {
    type Output = Result<GroupReplies<R>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let needed = this.needed;
        let total = this.answers.asks.len();
        let pending = if this.answers.successes.len() >= needed {
            0
        } else {
            this.answers.poll_all(cx, true)
        };
        let answers = &mut this.answers;
        if answers.successes.len() >= needed {
            // Enough: stop waiting for the others (their answers are dropped).
            answers.asks.clear();
            answers.successes.truncate(needed);
            let replies = std::mem::take(&mut answers.successes);
            return Poll::Ready(Ok(GroupReplies { replies }));
        }
        if total - answers.failures.len() < needed || pending == 0 {
            answers.asks.clear();
            return Poll::Ready(Err(Error::NotEnoughReplies {
                needed,
                succeeded: answers.successes.len(),
                failures: std::mem::take(&mut answers.failures),
            }));
        }
        Poll::Pending
    }
}
