//! Which system the thread driving a simulation has entered: kept from
//! one poll or delivery to the next while they belong to one system, so
//! that a simulation of one system (or of many tasks of each) enters it
//! once per run of them rather than once per poll or message.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::sim::EnterHook;

/// The system entered, and the guard that leaves it when dropped.
struct Entered {
    /// Held so that its address, in `HOOK`, names it and no other while it
    /// is entered.
    _hook: EnterHook,
    _guard: Box<dyn Any>,
}

thread_local! {
    /// The system the polls and deliveries of the innermost `block_on` on
    /// this thread are entered in.
    static ENTERED: RefCell<Option<Entered>> = const { RefCell::new(None) };
    /// The address of `ENTERED`'s hook (null if none): whether a poll's
    /// system is entered already is one read, as when it was a local
    /// variable of `block_on`.
    static HOOK: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
    /// Whether this thread's simulation is moving its clock on (firing
    /// what fell due) rather than polling a task or its main future.
    static ADVANCING: Cell<bool> = const { Cell::new(false) };
}

/// Makes the system `hook` enters current on this thread, unless it is
/// already: left when another is entered or [`leave`] is called.
pub(super) fn enter(hook: &EnterHook) {
    let address = Arc::as_ptr(hook).cast::<()>();
    if HOOK.get() == address {
        return;
    }
    // Leave the previous system before entering the next, outside the
    // borrow: leaving drops a clock, which runs other code.
    leave();
    let guard = hook();
    let entered = Entered {
        _hook: hook.clone(),
        _guard: guard,
    };
    ENTERED.with_borrow_mut(|slot| *slot = Some(entered));
    HOOK.set(address);
}

/// Leaves the system entered on this thread, if any.
pub(super) fn leave() {
    if HOOK.get().is_null() {
        return;
    }
    HOOK.set(std::ptr::null());
    let left = ENTERED.with_borrow_mut(Option::take);
    drop(left);
}

/// Runs `deliver`, a delayed message, in the system `hook` enters. While
/// the simulation moves its clock on, that system stays entered for the
/// task polled next, which is most often the one the message woke, of
/// the same system: entering one costs more than a small message's
/// delivery. Elsewhere (a program moving a `ManualClock` by hand) only
/// for the delivery.
pub(super) fn deliver_in(hook: &EnterHook, deliver: impl FnOnce()) {
    if ADVANCING.get() {
        enter(hook);
        deliver();
    } else {
        let _entered = hook();
        deliver();
    }
}

/// The innermost `block_on` on this thread while it runs: the systems its
/// polls enter are its own, and the outer one's is current again when it
/// returns.
pub(super) struct Nested {
    outer: Option<Entered>,
    hook: *const (),
    advancing: bool,
}

impl Nested {
    pub(super) fn begin() -> Self {
        // Taken without leaving it: entering another from here restores it
        // when that is left, as nested scopes do.
        Nested {
            outer: ENTERED.with_borrow_mut(Option::take),
            hook: HOOK.replace(std::ptr::null()),
            advancing: ADVANCING.replace(false),
        }
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        leave();
        let outer = self.outer.take();
        ENTERED.with_borrow_mut(|slot| *slot = outer);
        HOOK.set(self.hook);
        ADVANCING.set(self.advancing);
    }
}

/// Runs `advance`, the simulation moving its clock on: the deliveries it
/// fires leave their system entered (see [`deliver_in`]).
pub(super) fn advancing<R>(advance: impl FnOnce() -> R) -> R {
    /// Restores the flag even if `advance` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            ADVANCING.set(self.0);
        }
    }
    let _restore = Restore(ADVANCING.replace(true));
    advance()
}
