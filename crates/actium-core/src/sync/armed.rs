//! A mailbox's armed receiver: the waiting actor loop's waker, kept under
//! the mailbox's lock, and a flag saying it is there, which the loop reads
//! without the lock.
//!
//! The mailbox (see `mailbox`) guards its queue and its receiver's waker
//! with one lock, so a sender that queues mail and takes the waker to wake
//! it cannot miss a receiver that is about to wait. The loop of an actor
//! takes that lock once per batch of mail; to save the second lock a
//! request-reply round trip would otherwise cost, it may also wait
//! *without* it, when it finds the mailbox **armed**.
//!
//! # Protocol
//!
//! - [`ReceiverWaker`] lives under the lock; every method that writes the
//!   flag takes it by `&mut`, which only the lock's holder has. So the flag
//!   changes only under the lock, together with the waker.
//! - **Armed** means: the receiver's waker is registered, and nothing was
//!   queued and no stop was requested since (the receiver arms when it
//!   leaves the queue empty; whoever queues mail or requests a stop
//!   [`disarm`](Armed::disarm)s under the lock, taking the waker to wake
//!   it once the lock is released).
//! - The receiver's loop, which is always polled by the same task, so the
//!   waker it armed is still its own, reads the flag without the lock
//!   ([`is_armed`](Armed::is_armed)). If it reads "armed" it may return
//!   `Pending`: if mail came meanwhile and its sender's disarm is not yet
//!   visible, that sender took the loop's waker and wakes it after
//!   unlocking, so the loop is polled again and then sees the flag clear
//!   (the wake orders it). If it reads "not armed" it takes the lock.
//!
//! Loom checks this with the real mailbox (`mailbox::loom_tests`): no
//! message or stop request is ever slept beside.

use std::task::Waker;

use crate::sync::{AtomicBool, Ordering};

/// The receiver's waker, kept under the mailbox's lock.
#[derive(Debug, Default)]
pub(crate) struct ReceiverWaker(Option<Waker>);

/// Whether the receiver's waker is registered and nothing arrived since:
/// written under the lock (through [`ReceiverWaker`]), read without it.
#[derive(Debug)]
pub(crate) struct Armed(AtomicBool);

impl Armed {
    pub(crate) fn new() -> Self {
        Armed(AtomicBool::new(false))
    }

    /// Registers `waker` as the receiver's (cloning it only if it changed)
    /// and arms: the receiver's queue is empty under the lock.
    #[inline]
    pub(crate) fn arm(&self, receiver: &mut ReceiverWaker, waker: &Waker) {
        match &mut receiver.0 {
            Some(current) if current.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        self.0.store(true, Ordering::Release);
    }

    /// Arms with `waker`, given by value (a dormant actor's first waker).
    #[inline]
    pub(crate) fn arm_with(&self, receiver: &mut ReceiverWaker, waker: Waker) {
        receiver.0 = Some(waker);
        self.0.store(true, Ordering::Release);
    }

    /// Takes the receiver's waker, for the caller to wake once the lock is
    /// released (mail was queued, or a stop requested), and disarms.
    #[inline]
    pub(crate) fn disarm(&self, receiver: &mut ReceiverWaker) -> Option<Waker> {
        // Looked at before it is taken: while the loop is busy there is no
        // waker, and a sender then writes nothing here, only the mailbox's
        // lock and queue (see `Mailbox`'s layout).
        receiver.0.as_ref()?;
        self.0.store(false, Ordering::Release);
        receiver.0.take()
    }

    /// Disarms but keeps the waker: mail is queued that the receiver must
    /// come back for (a bounded mailbox hands out one at a time; mail put
    /// back for a restarted incarnation).
    #[inline]
    pub(crate) fn must_look(&self, _locked: &mut ReceiverWaker) {
        self.0.store(false, Ordering::Release);
    }

    /// Without the lock, for the receiver's loop only: whether its waker is
    /// still armed, so nothing came since it last looked and it may wait.
    #[inline]
    pub(crate) fn is_armed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}
