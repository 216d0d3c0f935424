//! The state machine the log drives: a map of strings, and each client's
//! last answer, so that a command decided twice is applied once.

use std::collections::BTreeMap;

use super::{Command, Key, Op, Output, Value};

/// The key-value state machine, and the session table that makes retries
/// exactly-once.
#[derive(Clone, Debug, Default)]
pub struct Store {
    data: BTreeMap<Key, Value>,
    /// Each client's last applied request and its output. A client has one
    /// request outstanding at a time, so the last one is all a retry can
    /// ask for.
    sessions: BTreeMap<u64, (u64, Output)>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// Applies `command` unless it was applied before, and returns its
    /// output: the first application's for a duplicate. `None` for a
    /// request older than the client's last one — a client that gave up
    /// on it and moved on; applying it now would reorder the client's own
    /// operations.
    pub fn apply(&mut self, command: &Command) -> Option<Output> {
        if let Some(earlier) = self.answered(command.client, command.request) {
            return earlier;
        }
        let output = match &command.op {
            Op::Get { key } => Output::Value(self.data.get(key).cloned()),
            Op::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                Output::Done
            }
            Op::Cas { key, expected, new } => {
                let swapped = self.data.get(key) == expected.as_ref();
                if swapped {
                    self.data.insert(key.clone(), new.clone());
                }
                Output::Swapped(swapped)
            }
        };
        self.sessions
            .insert(command.client, (command.request, output.clone()));
        Some(output)
    }

    /// `Some(answer)` if request `request` of `client` was already applied
    /// (`answer` as in [`apply`](Store::apply)), `None` if it is new.
    pub fn answered(&self, client: u64, request: u64) -> Option<Option<Output>> {
        let (last, output) = self.sessions.get(&client)?;
        match request.cmp(last) {
            std::cmp::Ordering::Less => Some(None),
            std::cmp::Ordering::Equal => Some(Some(output.clone())),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// The value of `key`, read directly (what a broken leader serves).
    pub fn read(&self, key: &str) -> Option<Value> {
        self.data.get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(client: u64, request: u64, op: Op) -> Command {
        Command {
            client,
            request,
            op,
        }
    }

    #[test]
    fn put_get_and_cas_behave_as_a_register_per_key() {
        let mut store = Store::new();
        let key = || "k".to_owned();
        let get = |r| command(1, r, Op::Get { key: key() });
        assert_eq!(store.apply(&get(1)), Some(Output::Value(None)));
        let put = command(
            1,
            2,
            Op::Put {
                key: key(),
                value: "a".into(),
            },
        );
        assert_eq!(store.apply(&put), Some(Output::Done));
        let cas = |r, expected: Option<&str>| {
            let expected = expected.map(str::to_owned);
            command(
                1,
                r,
                Op::Cas {
                    key: key(),
                    expected,
                    new: "b".into(),
                },
            )
        };
        assert_eq!(store.apply(&cas(3, None)), Some(Output::Swapped(false)));
        assert_eq!(store.apply(&cas(4, Some("a"))), Some(Output::Swapped(true)));
        assert_eq!(store.apply(&get(5)), Some(Output::Value(Some("b".into()))));
    }

    #[test]
    fn a_retried_command_is_applied_once_and_answered_alike() {
        let mut store = Store::new();
        let cas = Op::Cas {
            key: "k".into(),
            expected: None,
            new: "x".into(),
        };
        assert_eq!(
            store.apply(&command(7, 1, cas.clone())),
            Some(Output::Swapped(true))
        );
        // The retry would fail if applied again; it gets the first answer.
        assert_eq!(
            store.apply(&command(7, 1, cas)),
            Some(Output::Swapped(true))
        );
        let put = Op::Put {
            key: "k".into(),
            value: "y".into(),
        };
        assert_eq!(store.apply(&command(7, 2, put.clone())), Some(Output::Done));
        // A request older than the last one is not applied.
        assert_eq!(store.apply(&command(7, 1, put)), None);
        assert_eq!(store.read("k"), Some("y".into()));
    }
}
