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

impl<R> IntoIterator for GroupReplies<R> {
    type Item = MemberReply<R>;
    type IntoIter = std::vec::IntoIter<MemberReply<R>>;

    fn into_iter(self) -> Self::IntoIter {
        self.replies.into_iter()
    }
}
