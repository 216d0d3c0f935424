//! What `#[actor]` and `#[actium::test]` expand to calls of. Not public API.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use futures_util::FutureExt;

pub use crate::actor::{AskWhenRoom, Endpoint, Patient, SendWhenRoom};
pub use crate::actor::{Collect, Discard, FirstOf, Gather, ToMembers};
pub use crate::actor::{Dispatch, MethodInfo, Methods, NoMessage, NoMethods};
pub use crate::actor::{Handled, Handler, Outcome, Panicked};
use crate::base::panic_message;
pub use crate::call::Reply;
use crate::call::current;
use crate::cell::Mode;
use crate::runtime::System;
/// The wire codec `#[actor(remote)]` generates calls of.
#[cfg(feature = "remote")]
pub use crate::transport::generated as remote;
pub use crate::wire::{EncodedCall, Responder};

/// The benchmarks' entry points into the hot paths; only with the
/// `bench-probe` feature, so programs compile none of it.
#[cfg(feature = "bench-probe")]
pub mod probe;

/// Without the `remote` feature, `#[actor(remote)]` fails with one clear
/// error (from `__actium_remote_enabled!`); these stand-ins keep the rest
/// of the generated code from adding more.
#[cfg(not(feature = "remote"))]
pub mod remote {
    use crate::base::Error;
    use crate::call::Reply;
    use crate::wire::{EncodedCall, Responder};

    fn disabled() -> Error {
        Error::NotRemote { actor_type: "?" }
    }

    /// Stand-in.
    pub fn must_cross_nodes<T>() {}

    /// Stand-in.
    pub struct Call<Args, R>(std::marker::PhantomData<fn() -> (Args, R)>);

    impl<Args, R> Call<Args, R> {
        /// Stand-in.
        #[allow(clippy::new_without_default)]
        pub const fn new() -> Self {
            Call(std::marker::PhantomData)
        }
    }

    /// Stand-in.
    pub trait Unencodable {}

    /// Stand-in: every call is refused.
    pub trait ViaSerde {
        /// Stand-in.
        type Args;
        /// Stand-in.
        type Answer: Send;

        /// Stand-in.
        ///
        /// # Errors
        ///
        /// Always.
        fn encode_tell(
            &self,
            _: &'static str,
            _: &'static str,
            _: &Self::Args,
            _: &mut Vec<u8>,
        ) -> Result<EncodedCall, Error> {
            Err(disabled())
        }

        /// Stand-in.
        ///
        /// # Errors
        ///
        /// Always.
        fn encode_ask(
            &self,
            _: &'static str,
            _: &'static str,
            _: &Self::Args,
            _: Reply<Self::Answer>,
            _: &mut Vec<u8>,
        ) -> Result<EncodedCall, Error> {
            Err(disabled())
        }

        /// Stand-in.
        ///
        /// # Errors
        ///
        /// Always.
        fn decode_tell(
            &self,
            _: &'static str,
            _: &'static str,
            _: &[u8],
            _: &mut Option<Responder>,
        ) -> Result<Self::Args, Error> {
            Err(disabled())
        }

        /// Stand-in.
        ///
        /// # Errors
        ///
        /// Always.
        fn decode_ask(
            &self,
            _: &'static str,
            _: &'static str,
            _: &[u8],
            _: &mut Option<Responder>,
        ) -> Result<(Self::Args, Reply<Self::Answer>), Error> {
            Err(disabled())
        }
    }

    impl<Args, R: Send> ViaSerde for Call<Args, R> {
        type Args = Args;
        type Answer = R;
    }

    /// Stand-in.
    pub fn unknown_method(_: &'static str, _: &str) -> Error {
        disabled()
    }
}

/// Expands to nothing when the `remote` feature is on; otherwise to the
/// error `#[actor(remote)]` points at.
#[cfg(feature = "remote")]
#[doc(hidden)]
#[macro_export]
macro_rules! __actium_remote_enabled {
    () => {};
}

/// Expands to nothing when the `remote` feature is on; otherwise to the
/// error `#[actor(remote)]` points at.
#[cfg(not(feature = "remote"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __actium_remote_enabled {
    () => {
        ::core::compile_error!(
            "#[actor(remote)] needs the `remote` feature of actium: \
             actium = { version = \"0.1\", features = [\"remote\"] }"
        );
    };
}

pub mod describe;

/// Writes an ask's answer for a trace (when given somewhere to write it)
/// and says whether it is an `Err`; generated per method by `#[actor]`
/// (see [`describe`]).
pub type DescribeAnswer<R> = fn(&R, Option<&mut String>) -> bool;

/// Runs a one-way method's body.
pub fn tell(method: &'static str, body: impl FnOnce()) -> Outcome {
    crate::call::activated(|| match catch_unwind(AssertUnwindSafe(body)) {
        Ok(()) => Outcome::Done,
        Err(payload) => panicked(method, &*payload),
    })
}

/// Runs an async one-way method's body.
pub async fn tell_async(method: &'static str, body: impl Future<Output = ()>) -> Outcome {
    crate::call::activated_async(async move {
        match AssertUnwindSafe(body).catch_unwind().await {
            Ok(()) => Outcome::Done,
            Err(payload) => panicked(method, &*payload),
        }
    })
    .await
}

fn panicked(method: &'static str, payload: &(dyn std::any::Any + Send)) -> Outcome {
    Outcome::panicked(panic_of(method, payload))
}

/// A method's panic, noted in its call frame.
fn panic_of(method: &'static str, payload: &(dyn std::any::Any + Send)) -> Panicked {
    let message = panic_message(payload);
    crate::call::panicked(&message);
    Panicked { method, message }
}

/// Runs a request-reply method's body and answers its caller.
pub fn ask<R: Send>(
    method: &'static str,
    reply: Reply<R>,
    describe: DescribeAnswer<R>,
    body: impl FnOnce() -> R,
) -> Outcome {
    crate::call::activated(|| {
        settle(
            method,
            reply,
            describe,
            catch_unwind(AssertUnwindSafe(body)),
        )
    })
}

/// Runs an async request-reply method's body and answers its caller.
pub async fn ask_async<R: Send>(
    method: &'static str,
    reply: Reply<R>,
    describe: DescribeAnswer<R>,
    body: impl Future<Output = R>,
) -> Outcome {
    crate::call::activated_async(async move {
        let result = AssertUnwindSafe(body).catch_unwind().await;
        settle(method, reply, describe, result)
    })
    .await
}

fn settle<R: Send>(
    method: &'static str,
    reply: Reply<R>,
    describe: DescribeAnswer<R>,
    result: std::thread::Result<R>,
) -> Outcome {
    match result {
        Ok(value) => {
            // Recorded before the caller can see the answer, so a trace
            // never shows what the answer caused before the answer. The
            // answer's `Debug` is user code: a panic in it is the method's.
            if let Err(payload) =
                catch_unwind(AssertUnwindSafe(|| crate::call::answered(&value, describe)))
            {
                // Its drop is user code as well; the panic already counts.
                let _dropped = catch_unwind(AssertUnwindSafe(move || drop(value)));
                return fail(method, reply, &*payload);
            }
            // Only while measuring: telling an `Err` costs an indirect call.
            if crate::observe::is_measuring() && describe(&value, None) {
                crate::runtime::count_error();
            }
            // Answering runs user code too: a remote caller's answer is
            // encoded with its `Serialize` (the remote layer contains that
            // panic and answers `Panicked` itself), and an answer nobody
            // waits for any more is dropped here.
            match catch_unwind(AssertUnwindSafe(move || reply.send(value))) {
                Ok(()) => Outcome::Done,
                Err(payload) => panicked(method, &*payload),
            }
        }
        Err(payload) => fail(method, reply, &*payload),
    }
}

/// Answers a caller whose method panicked with the panic's message.
fn fail<R: Send>(
    method: &'static str,
    reply: Reply<R>,
    payload: &(dyn std::any::Any + Send),
) -> Outcome {
    let panic = panic_of(method, payload);
    reply.panicked(panic.message.clone());
    Outcome::panicked(panic)
}

/// Starts a `parallel` one-way method: the loop drives it between messages.
pub fn parallel_tell(
    method: &'static str,
    body: impl Future<Output = ()> + Send + 'static,
) -> Outcome {
    in_parallel_frame(tell_async(method, body))
}

/// Starts a `parallel` request-reply method: the loop drives it between
/// messages, and it answers its caller when done.
pub fn parallel_ask<R: Send + 'static>(
    method: &'static str,
    reply: Reply<R>,
    describe: DescribeAnswer<R>,
    body: impl Future<Output = R> + Send + 'static,
) -> Outcome {
    in_parallel_frame(ask_async(method, reply, describe, body))
}

fn in_parallel_frame(task: impl Future<Output = Outcome> + Send + 'static) -> Outcome {
    match current::for_parallel() {
        Some(frame) => Outcome::parallel(Box::pin(current::scope(frame, task))),
        None => Outcome::parallel(Box::pin(task)),
    }
}

/// Runs a `blocking` method body without stalling other task-mode actors.
pub fn block_in_place<R>(body: impl FnOnce() -> R) -> R {
    // The body may block for long: deadlines this worker holds back for
    // the tasks it ran must not wait for it, and the body's own asks,
    // which it may wait for by hand, are published at once.
    crate::host::stop_batching();
    // Its asks never run their callees' requests here: it may hold a
    // lock one of them takes (see `call::current::waits_plainly`).
    tokio::task::block_in_place(|| current::blocking_body(body))
}

/// What an `#[on_start]` hook may return.
pub trait StartResult {
    /// `Err(message)` stops the actor.
    fn into_start_result(self) -> Result<(), String>;
}

impl StartResult for () {
    fn into_start_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Display> StartResult for Result<(), E> {
    fn into_start_result(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}

/// How long one `#[actium::test]` may run before it fails.
pub const TEST_TIME_LIMIT: Duration = Duration::from_secs(60);

/// Runs one test body in a fresh system under `mode`, bounded in time.
///
/// # Panics
///
/// Panics (failing the test) if the body fails, panics, or overruns
/// [`TEST_TIME_LIMIT`].
pub fn run_test<O: TestOutcome>(mode: Mode, name: &str, body: impl Future<Output = O>) {
    let system = match System::builder().mode(mode).start() {
        Ok(system) => system,
        Err(error) => panic!("test `{name}` could not start its system: {error}"),
    };
    let outcome = system.block_on(async { tokio::time::timeout(TEST_TIME_LIMIT, body).await });
    system.shutdown();
    match outcome {
        Ok(outcome) => outcome.check(name, mode),
        Err(_) => panic!("test `{name}` ({mode:?}) did not finish within {TEST_TIME_LIMIT:?}"),
    }
}

/// What a test body may return.
pub trait TestOutcome {
    /// Panics if the outcome is a failure.
    fn check(self, name: &str, mode: Mode);
}

impl TestOutcome for () {
    fn check(self, _name: &str, _mode: Mode) {}
}

impl<E: fmt::Debug> TestOutcome for Result<(), E> {
    fn check(self, name: &str, mode: Mode) {
        if let Err(error) = self {
            panic!("test `{name}` ({mode:?}) failed: {error:?}");
        }
    }
}
