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

mod calls;
mod replies;

use std::sync::Arc;

use crate::actor::{Actor, ActorRef, Dispatch, MethodInfo, Methods};
use crate::call::Reply;
pub use calls::{AskAll, AskAllFuture, AskFirst, AskFirstFuture, TellAll};
use calls::{Call, multicast, tell_maker};
pub use replies::{GroupReplies, MemberReply};

/// Actors of one type, called together.
pub struct Group<A: Actor> {
    members: Arc<[ActorRef<A>]>,
}

impl<A: Actor> Group<A> {
    /// A group of these members, in this order.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let (a, b) = (Counter::default().spawn(), Counter::default().spawn());
    /// let group = Group::new([a.clone(), b]);
    /// assert_eq!(group.members()[0], a);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn new(members: impl IntoIterator<Item = ActorRef<A>>) -> Self {
        Group {
            members: members.into_iter().collect(),
        }
    }

    /// The members, in order.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// for member in group.members() {
    ///     member.incr()?;
    /// }
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn members(&self) -> &[ActorRef<A>] {
        &self.members
    }

    /// How many members there are.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// assert_eq!(group.len(), 3);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are none.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = Group::new([]);
    /// assert!(group.is_empty());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Multicast: `group.tell_all().method(args).send()` sends the call to
    /// every member and returns at once with who could not be reached.
    /// Request-reply methods are sent too, and their answers discarded.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let delivered = group.tell_all().incr().send();
    /// assert!(delivered.all_succeeded());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn tell_all(&self) -> A::Methods<ToMembers<A, Discard>> {
        self.to_members(Discard)
    }

    /// Gather: `group.ask_all().method(args).await` asks every member and
    /// resolves once all have answered, failed, or passed the deadline,
    /// with one [`MemberReply`] per member, in member order.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// group.tell_all().incr().send();
    /// let replies = group.ask_all().get().await;
    /// assert_eq!(replies.into_values()?, [1, 1, 1]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn ask_all(&self) -> A::Methods<ToMembers<A, Gather>> {
        self.to_members(Gather)
    }

    /// `group.first(k).method(args).await` asks every member and resolves
    /// as soon as `k` have answered successfully (the others' answers are
    /// discarded), or fails with [`Error::NotEnoughReplies`](crate::Error::NotEnoughReplies) as soon as too
    /// many have failed for `k` to be reached.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let fastest = group.first(1).get().await?;
    /// assert_eq!(fastest.len(), 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Awaiting the call fails with [`Error::NotEnoughReplies`](crate::Error::NotEnoughReplies) once fewer
    /// than `k` members can still answer successfully.
    pub fn first(&self, k: usize) -> A::Methods<ToMembers<A, FirstOf>> {
        self.to_members(FirstOf(k))
    }

    /// [`first`](Group::first) with a strict majority: `len / 2 + 1`.
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
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = (0..3).map(|_| Counter::default().spawn()).collect();
    /// let majority = group.quorum().get().await?;
    /// assert_eq!(majority.len(), 2);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`first`](Group::first).
    pub fn quorum(&self) -> A::Methods<ToMembers<A, FirstOf>> {
        self.first(self.members.len() / 2 + 1)
    }

    fn to_members<C: Collect<A>>(&self, collect: C) -> A::Methods<ToMembers<A, C>> {
        Methods::new(ToMembers {
            members: self.members.clone(),
            collect,
        })
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

/// The dispatcher of a group's proxies: a call goes to every member, and
/// `C` says how request-replies collect their answers. One-way calls are
/// multicast whatever `C` is.
#[doc(hidden)]
pub struct ToMembers<A: Actor, C> {
    members: Arc<[ActorRef<A>]>,
    collect: C,
}

/// How a group's request-replies collect their answers: the one part of
/// [`ToMembers`] that differs between `tell_all`, `ask_all` and `first`.
#[doc(hidden)]
pub trait Collect<A: Actor>: Send + Sync {
    /// What a request-reply to the group returns.
    type Ask<Args: Send + 'static, R: Send + 'static>;

    /// Turns a request-reply to every member into what the caller gets.
    fn collect<Args: Send + 'static, R: Send + 'static>(
        &self,
        call: Call<A, Args, R>,
    ) -> Self::Ask<Args, R>;
}

impl<A: Actor, C: Collect<A>> Dispatch<A> for ToMembers<A, C> {
    type Tell<Args: Send + 'static> = TellAll<A, Args>;
    type Ask<Args: Send + 'static, R: Send + 'static> = C::Ask<Args, R>;

    fn tell<Args: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args) -> A::Msg,
    ) -> TellAll<A, Args> {
        multicast(&self.members, method, args, tell_maker::<A, Args>(make))
    }

    fn ask<Args: Send + 'static, R: Send + 'static>(
        &self,
        method: MethodInfo,
        args: Args,
        make: fn(Args, Reply<R>) -> A::Msg,
    ) -> C::Ask<Args, R> {
        self.collect.collect(Call {
            members: self.members.clone(),
            method,
            args,
            make,
        })
    }
}

/// Request-replies are multicast too, their answers discarded
/// ([`Group::tell_all`]).
#[doc(hidden)]
pub struct Discard;

impl<A: Actor> Collect<A> for Discard {
    type Ask<Args: Send + 'static, R: Send + 'static> = TellAll<A, Args>;

    fn collect<Args: Send + 'static, R: Send + 'static>(
        &self,
        call: Call<A, Args, R>,
    ) -> TellAll<A, Args> {
        call.into_tell_all()
    }
}

/// Every member's answer ([`Group::ask_all`]).
#[doc(hidden)]
pub struct Gather;

impl<A: Actor> Collect<A> for Gather {
    type Ask<Args: Send + 'static, R: Send + 'static> = AskAll<A, Args, R>;

    fn collect<Args: Send + 'static, R: Send + 'static>(
        &self,
        call: Call<A, Args, R>,
    ) -> AskAll<A, Args, R> {
        AskAll(call)
    }
}

/// The first `k` successful answers ([`Group::first`], [`Group::quorum`]).
#[doc(hidden)]
pub struct FirstOf(usize);

impl<A: Actor> Collect<A> for FirstOf {
    type Ask<Args: Send + 'static, R: Send + 'static> = AskFirst<A, Args, R>;

    fn collect<Args: Send + 'static, R: Send + 'static>(
        &self,
        call: Call<A, Args, R>,
    ) -> AskFirst<A, Args, R> {
        AskFirst {
            call,
            needed: self.0,
        }
    }
}
