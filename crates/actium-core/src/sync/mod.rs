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
//! `RUSTFLAGS="--cfg actium_loom"` to swap the std types (and the mailbox's
//! parking_lot lock) for loom's and run the model tests (every test module
//! named `loom_tests`, the mailbox's among them, which runs the real
//! mailbox on loom's lock): `scripts/test` does.

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
pub(crate) use loom::thread::yield_now;
#[cfg(actium_loom)]
pub(crate) use loom_lock::{Mutex, MutexGuard};
#[cfg(not(actium_loom))]
pub(crate) use parking_lot::{Mutex, MutexGuard};
#[cfg(not(actium_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
#[cfg(not(actium_loom))]
pub(crate) use std::thread::yield_now;

/// loom's lock with parking_lot's signature, so that the mailbox's code
/// is the same both ways.
#[cfg(actium_loom)]
mod loom_lock {
    pub(crate) use loom::sync::MutexGuard;

    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        /// The guard: loom's lock never reports poisoning.
        #[track_caller]
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }
}

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
