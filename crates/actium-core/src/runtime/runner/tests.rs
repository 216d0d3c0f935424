//! Unit tests of the actor loop and of the cell it runs (moved here from
//! `cell.rs`: they need a typed `Cell` and a running system, both above
//! `cell/`).

use std::sync::Arc;

use crate::actor::{Actor, Cell, Context, Handled, Handler, Outcome};
use crate::base::{ActorId, ActorLabel, ExitReason, NodeId};
use crate::cell::{CellCore, ErasedCell, Phase};

/// An actor with no methods, for unit tests of cells and loops.
pub(super) struct Idle;

impl Actor for Idle {
    type Msg = ();
    type Methods<D: crate::actor::Dispatch<Self>> = crate::actor::NoMethods<D>;
    const NAME: &'static str = "Idle";
}

impl Handler for Idle {
    fn handle<'a>(&'a mut self, (): (), _: &'a mut Context<Self>) -> Handled<'a> {
        Handled::Done(Outcome::Done)
    }
}

/// A cell for an [`Idle`] actor of `system`, with no loop running.
pub(crate) fn cell(system: &crate::runtime::System, local: u64) -> Arc<Cell<Idle>> {
    let label = ActorLabel::new(ActorId::new(NodeId::from_u64(1), local), "Idle");
    Arc::new(Cell::new(label, system.handle().shared().clone(), None))
}

fn kill_requested(cell: &Cell<Idle>) -> bool {
    !matches!(cell.core.lock().phase, Phase::Running { requested: None })
}

/// `erlang:unlink/1`: once it has returned, the link has no effect on
/// the caller — even if the other actor had already taken its links to
/// fire them when the caller unlinked.
#[test]
fn an_exit_fired_after_the_unlink_does_not_reach_the_unlinked() {
    let system = crate::runtime::System::builder().start().expect("system");
    let (a, b) = (cell(&system, 1), cell(&system, 2));
    let (a_dyn, b_dyn): (Arc<dyn ErasedCell>, Arc<dyn ErasedCell>) = (a.clone(), b.clone());
    CellCore::link(&a_dyn, &b_dyn);
    // B starts exiting: it takes its links...
    let links = std::mem::take(&mut CellCore::relations(&mut b.core.lock()).links);
    assert_eq!(links.len(), 1);
    // ...A unlinks meanwhile...
    CellCore::unlink(&a_dyn, &b_dyn);
    // ...and B fires what it took.
    let reason = ExitReason::Panicked("crashed".into());
    b.core.notify(links, Vec::new(), &reason, None, None);
    assert!(
        !kill_requested(&a),
        "the exit reached an actor that had unlinked"
    );

    // Still linked: the same exit kills.
    let c = cell(&system, 3);
    let c_dyn: Arc<dyn ErasedCell> = c.clone();
    CellCore::link(&c_dyn, &b_dyn);
    let links = std::mem::take(&mut CellCore::relations(&mut b.core.lock()).links);
    b.core.notify(links, Vec::new(), &reason, None, None);
    assert!(
        kill_requested(&c),
        "a linked actor survived an abnormal exit"
    );
}

/// The loop future and the cell are what a running actor costs; this
/// guards them against a change that quietly inlines something large
/// (sizes, not timings: they do not depend on the machine's load).
#[test]
fn an_actors_loop_and_cell_stay_small() {
    let system = crate::runtime::System::builder().start().expect("system");
    let life = super::run::<_, super::Boxed>(
        crate::actor::Birth::Once(Some(Box::new(Idle))),
        cell(&system, 1),
        None,
    );
    let loop_bytes = std::mem::size_of_val(&life);
    let cell_bytes = std::mem::size_of::<crate::actor::Cell<Idle>>();
    assert!(
        loop_bytes <= 640,
        "the actor loop future grew to {loop_bytes} bytes"
    );
    // 256 until the loop's offer to callers (`actor::standby`: 40 bytes,
    // its state pointers, the loop's function and what callers hand back).
    assert!(cell_bytes <= 296, "the cell grew to {cell_bytes} bytes");
}

/// An actor whose state is large, as a Chord node's is (392 bytes).
struct Large {
    _bytes: [u8; 1024],
}

impl Actor for Large {
    type Msg = ();
    type Methods<D: crate::actor::Dispatch<Self>> = crate::actor::NoMethods<D>;
    const NAME: &'static str = "Large";
}

impl Handler for Large {
    fn handle<'a>(&'a mut self, (): (), _: &'a mut Context<Self>) -> Handled<'a> {
        Handled::Done(Outcome::Done)
    }
}

/// The loop future holds an actor's state once: an async function keeps
/// room for every place a value passes through, and an inline state took
/// it five times over (a 392-byte Chord node made a 2,520-byte task).
/// The same with the reentrant loop inline (whose state, while it
/// serves, lies in a box of its own besides).
#[test]
fn an_actors_loop_holds_its_state_once() {
    fn sizes<R: super::Reentry<Idle> + super::Reentry<Large>>(
        system: &crate::runtime::System,
    ) -> (usize, usize) {
        let label = ActorLabel::new(ActorId::new(NodeId::from_u64(1), 1), "Large");
        let large_cell = Arc::new(Cell::<Large>::new(
            label,
            system.handle().shared().clone(),
            None,
        ));
        let idle = std::mem::size_of_val(&super::run::<_, R>(
            crate::actor::Birth::Once(Some(Box::new(Idle))),
            cell(system, 2),
            None,
        ));
        let large = std::mem::size_of_val(&super::run::<_, R>(
            crate::actor::Birth::Once(Some(Box::new(Large { _bytes: [0; 1024] }))),
            large_cell,
            None,
        ));
        (idle, large)
    }

    let system = crate::runtime::System::builder().start().expect("system");
    for (idle, large) in [
        sizes::<super::Boxed>(&system),
        sizes::<super::Inline>(&system),
    ] {
        assert!(
            large - idle <= 1024 + 64,
            "a 1,024-byte state made the loop {large} bytes, against {idle} for no state"
        );
    }
}

/// A dormant actor's waker starts its task once, however it is woken: by
/// value as its only copy (taken apart, no lock), or by reference or by
/// value while a copy of it lives (under its lock), and never again.
#[test]
fn a_dormant_actor_starts_once_however_its_waker_is_woken() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Waker;
    use std::time::Duration;

    /// How often the actor was born once `births` stops changing (or
    /// after five seconds without one).
    fn settled(system: &crate::runtime::System, births: &AtomicUsize) -> usize {
        system.block_on(async {
            for _ in 0..5_000 {
                if births.load(Ordering::SeqCst) > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            // Time for a second start, were there one, to be seen.
            tokio::time::sleep(Duration::from_millis(50)).await;
        });
        births.load(Ordering::SeqCst)
    }

    let system = crate::runtime::System::builder().start().expect("system");
    // The first wake-up, and what is left of the waker to wake after it.
    let wakes: [fn(Waker) -> Option<Waker>; 3] = [
        // The only copy, by value: what a mailbox does.
        |waker| {
            waker.wake();
            None
        },
        // By value while a copy lives; the copy later.
        |waker| {
            let copy = waker.clone();
            waker.wake();
            Some(copy)
        },
        // By reference; by value later.
        |waker| {
            waker.wake_by_ref();
            Some(waker)
        },
    ];
    for (n, wake) in (0_u64..).zip(wakes) {
        let births = Arc::new(AtomicUsize::new(0));
        let counted = births.clone();
        let cell = cell(&system, 10 + n);
        // Born from a factory to count its births, though no supervisor
        // is set (which `spawn` never does): its loop then finds none to
        // ask for a verdict (`verdict` gives `None`), and exits.
        let birth = crate::actor::Birth::Factory(Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Idle
        }));
        let rest = wake(super::dormant::<_, super::Boxed>(birth, &cell, None));
        assert_eq!(settled(&system, &births), 1, "first wake-up of case {n}");
        if let Some(rest) = rest {
            rest.wake();
            assert_eq!(settled(&system, &births), 1, "second wake-up of case {n}");
        }
        cell.request_stop(ExitReason::Shutdown);
    }
    system.shutdown();
}

/// The reentrant loop lies in an actor's own future only when spawn asks
/// for it ([`super::Inline`], for actors with parallel methods, which
/// `spawn` asserts in debug builds); the others keep a pointer's room for
/// it ([`super::Boxed`]). Both stay small.
#[test]
fn the_reentrant_loop_lies_inline_only_where_asked() {
    let system = crate::runtime::System::builder().start().expect("system");
    let boxed = std::mem::size_of_val(&super::run::<_, super::Boxed>(
        crate::actor::Birth::Once(Some(Box::new(Idle))),
        cell(&system, 1),
        None,
    ));
    let inline = std::mem::size_of_val(&super::run::<_, super::Inline>(
        crate::actor::Birth::Once(Some(Box::new(Idle))),
        cell(&system, 2),
        None,
    ));
    // 568 and 792 bytes when written: the loop's batch, the methods in
    // flight and the one just started, the lent state's slot.
    assert!(inline > boxed, "inline {inline} bytes, boxed {boxed}");
    assert!(
        inline <= 896,
        "the reentrant actor loop future grew to {inline} bytes"
    );
}
