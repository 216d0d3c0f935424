//! Lock-free primitives, written against a shim so that `loom` can check
//! every interleaving of their atomics.
//!
//! - [`slot`]: the reply slot of a request-reply, completed once, taken
//!   once, and expirable by the deadline sweeper;
//! - [`armed`]: a mailbox's armed receiver, the flag its actor loop reads
//!   without the mailbox's lock;
//! - [`alarm`]: when the deadline sweeper looks next, and how a new
//!   deadline that needs it sooner wakes it;
//! - [`offer`]: an idle actor loop's state, offered to a caller that would
//!   otherwise wake it, and taken back without a lock.
//!
//! They use nothing else of the crate. Build with
//! `RUSTFLAGS="--cfg actium_loom"` to swap the std types for loom's and run
//! the model tests (every test module named `loom_tests`, the mailbox's
//! among them, which runs the real mailbox on loom's lock): `scripts/test`
//! does.

pub(crate) mod alarm;
pub(crate) mod armed;
pub(crate) mod offer;
pub(crate) mod slot;

pub(crate) use alarm::{ANY_TIME, Alarm, NEVER};
pub(crate) use armed::{Armed, ReceiverWaker};
pub(crate) use offer::Offer;
#[cfg(test)]
pub(crate) use slot::channel;
pub(crate) use slot::{Answerer, Outcome, Receiver, Slot};

#[cfg(actium_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
#[cfg(actium_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(actium_loom)]
pub(crate) use loom::thread::yield_now;
#[cfg(not(actium_loom))]
pub(crate) use parking_lot::{Mutex, MutexGuard};
#[cfg(not(actium_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

/// Locks `mutex`: parking_lot's lock, which does not poison.
#[cfg(not(actium_loom))]
#[inline(always)]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock()
}

/// Locks `mutex`: loom's lock poisons, but no code panics while holding
/// the mailbox's (only queue operations run under it), so a poisoned one
/// still guards consistent state.
#[cfg(actium_loom)]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(not(actium_loom))]
pub(crate) use std::thread::yield_now;

/// `loom::cell::UnsafeCell`'s closure-based API over std's cell, so the same
/// code compiles both ways.
#[cfg(not(actium_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(actium_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(actium_loom)]
pub(crate) use loom::cell::UnsafeCell;
