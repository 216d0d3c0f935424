//! Request-reply calls (`#[ask]`): the method's value, the method's own typed
//! error, async bodies, the context parameter, eager sending, and calls
//! between actors.

mod support;

use actium::prelude::*;
use futures_util::future::join_all;

#[derive(Debug, PartialEq, thiserror::Error)]
enum MathError {
    #[error("division by zero")]
    DivisionByZero,
}

#[derive(Default)]
struct Calculator {
    calls: u32,
}

#[actor]
impl Calculator {
    #[ask]
    fn add(&mut self, a: i64, b: i64) -> i64 {
        self.calls += 1;
        a + b
    }

    #[ask]
    fn div(&self, a: i64, b: i64) -> Result<i64, MathError> {
        if b == 0 {
            return Err(MathError::DivisionByZero);
        }
        Ok(a / b)
    }

    #[ask]
    async fn slow_double(&self, x: i64) -> i64 {
        actium::sleep(std::time::Duration::from_millis(1)).await;
        x * 2
    }

    #[ask]
    fn whoami(&self, ctx: &mut Context<Self>) -> ActorId {
        ctx.id()
    }

    #[ask]
    fn myself(&self, ctx: &Context<Self>) -> ActorRef<Self> {
        ctx.myself()
    }

    #[ask]
    fn calls(&self) -> u32 {
        self.calls
    }

    /// A request-reply with no value: the caller learns it was done.
    #[ask]
    fn reset(&mut self) {
        self.calls = 0;
    }
}

/// Calls another actor from inside its own methods.
struct Doubler {
    calculator: ActorRef<Calculator>,
}

#[actor]
impl Doubler {
    #[ask]
    async fn double_sum(&self, a: i64, b: i64) -> Result<i64, Error> {
        let sum = self.calculator.add(a, b).await?;
        self.calculator.slow_double(sum).await
    }
}

#[actium::test]
async fn an_ask_returns_the_methods_value() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    assert_eq!(calculator.add(2, 3).await?, 5);
    Ok(())
}

#[actium::test]
async fn a_method_error_reaches_the_caller_as_its_own_type() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    assert_eq!(calculator.div(7, 2).await?, Ok(3));
    assert_eq!(calculator.div(1, 0).await?, Err(MathError::DivisionByZero));
    Ok(())
}

#[actium::test]
async fn an_async_method_can_await() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    assert_eq!(calculator.slow_double(21).await?, 42);
    Ok(())
}

#[actium::test]
async fn the_runtime_supplies_the_context_parameter() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    assert_eq!(calculator.whoami().await?, calculator.id());
    assert_eq!(calculator.myself().await?, calculator);
    Ok(())
}

#[actium::test]
async fn a_unit_ask_acknowledges_completion() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    calculator.add(1, 1).await?;
    calculator.reset().await?;
    assert_eq!(calculator.calls().await?, 0);
    Ok(())
}

#[actium::test]
async fn an_ask_is_sent_when_called_even_if_never_awaited() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    drop(calculator.add(1, 1));
    assert_eq!(calculator.calls().await?, 1);
    Ok(())
}

#[actium::test]
async fn many_concurrent_asks_all_get_their_own_answer() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    let answers = join_all((0..500).map(|i| calculator.add(i, i))).await;
    for (i, answer) in answers.into_iter().enumerate() {
        assert_eq!(answer?, 2 * i as i64);
    }
    Ok(())
}

#[actium::test]
async fn an_actor_method_can_ask_another_actor() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    let doubler = Doubler { calculator }.spawn();
    assert_eq!(doubler.double_sum(2, 3).await??, 10);
    Ok(())
}

#[actium::test]
async fn an_ask_to_a_stopped_actor_is_an_actor_stopped_error() -> actium::Result<()> {
    let calculator = Calculator::default().spawn();
    calculator.stop();
    assert_eq!(calculator.stopped().await, ExitReason::Stopped);
    let error = calculator.add(1, 2).await.expect_err("stopped");
    assert!(
        matches!(error, Error::ActorStopped { method: "add", .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("{calculator} has stopped, so `add` was not answered")
    );
    Ok(())
}

#[actium::test]
async fn references_compare_hash_and_print_by_actor() -> actium::Result<()> {
    use std::collections::HashSet;
    let a = Calculator::default().spawn();
    let b = Calculator::default().spawn();
    assert_eq!(a.clone(), a);
    assert_ne!(a, b);
    let set: HashSet<_> = [a.clone(), a.clone(), b.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert!(a.to_string().starts_with("Calculator#"));
    assert!(a.is_alive());
    Ok(())
}
