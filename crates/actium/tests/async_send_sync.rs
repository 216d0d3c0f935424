//! Which public types are `Send`, `Sync` and `Unpin`, pinned at compile
//! time (as tokio's `tests/async_send_sync.rs` does): losing one is a
//! breaking change that nothing else would catch until a user's
//! `tokio::spawn` stops compiling. A type that is deliberately not `Send`
//! is pinned too, so that it does not become `Send` by accident either.
//!
//! Each check is a function call that only compiles if the bound holds;
//! the tests have nothing to do at run time. The generic types are
//! checked with the tests' `Counter` (`support/mod.rs`).

mod support;

use actium::supervisor::{
    ChildInfo, ChildSpec, Children, Restart, Strategy, Supervisor, SupervisorBuilder,
};
use actium::{
    ActorId, ActorLabel, ActorRef, AnyRef, Ask, AskAll, AskAllFuture, AskFirst, AskFirstFuture,
    Cancelled, Context, Cycle, Down, EnterGuard, Error, Exit, ExitReason, FunctionActor, Group,
    GroupReplies, Inbox, MemberReply, Message, Mode, Monitor, MonitorRef, Named, NodeId, Process,
    Reentrant, Spawner, Stopped, System, SystemBuilder, SystemHandle, TellAll, Timer,
};
use support::Counter;

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

/// `Send + Sync` for each type.
macro_rules! send_sync {
    ($($t:ty),* $(,)?) => {
        $( send::<$t>(); sync::<$t>(); )*
    };
}

/// `Send + Sync + Unpin` for each type.
macro_rules! send_sync_unpin {
    ($($t:ty),* $(,)?) => {
        $( send::<$t>(); sync::<$t>(); unpin::<$t>(); )*
    };
}

/// Ambiguous for a `Send` type: both impls apply, so a call to
/// `some_item` only compiles for a type that is not `Send` (tokio's
/// trick for a negative bound).
trait AmbiguousIfSend<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<Invalid> for T {}
struct Invalid;

#[test]
fn references_and_calls_cross_threads() {
    // A reference is handed to other actors, threads and tasks; a call is
    // awaited from any of them, and its future moved between workers.
    send_sync_unpin!(ActorRef<Counter>, Stopped, Monitor, MonitorRef);
    send_sync_unpin!(AnyRef, Named<Counter>, Cancelled);
    send::<Ask<u64>>();
    sync::<Ask<u64>>();
    unpin::<Ask<u64>>();
    // A delayed call's answer is awaited as an `Ask` is.
    send::<actium::Delayed<Ask<u64>>>();
    sync::<actium::Delayed<Ask<u64>>>();
    unpin::<actium::Delayed<Ask<u64>>>();
    send_sync!(Reentrant<Counter>);
    // A spawn builder owns the actor (or its factory, an `FnMut`) until it
    // spawns: it moves to another thread, it is not shared.
    send::<Spawner<Counter>>();
}

#[test]
fn an_actors_context_moves_with_its_task() {
    // Methods run as tasks on a work-stealing runtime (Mode::Tasks): what
    // they hold across an await moves between workers with them.
    send::<Context<Counter>>();
    send_sync!(Timer);
}

#[test]
fn identities_errors_and_signals_are_plain_data() {
    send_sync_unpin!(
        ActorId,
        ActorLabel,
        NodeId,
        Error,
        Cycle,
        ExitReason,
        Exit,
        Down,
        Mode,
        actium::Result<u64>,
    );
}

#[test]
fn processes_and_their_inboxes_are_send() {
    send_sync!(Process);
    // A message owns its boxed value, an inbox is read by its one process,
    // a function actor owns its `FnMut`: each moves, none is shared.
    send::<Message>();
    send::<Inbox>();
    send::<FunctionActor<u64, u64>>();
}

#[test]
fn groups_and_their_calls_cross_threads() {
    send_sync_unpin!(Group<Counter>, GroupReplies<u64>, MemberReply<u64>);
    send::<TellAll<Counter, ()>>();
    send::<AskAll<Counter, (), u64>>();
    send::<AskFirst<Counter, (), u64>>();
    send::<AskAllFuture<u64>>();
    send::<AskFirstFuture<u64>>();
}

#[test]
fn supervisors_and_their_specs_cross_threads() {
    send_sync!(ChildInfo, Children, Strategy, Restart);
    // A child spec owns its factory (an `FnMut`), and a supervisor (the
    // actor, not its reference) and its builder own specs: they move into
    // the supervisor's task, they are not shared.
    send::<ChildSpec>();
    send::<SupervisorBuilder>();
    send::<Supervisor>();
    send_sync!(ActorRef<Supervisor>);
}

#[test]
fn systems_and_their_handles_cross_threads() {
    send_sync!(System, SystemBuilder, SystemHandle);
}

#[test]
fn snapshots_cross_threads() {
    use actium::observe::{ActorSnapshot, NetworkSnapshot, SystemSnapshot};

    send_sync!(SystemSnapshot, ActorSnapshot, NetworkSnapshot);
}

#[test]
fn an_enter_guard_stays_on_its_thread() {
    // It restores the thread's current system when dropped: dropping it on
    // another thread would restore the wrong one.
    let _: fn(&EnterGuard) = |guard| AmbiguousIfSend::some_item(guard);
}

#[cfg(feature = "remote")]
#[test]
fn nodes_cross_threads() {
    use actium::remote::{ActorUrl, Node, NodeAddress, NodeBuilder, NodeInfo};

    send_sync!(Node, NodeBuilder, NodeAddress, ActorUrl, NodeInfo);
}

#[cfg(feature = "tls")]
#[test]
fn tls_configurations_cross_threads() {
    send_sync!(actium::remote::TlsConfig);
}

#[cfg(feature = "trace")]
#[test]
fn recordings_and_their_sinks_cross_threads() {
    use actium::trace::{
        Diagram, Filter, Format, JsonLines, Kind, Lines, Memory, Problem, Record, Recording,
        RecordingBuilder, Stats, Stdout, Summary, Trace, Tracing,
    };

    send_sync!(
        Recording, Summary, Memory, Stdout, Tracing, Record, Kind, Trace, Problem, Diagram, Filter,
        Format, Stats,
    );
    // The builder owns its sinks (boxed, `Send` only) until it starts.
    send::<RecordingBuilder>();
    send::<JsonLines<Vec<u8>>>();
    send::<Lines<Vec<u8>>>();
}
