//! Function actors: a plain function turned into a request-reply actor
//! (PARLEY's `function_actor`).

use std::marker::PhantomData;

use crate::actor::{Actor, ActorRef, Context, Dispatch, Handled, Handler, MethodInfo, Methods};
use crate::call::Reply;

/// An actor that answers each request by calling a function; from
/// [`function_actor`].
pub struct FunctionActor<Q, R> {
    function: Box<dyn FnMut(Q) -> R + Send>,
}

impl<Q: Send + 'static, R: Send + 'static> Actor for FunctionActor<Q, R> {
    type Msg = (Q, Reply<R>);
    type Methods<D: Dispatch<Self>> = FunctionMethods<D, Q, R>;
    const NAME: &'static str = "FunctionActor";
}

impl<Q: Send + 'static, R: Send + 'static> Handler for FunctionActor<Q, R> {
    fn handle<'a>(
        &'a mut self,
        (request, reply): Self::Msg,
        _ctx: &'a mut Context<Self>,
    ) -> Handled<'a> {
        Handled::Done(crate::__private::ask(
            "call",
            reply,
            crate::__private::describe::opaque,
            || (self.function)(request),
        ))
    }
}

/// The methods of an `ActorRef<FunctionActor<Q, R>>`.
pub struct FunctionMethods<D, Q, R> {
    dispatch: D,
    _types: PhantomData<fn(Q) -> R>,
}

impl<D: Dispatch<FunctionActor<Q, R>>, Q: Send + 'static, R: Send + 'static>
    Methods<FunctionActor<Q, R>, D> for FunctionMethods<D, Q, R>
{
    fn new(dispatch: D) -> Self {
        FunctionMethods {
            dispatch,
            _types: PhantomData,
        }
    }

    fn dispatch(&self) -> &D {
        &self.dispatch
    }
}

impl<D: Dispatch<FunctionActor<Q, R>>, Q: Send + 'static, R: Send + 'static>
    FunctionMethods<D, Q, R>
{
    /// Calls the function with `request`, one request at a time.
    pub fn call(&self, request: Q) -> D::Ask<(Q,), R> {
        const CALL: MethodInfo = MethodInfo {
            name: "call",
            timeout: None,
            blocking: false,
        };
        self.dispatch
            .ask(CALL, (request,), |(request,), reply| (request, reply))
    }
}

/// Spawns an actor that answers each request with `function(request)`, one
/// at a time, in the current system.
///
/// ```
/// use actium::prelude::*;
///
/// actium::launch(Mode::Tasks, async {
///     let adder = actium::function_actor(|(a, b): (i64, i64)| a + b);
///     assert_eq!(adder.call((2, 3)).await?, 5);
///     Ok::<(), actium::Error>(())
/// })?;
/// # Ok::<(), actium::Error>(())
/// ```
///
/// # Panics
///
/// Panics if no Actium system runs on this thread.
#[track_caller]
pub fn function_actor<Q, R>(
    function: impl FnMut(Q) -> R + Send + 'static,
) -> ActorRef<FunctionActor<Q, R>>
where
    Q: Send + 'static,
    R: Send + 'static,
{
    FunctionActor {
        function: Box::new(function),
    }
    .spawn()
}
