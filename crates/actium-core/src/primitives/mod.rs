//! Lock-free primitives, written against a shim so that `loom` can check
//! every interleaving of their atomics.
//!
//! Build with `RUSTFLAGS="--cfg actium_loom"` to swap the std types for loom's and
//! run the model tests: `.ci/run` does.

pub(crate) mod slot;

#[cfg(actium_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};
#[cfg(not(actium_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, Ordering};

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
