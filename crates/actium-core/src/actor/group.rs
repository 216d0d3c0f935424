//! One-to-many calls: a [`Group`] of actors of one type.
//!
//! ```
//! use actium::prelude::*;
//! use actium::Group;
//!
//! struct Replica {
//!     value: u64,
//! }
//!
//! #[actor]
//! impl Replica {
//!     #[tell]
//!     fn set(&mut self, value: u64) {
//!         self.value = value;
//!     }
//!
//!     #[ask]
//!     fn get(&self) -> u64 {
//!         self.value
//!     }
//! }
//!
//! actium::launch(Mode::Tasks, async {
//!     let replicas: Group<Replica> = (0..3).map(|_| Replica { value: 0 }.spawn()).collect();
//!     replicas.tell_all().set(7).send();                  // multicast
//!     let all = replicas.ask_all().get().await;           // gather: one reply per member
//!     assert_eq!(all.into_values()?, [7, 7, 7]);
//!     let fastest = replicas.first(1).get().await?;       // the first answer
//!     assert_eq!(fastest.into_values()?, [7]);
//!     let majority = replicas.quorum().get().await?;      // two of three
//!     assert_eq!(majority.len(), 2);
//!     Ok::<(), actium::Error>(())
//! })?;
//! # Ok::<(), actium::Error>(())
//! ```
//!
//! The group's methods are the actor's own, delivered to every member. A
//! call's arguments are cloned for each member, so they must be `Clone`
//! (checked where the call is sent). Every member gets its own request, with
//! one deadline for all; per-member failures are reported beside the
//! answers, never swallowed.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::actor::{Actor, ActorRef, Dispatch, MethodInfo, Methods};
use crate::base::{ActorId, Error};
use crate::call::{Ask, Reply};

/// Actors of one type, called together.
pub struct Group<A: Actor> {
    members: Arc<[ActorRef<A>]>,
}

impl<A: Actor> Group<A> {
    /// A group of these members, in this order.
    pub fn new(members: impl IntoIterator<Item = ActorRef<A>>) -> Self {
        Group {
            members: members.into_iter().collect(),
        }
    }

    /// The members, in order.
    pub fn members(&self) -> &[ActorRef<A>] {
        &self.members
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Multicast: `group.tell_all().method(args).send()` sends the call to
    /// every member and returns at once with who could not be reached.
    /// Request-reply methods are sent too, and their answers discarded.
    pub fn tell_all(&self) -> A::Methods<Multicast<A>> {
        Methods::new(Multicast {
            members: self.members.clone(),
        })
    }

    /// Gather: `group.ask_all().method(args).await` asks every member and
    /// resolves once all have answered, failed, or passed the deadline,
    /// with one [`MemberReply`] per member, in member order.
    pub fn ask_all(&self) -> A::Methods<Gather<A>> {
        Methods::new(Gather {
            members: self.members.clone(),
        })
    }

    /// `group.first(k).method(args).await` asks every member and resolves
    /// as soon as `k` have answered successfully (the others' answers are
    /// discarded), or fails with [`Error::NotEnoughReplies`] as soon as too
    /// many have failed for `k` to be reached.
    pub fn first(&self, k: usize) -> A::Methods<FirstOf<A>> {
        Methods::new(FirstOf {
            members: self.members.clone(),
            needed: k,
        })
    }

    /// [`first`](Group::first) with a strict majority: `len / 2 + 1`.
    pub fn quorum(&self) -> A::Methods<FirstOf<A>> {
        self.first(self.members.len() / 2 + 1)
    }
}

impl<A: Actor> Clone for Group<A> {
    fn clone(&self) -> Self {
        Group {
            members: self.members.clone(),
        }
    }
}

impl<A: Actor> FromIterator<ActorRef<A>> for Group<A> {
    fn from_iter<I: IntoIterator<Item = ActorRef<A>>>(members: I) -> Self {
        Group::new(members)
    }
}

impl<A: Actor> std::fmt::Debug for Group<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.members.iter()).finish()
    }
}

/// One member's answer to a group call.
#[derive(Debug)]
pub struct MemberReply<R> {
    /// The member.
    pub member: ActorId,
    /// Its answer, or why there is none.
    pub result: Result<R, Error>,
}

/// The answers to a group call, one per member that answered.
#[derive(Debug)]
pub struct Replies<R> {
    replies: Vec<MemberReply<R>>,
}

impl<R> Replies<R> {
    /// How many answers (successful or not) there are.
    pub fn len(&self) -> usize {
        self.replies.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }

    /// Every answer.
    pub fn iter(&self) -> std::slice::Iter<'_, MemberReply<R>> {
        self.replies.iter()
    }

    /// The successful answers, with their members.
    pub fn successes(&self) -> impl Iterator<Item = (ActorId, &R)> {
        self.replies
            .iter()
            .filter_map(|r| r.result.as_ref().ok().map(|value| (r.member, value)))
    }

    /// The failures, with their members.
    pub fn failures(&self) -> impl Iterator<Item = (ActorId, &Error)> {
        self.replies
            .iter()
            .filter_map(|r| r.result.as_ref().err().map(|error| (r.member, error)))
    }

    /// Whether every member answered successfully.
    pub fn all_succeeded(&self) -> bool {
        self.replies.iter().all(|r| r.result.is_ok())
    }

    /// The values, if every member answered successfully.
    ///
    /// # Errors
    ///
    /// The first member's error, in order.
    pub fn into_values(self) -> Result<Vec<R>, Error> {
        self.replies.into_iter().map(|r| r.result).collect()
    }
}

impl<R> IntoIterator for Replies<R> {
    type Item = MemberReply<R>;
    type IntoIter = std::vec::IntoIter<MemberReply<R>>;

    fn into_iter(self) -> Self::IntoIter {
        self.replies.into_iter()
    }
}

/// Builds one member's message from the call's arguments.
type Make<A, Args> = Box<dyn Fn(Args) -> <A as Actor>::Msg + Send + Sync>;

/// A multicast, ready to [`send`](MulticastCall::send).
#[must_use = "nothing is sent until `send` is called"]
pub struct MulticastCall<A: Actor, Args> {
    members: Arc<[ActorRef<A>]>,
    method: MethodInfo,
    args: Args,
    make: Make<A, Args>,
}

impl<A: Actor, Args: Clone + Send + 'static> MulticastCall<A, Args> {
    /// Sends the call to every member; returns at once. The reply per member
    /// says whether it was delivered ([`Error::ActorStopped`],
    /// [`Error::MailboxFull`] otherwise).
    pub fn send(self) -> Replies<()> {
        let MulticastCall {
            members,
            method,
            args,
            make,
        } = self;
        let replies = members
            .iter()
            .map(|member| MemberReply {
                member: member.id(),
                result: member.endpoint().push(method.name, make(args.clone())),
            })
            .collect();
        Replies { replies }
    }
}

fn multicast<A: Actor, Args: Send + 'static>(
    members: &Arc<[ActorRef<A>]>,
    method: MethodInfo,
    args: Args,
    make: Make<A, Args>,
) -> MulticastCall<A, Args> {
    MulticastCall {
        members: members.clone(),
        method,
        args,
        make,
    }
}

fn tell_maker<A: Actor, Args: 'static>(make: fn(Args) -> A::Msg) -> Make<A, Args> {
    Box::new(make)
}

fn ask_maker<A: Actor, Args: 'static, R: Send + 'static>(
    make: fn(Args, Reply<R>) -> A::Msg,
) -> Make<A, Args> {
    Box::new(move |args| make(args, Reply::detached()))
}

/// Delivers a call to every member, discarding answers. From
/// [`Group::tell_all`].
#[doc(hidden)]
pub struct Multicast<A: Actor> {
    members: Arc<[ActorRef<A>]>,
}

impl<A: Actor> Dispatch<A> for Multicast<A> {
    type Tell<Args: Send + 'static> = MulticastCall<A, Args>;
    type Ask<Args: Send + 'static, R: Send + 'static> = MulticastCall<A, Args>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> MulticastCall<A, Args> {
        multicast(&self.members, method, args, tell_maker::<A, Args>(make))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> MulticastCall<A, Args> {
        multicast(&self.members, method, args, ask_maker::<A, Args, R>(make))
    }
}

/// Asks every member and gathers all answers. From [`Group::ask_all`].
#[doc(hidden)]
pub struct Gather<A: Actor> {
    members: Arc<[ActorRef<A>]>,
}

impl<A: Actor> Dispatch<A> for Gather<A> {
    type Tell<Args: Send + 'static> = MulticastCall<A, Args>;
    type Ask<Args: Send + 'static, R: Send + 'static> = GatherCall<A, Args, R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> MulticastCall<A, Args> {
        multicast(&self.members, method, args, tell_maker::<A, Args>(make))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> GatherCall<A, Args, R> {
        GatherCall(Call {
            members: self.members.clone(),
            method,
            args,
            make,
        })
    }
}

/// Asks every member and takes the first `k` successful answers. From
/// [`Group::first`] and [`Group::quorum`].
#[doc(hidden)]
pub struct FirstOf<A: Actor> {
    members: Arc<[ActorRef<A>]>,
    needed: usize,
}

impl<A: Actor> Dispatch<A> for FirstOf<A> {
    type Tell<Args: Send + 'static> = MulticastCall<A, Args>;
    type Ask<Args: Send + 'static, R: Send + 'static> = FirstCall<A, Args, R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> MulticastCall<A, Args> {
        multicast(&self.members, method, args, tell_maker::<A, Args>(make))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> FirstCall<A, Args, R> {
        FirstCall {
            call: Call {
                members: self.members.clone(),
                method,
                args,
                make,
            },
            needed: self.needed,
        }
    }
}

/// A request-reply to every member, not sent yet.
struct Call<A: Actor, Args, R: Send + 'static> {
    members: Arc<[ActorRef<A>]>,
    method: MethodInfo,
    args: Args,
    make: fn(Args, Reply<R>) -> A::Msg,
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

/// `ask_all`: resolves to one [`MemberReply`] per member, in member order,
/// once every member has answered, failed, or passed the deadline.
#[must_use = "nothing is sent until the call is awaited"]
pub struct GatherCall<A: Actor, Args, R: Send + 'static>(Call<A, Args, R>);

impl<A: Actor, Args, R: Send + 'static> GatherCall<A, Args, R> {
    /// Sets the one deadline shared by every member, overriding the
    /// method's and the system's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.0.method.timeout = Some(timeout);
        self
    }
}

impl<A: Actor, Args: Clone + Send + 'static, R: Send + 'static> IntoFuture
    for GatherCall<A, Args, R>
{
    type Output = Replies<R>;
    type IntoFuture = Gathering<R>;

    fn into_future(self) -> Gathering<R> {
        Gathering(Answers::new(self.0.send()))
    }
}

/// `first(k)` / `quorum`: resolves with the first `k` successful answers
/// (in the order they came), or fails with [`Error::NotEnoughReplies`] as
/// soon as `k` can no longer be reached.
#[must_use = "nothing is sent until the call is awaited"]
pub struct FirstCall<A: Actor, Args, R: Send + 'static> {
    call: Call<A, Args, R>,
    needed: usize,
}

impl<A: Actor, Args, R: Send + 'static> FirstCall<A, Args, R> {
    /// Sets the one deadline shared by every member, overriding the
    /// method's and the system's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.call.method.timeout = Some(timeout);
        self
    }
}

impl<A: Actor, Args: Clone + Send + 'static, R: Send + 'static> IntoFuture
    for FirstCall<A, Args, R>
{
    type Output = Result<Replies<R>, Error>;
    type IntoFuture = FirstAnswers<R>;

    fn into_future(self) -> FirstAnswers<R> {
        FirstAnswers {
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

/// The future of [`GatherCall`].
#[must_use = "futures do nothing unless awaited"]
pub struct Gathering<R: Send + 'static>(Answers<R>);

impl<R: Send + 'static> Future for Gathering<R> {
    type Output = Replies<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Replies<R>> {
        let answers = &mut self.get_mut().0;
        if answers.poll_all(cx, false) > 0 {
            return Poll::Pending;
        }
        let replies = answers.by_member.drain(..).flatten().collect();
        Poll::Ready(Replies { replies })
    }
}

// Neither future pins what it holds: answers are moved, never projected.
impl<R: Send + 'static> Unpin for Gathering<R> {}
impl<R: Send + 'static> Unpin for FirstAnswers<R> {}

/// The future of [`FirstCall`].
#[must_use = "futures do nothing unless awaited"]
pub struct FirstAnswers<R: Send + 'static> {
    answers: Answers<R>,
    needed: usize,
}

impl<R: Send + 'static> Future for FirstAnswers<R> {
    type Output = Result<Replies<R>, Error>;

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
            return Poll::Ready(Ok(Replies { replies }));
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
