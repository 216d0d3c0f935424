//! What a group call gives back: one [`MemberReply`] per member, gathered
//! in [`GroupReplies`].

use crate::base::{ActorId, Error};

/// One member's answer to a group call.
#[derive(Debug)]
pub struct MemberReply<R> {
    /// The member.
    pub member: ActorId,
    /// Its answer, or why there is none.
    pub result: Result<R, Error>,
}

/// The answers to a group call, one [`MemberReply`] per member that
/// answered: what awaiting [`AskAll`](super::AskAll) and
/// [`AskFirst`](super::AskFirst) gives, and, with `R = ()`, what
/// [`TellAll::send`](super::TellAll::send) reports about delivery.
#[derive(Debug)]
pub struct GroupReplies<R> {
    pub(super) replies: Vec<MemberReply<R>>,
}

impl<R> GroupReplies<R> {
    /// How many answers (successful or not) there are.
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
    /// assert_eq!(group.ask_all().get().await.len(), 3);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.replies.len()
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
    /// # use std::time::Duration;
    /// # actium::launch(Mode::Tasks, async {
    /// let group: Group<Counter> = Group::new([]);
    /// assert!(group.ask_all().get().await.is_empty());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }

    /// Every answer.
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
    /// for reply in group.ask_all().get().await.iter() {
    ///     println!("{}: {:?}", reply.member, reply.result);
    /// }
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, MemberReply<R>> {
        self.replies.iter()
    }

    /// The successful answers, with their members.
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
    /// let replies = group.ask_all().get().await;
    /// let total: u64 = replies.successes().map(|(_, n)| n).sum();
    /// assert_eq!(total, 0);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn successes(&self) -> impl Iterator<Item = (ActorId, &R)> {
        self.replies
            .iter()
            .filter_map(|r| r.result.as_ref().ok().map(|value| (r.member, value)))
    }

    /// The failures, with their members.
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
    /// group.members()[0].stop();
    /// group.members()[0].stopped().await;
    /// let replies = group.ask_all().get().await;
    /// assert_eq!(replies.failures().count(), 1);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = (ActorId, &Error)> {
        self.replies
            .iter()
            .filter_map(|r| r.result.as_ref().err().map(|error| (r.member, error)))
    }

    /// Whether every member answered successfully.
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
    /// assert!(group.ask_all().get().await.all_succeeded());
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn all_succeeded(&self) -> bool {
        self.replies.iter().all(|r| r.result.is_ok())
    }

    /// The values, if every member answered successfully.
    ///
    /// # Errors
    ///
    /// The first member's error, in order.
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
    /// assert_eq!(group.ask_all().get().await.into_values()?, [0, 0, 0]);
    /// # Ok::<(), actium::Error>(()) })?; Ok::<(), actium::Error>(())
    /// ```
    pub fn into_values(self) -> Result<Vec<R>, Error> {
        self.replies.into_iter().map(|r| r.result).collect()
    }
}

impl<R> IntoIterator for GroupReplies<R> {
    type Item = MemberReply<R>;
    type IntoIter = std::vec::IntoIter<MemberReply<R>>;

    fn into_iter(self) -> Self::IntoIter {
        self.replies.into_iter()
    }
}
